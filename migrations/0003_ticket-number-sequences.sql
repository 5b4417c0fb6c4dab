-- Ticket numbers without serializing an organization's new conversations. The number used to
-- come from `update organizations set ticket_seq = ticket_seq + 1`, whose row lock was held until
-- the ingest transaction committed, so every new ticket of an organization waited for the one
-- before it. A sequence per organization hands out numbers without a lock held to commit
-- (nextval is not transactional): numbers stay unique and increasing; a rollback leaves a gap.
-- The sequence is created on an organization's first ticket and starts after ticket_seq, so
-- existing organizations continue their numbering.
CREATE OR REPLACE FUNCTION next_ticket_number(org uuid) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  seq text := 'ticket_numbers_' || replace(org::text, '-', '');
BEGIN
  IF to_regclass(seq) IS NULL THEN
    -- Two first tickets of one organization at once: one creates, the other waits on the lock and
    -- then finds the sequence taken (its catalog lookup may not see the commit yet, hence the
    -- handler rather than a second to_regclass).
    PERFORM pg_advisory_xact_lock(hashtext(seq));
    BEGIN
      EXECUTE format('CREATE SEQUENCE %I AS integer', seq);
      PERFORM setval(seq, coalesce((SELECT ticket_seq FROM organizations WHERE id = org), 0) + 1, false);
    EXCEPTION WHEN duplicate_table OR unique_violation THEN
      NULL;
    END;
  END IF;
  RETURN nextval(seq);
END
$$;
