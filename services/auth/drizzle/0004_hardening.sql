CREATE TABLE "known_sign_in_clients" (
	"key_hash" text PRIMARY KEY NOT NULL,
	"last_signed_in_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "known_sign_in_clients_last_idx" ON "known_sign_in_clients" USING btree ("last_signed_in_at");