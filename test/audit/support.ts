// Reading the audit log back the way an admin does: GET /api/audit, with its filters.
import { expect } from "vitest";
import { randomIp, unique } from "../support/fixtures";
import { call, type TestResponse } from "../support/http";

export type AuditEntry = {
  id: string;
  action: string;
  actor: { type: string; id: string | null };
  ip: string | null;
  requestId: string | null;
  targetType: string | null;
  targetId: string | null;
  diff: Record<string, { before: unknown; after: unknown }> | null;
  metadata: Record<string, unknown>;
  createdAt: string;
};

/** Every entry matching the filters (all pages), newest first. */
export async function auditEntries(adminToken: string, filters: Record<string, string> = {}): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const query: URLSearchParams = new URLSearchParams({ ...filters, limit: "100", ...(cursor ? { cursor } : {}) });
    const res: TestResponse<{ data: AuditEntry[]; nextCursor: string | null }> = await call(`/api/audit?${query}`, {
      token: adminToken,
    });
    expect(res.status, res.text).toBe(200);
    entries.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return entries;
}

/** Headers of a request whose origin the audit log must show: a client IP and a request id. */
export function origin() {
  const ip = randomIp();
  const requestId = unique("req-audit-");
  return { ip, requestId, headers: { "cf-connecting-ip": ip, "x-request-id": requestId } };
}
