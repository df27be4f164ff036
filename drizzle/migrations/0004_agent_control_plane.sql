CREATE TYPE "public"."source_command_state" AS ENUM('queued', 'delivered', 'acked', 'succeeded', 'failed');--> statement-breakpoint
CREATE TYPE "public"."source_command_type" AS ENUM('refresh', 'collect_logs', 'stop');--> statement-breakpoint
CREATE TABLE "agent_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"command_id" uuid,
	"file_name" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"is_truncated" boolean DEFAULT false NOT NULL,
	"content" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "source_commands" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"type" "source_command_type" NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" "source_command_state" DEFAULT 'queued' NOT NULL,
	"delivered_count" integer DEFAULT 0 NOT NULL,
	"result" jsonb,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"acked_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "source_servers" ADD COLUMN "ip_addresses" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_logs" ADD CONSTRAINT "agent_logs_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_logs" ADD CONSTRAINT "agent_logs_server_id_source_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."source_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_logs" ADD CONSTRAINT "agent_logs_command_id_source_commands_id_fk" FOREIGN KEY ("command_id") REFERENCES "public"."source_commands"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_commands" ADD CONSTRAINT "source_commands_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_commands" ADD CONSTRAINT "source_commands_server_id_source_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."source_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_logs_account_id_server_id_created_at_idx" ON "agent_logs" USING btree ("account_id","server_id","created_at");--> statement-breakpoint
CREATE INDEX "source_commands_account_id_server_id_created_at_idx" ON "source_commands" USING btree ("account_id","server_id","created_at");--> statement-breakpoint
CREATE INDEX "source_commands_server_id_pending_idx" ON "source_commands" USING btree ("server_id") WHERE "source_commands"."state" in ('queued', 'delivered');