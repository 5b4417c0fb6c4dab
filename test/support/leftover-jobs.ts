// A test's cron tick (runScheduled) sweeps every organization's due jobs, and runs them with that
// test's env: its model, provider and webhook fakes. A job another test left failing (retried 10 s
// later) would then run against this test's fakes and take the answers it scripted. So the jobs a
// test's organizations still hold when it ends are retired: those of organizations made inside a
// test when the test ends, those made in a beforeAll when the file ends.
import { and, inArray } from "drizzle-orm";
import { outbox } from "@/db/schema";
import { withDb } from "./db";

let inTest = false;
const ofTest = new Set<string>();
const ofFile = new Set<string>();

/** Called by seedTenant for every organization it makes. */
export function trackOrganization(organizationId: string) {
  (inTest ? ofTest : ofFile).add(organizationId);
}

export function testStarted() {
  inTest = true;
}

export async function testEnded() {
  inTest = false;
  await retire(ofTest);
}

export const fileEnded = () => retire(ofFile);

async function retire(organizations: Set<string>) {
  if (organizations.size === 0) return;
  const ids = [...organizations];
  organizations.clear();
  await withDb((db) =>
    db
      .update(outbox)
      .set({ status: "dead", lastError: "retired: the test that made it has ended" })
      .where(and(inArray(outbox.organizationId, ids), inArray(outbox.status, ["pending", "failed", "running"]))),
  );
}
