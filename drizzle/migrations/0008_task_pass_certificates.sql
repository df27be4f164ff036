CREATE TABLE "account_certificate_authorities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"cert_pem" text NOT NULL,
	"sealed_private_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"pass_id" uuid NOT NULL,
	"role" "server_role" NOT NULL,
	"cert_pem" text NOT NULL,
	"serial_number" text NOT NULL,
	"fingerprint" text NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_certificate_authorities" ADD CONSTRAINT "account_certificate_authorities_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_certificates" ADD CONSTRAINT "task_certificates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_certificates" ADD CONSTRAINT "task_certificates_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_certificate_authorities_account_id_idx" ON "account_certificate_authorities" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "task_certificates_task_id_pass_id_role_idx" ON "task_certificates" USING btree ("task_id","pass_id","role");--> statement-breakpoint
CREATE INDEX "task_certificates_account_id_idx" ON "task_certificates" USING btree ("account_id");--> statement-breakpoint
ALTER TABLE "tasks" DROP COLUMN "pass_sealed_token";