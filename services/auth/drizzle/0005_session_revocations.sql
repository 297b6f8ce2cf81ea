CREATE TABLE "session_revocations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"tx" bigint NOT NULL,
	"floor" bigint NOT NULL,
	"revoked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "session_revocations_tx_idx" ON "session_revocations" USING btree ("tx");--> statement-breakpoint
CREATE INDEX "session_revocations_revoked_at_idx" ON "session_revocations" USING btree ("revoked_at");--> statement-breakpoint
-- Written by hand below this line (drizzle-kit does not model triggers): every way a session
-- token stops working is recorded in the transaction that ends it, whatever code path ran the
-- statement, and announced on commit. NOTIFY is transactional: a rolled-back revocation is
-- never announced. The payload is the row: "<id> <floor> <token_hash>".
CREATE FUNCTION "record_session_revocation"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_id bigint;
  row_floor bigint := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
BEGIN
  INSERT INTO "session_revocations" ("token_hash", "tx", "floor")
    VALUES (OLD."token_hash", pg_current_xact_id()::text::bigint, row_floor)
    RETURNING "id" INTO row_id;
  PERFORM pg_notify('session_revocations', row_id || ' ' || row_floor || ' ' || OLD."token_hash");
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "sessions_token_ended" AFTER UPDATE OF "token_hash", "revoked_at" ON "sessions"
  FOR EACH ROW
  WHEN (OLD."token_hash" IS DISTINCT FROM NEW."token_hash" OR (OLD."revoked_at" IS NULL AND NEW."revoked_at" IS NOT NULL))
  EXECUTE FUNCTION "record_session_revocation"();--> statement-breakpoint
CREATE TRIGGER "sessions_deleted" AFTER DELETE ON "sessions"
  FOR EACH ROW
  WHEN (OLD."revoked_at" IS NULL)
  EXECUTE FUNCTION "record_session_revocation"();
