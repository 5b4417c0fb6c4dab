-- The audit log is append-only in the database itself, not only in the API: no UPDATE, DELETE or
-- TRUNCATE reaches it, whatever the code (or a stolen application credential) tries. Deleting an
-- organization that has audit entries is refused too (its foreign key cascades into this
-- trigger). Retention is an owner's decision: `ALTER TABLE audit_log DISABLE TRIGGER ...` needs
-- the table's owner, and is itself visible in the server's log.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
