import { z } from "@hono/zod-openapi";
import { v7 as uuidv7 } from "uuid";
import { auditFromContext } from "@/audit/context";
import { dispatch } from "@/jobs/dispatch";
import { enqueue } from "@/jobs/outbox";
import type { App } from "@/platform/api-app";
import type { AppContext } from "@/platform/app";
import { protectedRoute } from "@/platform/auth";
import { currentKey, keyId, keyList } from "@/platform/crypto";
import { jsonContent } from "@/platform/openapi";
import { reencryptJob } from "./job";
import { sealedByKey } from "./reseal";

const keyringSchema = z.object({
  current: z.string().openapi({ description: "The id of the key that seals or signs now (the list's first)." }),
  configured: z.array(z.string()).openapi({ description: "Ids of every listed key, current first." }),
});

const statusSchema = z
  .object({
    encryptionKey: keyringSchema,
    jwtSecret: keyringSchema,
    sealed: z.record(z.string(), z.record(z.string(), z.number().int())).openapi({
      description:
        "Per sealed column, how many of the organization's values each key id sealed (`v1`: sealed before values named their key).",
    }),
    pending: z.number().int().openapi({
      description:
        "Values not sealed with the current key yet: 0 means an older key can be removed, as far as this organization goes.",
    }),
  })
  .openapi("KeyStatus");

const status = protectedRoute({
  method: "get",
  path: "/api/admin/keys",
  tags: ["admin"],
  summary: "Which keys are configured and which of them sealed the organization's secrets",
  description: "Key ids only (a short hash of each key), never a key.",
  roles: ["admin"],
  responses: { 200: jsonContent(statusSchema, "The key status.") },
});

const reencrypt = protectedRoute({
  method: "post",
  path: "/api/admin/reencrypt",
  tags: ["admin"],
  summary: "Re-seal the organization's secrets with the current ENCRYPTION_KEY (a durable job, audited)",
  description:
    "Queues keys.reencrypt, which re-seals in batches every credential and secret still sealed with an older key. Idempotent: running it again re-seals only what is left. `npm run keys:reencrypt` does the same for every organization from a shell.",
  roles: ["admin"],
  responses: {
    202: jsonContent(
      z.object({ runId: z.string(), jobId: z.string().nullable(), keyId: z.string(), pending: z.number().int() }),
      "Queued; GET /api/admin/keys shows the progress, and the run ends with a keys.reencrypted audit entry.",
    ),
  },
});

async function keyring(keys: string) {
  return { current: (await currentKey(keys)).kid, configured: await Promise.all(keyList(keys).map(keyId)) };
}

async function keyStatus(c: AppContext) {
  const { env, db } = c.var.services;
  const encryptionKey = await keyring(env.ENCRYPTION_KEY);
  const sealed = await sealedByKey(db, c.var.principal.organizationId);
  const pending = Object.values(sealed)
    .flatMap((byKey) => Object.entries(byKey))
    .reduce((sum, [kid, count]) => (kid === encryptionKey.current ? sum : sum + count), 0);
  return { encryptionKey, jwtSecret: await keyring(env.JWT_SECRET), sealed, pending };
}

export function registerKeyRoutes(app: App) {
  app.openapi(status, async (c) => c.json(await keyStatus(c), 200));

  app.openapi(reencrypt, async (c) => {
    const services = c.var.services;
    const { organizationId } = c.var.principal;
    const { encryptionKey, pending } = await keyStatus(c);
    const runId = uuidv7();
    const jobs = await services.db.transaction(async (tx) => {
      await auditFromContext(
        c,
        {
          action: "keys.reencrypt_requested",
          targetType: "organization",
          targetId: organizationId,
          metadata: { runId, keyId: encryptionKey.current, pending },
        },
        tx,
      );
      return enqueue(tx, [reencryptJob(organizationId, runId)]);
    });
    services.waitUntil(dispatch(services, jobs));
    return c.json({ runId, jobId: jobs[0]?.id ?? null, keyId: encryptionKey.current, pending }, 202);
  });
}
