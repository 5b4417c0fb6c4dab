// Applies the drizzle-kit migrations in migrations/ to DATABASE_URL (Neon, PostgreSQL, PGlite).
// Usage: DATABASE_URL=postgres://... npm run db:migrate
import path from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

const migrationsFolder = path.join(import.meta.dirname, "..", "migrations");

export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set");
    process.exit(1);
  }
  try {
    await migrateDatabase(url);
    console.log(`migrations applied to ${new URL(url).host}`);
  } catch (error) {
    console.error("migration failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
