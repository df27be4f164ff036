CREATE TABLE "source_servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"hostname" text NOT NULL,
	"os_name" text DEFAULT '' NOT NULL,
	"report" jsonb NOT NULL,
	"feasibility" jsonb,
	"access_key_id" text,
	"last_heartbeat_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "source_servers" ADD CONSTRAINT "source_servers_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "source_servers_account_id_agent_id_idx" ON "source_servers" USING btree ("account_id","agent_id");--> statement-breakpoint
CREATE INDEX "source_servers_account_id_idx" ON "source_servers" USING btree ("account_id");