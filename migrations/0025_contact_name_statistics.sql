-- Contact search (`ilike '%name%'`, src/contacts/service.ts and the ticket search's contact part)
-- is planned from contacts.name's statistics: with the default target (100) the estimate of how
-- many contacts a full name matches comes from 101 histogram bounds, and a fresh ANALYZE could
-- put it at ten times the truth. PostgreSQL then walked the organization's contacts (and
-- tickets) newest first instead of taking the trigram index: bench:scale's big organization,
-- 167 matches, 12.7 ms against 1.2 ms, 3.84 times the small organization's p50 in one run of
-- four. A thousand bounds keep the estimate near the truth (190 against 167 there) and planning
-- within a millisecond of what it was.
ALTER TABLE "contacts" ALTER COLUMN "name" SET STATISTICS 1000;
ANALYZE "contacts";
