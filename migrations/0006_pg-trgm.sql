-- Trigram indexes for search (contact names and phones, ticket subjects, message text). pg_trgm is
-- the one extension Switchboard takes: PostgreSQL's contrib, bundled by PGlite and offered by
-- Neon, and trusted, so a database owner without superuser rights can create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
