CREATE SEQUENCE "public"."scim_event_sequence" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
DROP INDEX "scim_resources_external_key";--> statement-breakpoint
ALTER TABLE "scim_resources" ADD COLUMN "user_name" text;--> statement-breakpoint
ALTER TABLE "scim_resources" ADD COLUMN "display_name" text;--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("next_attempt_at") WHERE "outbox"."delivered_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "scim_resources_user_name_key" ON "scim_resources" USING btree ("organization_id","user_name") WHERE "scim_resources"."resource_type" = 'User';--> statement-breakpoint
CREATE UNIQUE INDEX "scim_resources_user_target_key" ON "scim_resources" USING btree ("organization_id","target_id") WHERE "scim_resources"."resource_type" = 'User';--> statement-breakpoint
CREATE INDEX "scim_resources_external_idx" ON "scim_resources" USING btree ("organization_id","resource_type","external_id");--> statement-breakpoint
CREATE INDEX "scim_resources_display_name_idx" ON "scim_resources" USING btree ("organization_id","resource_type","display_name");--> statement-breakpoint
CREATE INDEX "scim_resources_page_idx" ON "scim_resources" USING btree ("organization_id","resource_type","created_at","id");--> statement-breakpoint
CREATE INDEX "scim_resources_members_idx" ON "scim_resources" USING gin (("attributes" -> 'members') jsonb_path_ops);