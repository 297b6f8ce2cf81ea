CREATE TABLE "saml_accounts" (
	"organization_id" uuid NOT NULL,
	"name_id" text NOT NULL,
	"user_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "saml_accounts_organization_id_name_id_pk" PRIMARY KEY("organization_id","name_id")
);
--> statement-breakpoint
CREATE TABLE "saml_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"return_to" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "saml_seen_assertions" (
	"issuer" text NOT NULL,
	"assertion_id" text NOT NULL,
	"organization_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "saml_seen_assertions_issuer_assertion_id_pk" PRIMARY KEY("issuer","assertion_id")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "sso_organization_id" uuid;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "sso_connection_id" uuid;--> statement-breakpoint
ALTER TABLE "mfa_challenges" ADD COLUMN "sso_organization_id" uuid;--> statement-breakpoint
ALTER TABLE "mfa_challenges" ADD COLUMN "sso_connection_id" uuid;--> statement-breakpoint
ALTER TABLE "saml_accounts" ADD CONSTRAINT "saml_accounts_user_id_identities_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "saml_accounts_user_idx" ON "saml_accounts" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "saml_requests_expires_idx" ON "saml_requests" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "saml_seen_assertions_expires_idx" ON "saml_seen_assertions" USING btree ("expires_at");