CREATE TYPE "public"."server_role" AS ENUM('source', 'target');--> statement-breakpoint
CREATE TYPE "public"."migration_mode" AS ENUM('block', 'file');--> statement-breakpoint
CREATE TYPE "public"."subtask_state" AS ENUM('pending', 'running', 'succeeded', 'failed', 'skipped');--> statement-breakpoint
CREATE TYPE "public"."task_event_level" AS ENUM('info', 'warning', 'error');--> statement-breakpoint
CREATE TYPE "public"."task_state" AS ENUM('READY', 'RUNNING', 'SYNCING', 'MIGRATE_SUCCESS', 'MIGRATE_FAIL', 'ABORTING', 'ABORT', 'DELETING', 'SYNC_F_ROLLBACKING', 'SYNC_F_ROLLBACK_SUCCESS', 'LAUNCHING', 'LAUNCHED');--> statement-breakpoint
ALTER TYPE "public"."source_command_type" ADD VALUE 'task_receive';--> statement-breakpoint
ALTER TYPE "public"."source_command_type" ADD VALUE 'task_send';--> statement-breakpoint
ALTER TYPE "public"."source_command_type" ADD VALUE 'task_abort';--> statement-breakpoint
ALTER TYPE "public"."source_command_type" ADD VALUE 'task_launch';--> statement-breakpoint
CREATE TABLE "task_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"level" "task_event_level" NOT NULL,
	"message" text NOT NULL,
	"hint" text
);
--> statement-breakpoint
CREATE TABLE "task_progress_samples" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"pass_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"bytes_done" bigint NOT NULL,
	"bytes_total" bigint NOT NULL,
	"bytes_sent" bigint NOT NULL,
	"rate_bytes_per_second" double precision NOT NULL,
	"detail" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_subtasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"name" text NOT NULL,
	"position" integer NOT NULL,
	"state" "subtask_state" DEFAULT 'pending' NOT NULL,
	"progress_percent" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"source_server_id" uuid NOT NULL,
	"target_server_id" uuid NOT NULL,
	"mode" "migration_mode" NOT NULL,
	"state" "task_state" DEFAULT 'READY' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"settings" jsonb NOT NULL,
	"disk_mapping" jsonb NOT NULL,
	"migration_template_id" uuid,
	"server_template_id" uuid,
	"pass_id" uuid,
	"pass_sealed_token" text,
	"pass_target_address" text,
	"pass_is_sync" boolean DEFAULT false NOT NULL,
	"bytes_total" bigint DEFAULT 0 NOT NULL,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"bytes_sent" bigint DEFAULT 0 NOT NULL,
	"rate_bytes_per_second" double precision DEFAULT 0 NOT NULL,
	"verification" text,
	"error_message" text,
	"last_progress_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"settings" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"target_server_id" uuid,
	"settings" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "source_servers" ADD COLUMN "role" "server_role" DEFAULT 'source' NOT NULL;--> statement-breakpoint
ALTER TABLE "source_servers" ADD COLUMN "target_capabilities" jsonb;--> statement-breakpoint
ALTER TABLE "task_events" ADD CONSTRAINT "task_events_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_events" ADD CONSTRAINT "task_events_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_progress_samples" ADD CONSTRAINT "task_progress_samples_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_progress_samples" ADD CONSTRAINT "task_progress_samples_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_subtasks" ADD CONSTRAINT "task_subtasks_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_subtasks" ADD CONSTRAINT "task_subtasks_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_source_server_id_source_servers_id_fk" FOREIGN KEY ("source_server_id") REFERENCES "public"."source_servers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_target_server_id_source_servers_id_fk" FOREIGN KEY ("target_server_id") REFERENCES "public"."source_servers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_migration_template_id_migration_templates_id_fk" FOREIGN KEY ("migration_template_id") REFERENCES "public"."migration_templates"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_server_template_id_server_templates_id_fk" FOREIGN KEY ("server_template_id") REFERENCES "public"."server_templates"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_templates" ADD CONSTRAINT "migration_templates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_templates" ADD CONSTRAINT "server_templates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_templates" ADD CONSTRAINT "server_templates_target_server_id_source_servers_id_fk" FOREIGN KEY ("target_server_id") REFERENCES "public"."source_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_events_task_id_at_idx" ON "task_events" USING btree ("task_id","at");--> statement-breakpoint
CREATE INDEX "task_progress_samples_task_id_at_idx" ON "task_progress_samples" USING btree ("task_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "task_subtasks_task_id_name_idx" ON "task_subtasks" USING btree ("task_id","name");--> statement-breakpoint
CREATE INDEX "tasks_account_id_created_at_idx" ON "tasks" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_source_server_id_live_idx" ON "tasks" USING btree ("source_server_id") WHERE "tasks"."state" not in ('DELETING', 'LAUNCHED');--> statement-breakpoint
CREATE UNIQUE INDEX "migration_templates_account_id_name_idx" ON "migration_templates" USING btree ("account_id",lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "migration_templates_account_id_default_idx" ON "migration_templates" USING btree ("account_id") WHERE "migration_templates"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "server_templates_account_id_name_idx" ON "server_templates" USING btree ("account_id",lower("name"));--> statement-breakpoint
CREATE INDEX "server_templates_target_server_id_idx" ON "server_templates" USING btree ("target_server_id");