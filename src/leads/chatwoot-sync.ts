import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import * as z from "zod";
import { channels, contacts, crmLinks, crmTicketSync, messages, tickets } from "@/db/schema";
import {
  type ChatwootConfig,
  createChatwootContact,
  createChatwootContactInbox,
  createChatwootConversation,
  createChatwootMessage,
} from "@/integrations/providers/chatwoot";
import { integrationSettings } from "@/integrations/service";
import { defineJob } from "@/jobs/define";
import { RetryableJobError } from "@/jobs/errors";
import type { Database } from "@/platform/db";
import { cleanText } from "@/platform/text";
import { CHATWOOT_SYNC_JOB } from "./chatwoot-mirror";
import { crmJobError } from "./crm-errors";

const PROVIDER = "chatwoot";
/** Long enough for a batch of posts with their timeouts; a crashed run's lease then lapses. */
const LEASE_SECONDS = 120;
const BATCH = 50;

type Kind = "contact" | "conversation" | "message";
type Links = ReturnType<typeof linksOf>;

/** The remote ids of local rows, written the moment Chatwoot answers. */
function linksOf(db: Database, organizationId: string) {
  const where = (kind: Kind, localId: string) =>
    and(
      eq(crmLinks.organizationId, organizationId),
      eq(crmLinks.provider, PROVIDER),
      eq(crmLinks.kind, kind),
      eq(crmLinks.localId, localId),
    );
  return {
    async get(kind: Kind, localId: string) {
      const [row] = await db.select().from(crmLinks).where(where(kind, localId));
      return row;
    },
    async put(kind: Kind, localId: string, remoteId: string, extra?: Record<string, unknown>) {
      await db
        .insert(crmLinks)
        .values({ organizationId, provider: PROVIDER, kind, localId, remoteId, extra: extra ?? null })
        .onConflictDoUpdate({
          target: [crmLinks.organizationId, crmLinks.provider, crmLinks.kind, crmLinks.localId],
          set: { remoteId, extra: extra ?? null },
        });
    },
  };
}

/** Takes the ticket's lease; null while another sync of the ticket holds it. */
async function lease(db: Database, organizationId: string, ticketId: string, jobId: string) {
  const { rows } = await db.execute<{ synced_up_to: string | null }>(sql`
    insert into ${crmTicketSync} (ticket_id, organization_id, provider, locked_by, locked_until)
    values (${ticketId}, ${organizationId}, ${PROVIDER}, ${jobId}, now() + make_interval(secs => ${LEASE_SECONDS}))
    on conflict (ticket_id) do update set locked_by = excluded.locked_by, locked_until = excluded.locked_until, updated_at = now()
    where ${crmTicketSync.lockedUntil} is null or ${crmTicketSync.lockedUntil} < now() or ${crmTicketSync.lockedBy} = excluded.locked_by
    returning synced_up_to`);
  return rows[0] ? { syncedUpTo: rows[0].synced_up_to } : null;
}

async function release(
  db: Database,
  ticketId: string,
  jobId: string,
  values: { syncedUpTo?: string; lastError: string | null },
) {
  await db
    .update(crmTicketSync)
    .set({ lockedBy: null, lockedUntil: null, ...values })
    .where(and(eq(crmTicketSync.ticketId, ticketId), eq(crmTicketSync.lockedBy, jobId)));
}

async function remoteContact(settings: ChatwootConfig, links: Links, contact: typeof contacts.$inferSelect) {
  let link = await links.get("contact", contact.id);
  if (!link) {
    const created = await createChatwootContact(settings, {
      identifier: contact.id,
      name: contact.name,
      phone: contact.phone,
      email: contact.email,
    });
    await links.put("contact", contact.id, created.id, { sourceId: created.sourceId });
    link = await links.get("contact", contact.id);
  }
  if (!link) throw new Error("contact link vanished");
  let sourceId = (link.extra?.sourceId as string | null | undefined) ?? null;
  if (!sourceId) {
    sourceId = await createChatwootContactInbox(settings, link.remoteId);
    await links.put("contact", contact.id, link.remoteId, { sourceId });
  }
  return { id: link.remoteId, sourceId };
}

/** What Chatwoot shows of a message: its text, or what it is (a photo, a voice note) and its caption. */
function content(message: typeof messages.$inferSelect): string {
  const caption = message.body ?? message.media?.caption;
  if (message.type === "text") return cleanText(message.body ?? "") || "[text]";
  return caption ? `[${message.type}] ${cleanText(caption)}` : `[${message.type}]`;
}

/**
 * Mirrors a ticket to Chatwoot up to one message: the contact (once, with its inbox source id),
 * the conversation (once per ticket), then every message not mirrored yet, in order. Each remote
 * id is recorded as soon as Chatwoot answers, so a retry after a 5xx or a timeout resumes where
 * the last attempt stopped and never posts a thing twice. One sync per ticket at a time (a lease):
 * a concurrent one waits and usually finds its message already mirrored.
 */
export const chatwootSyncJob = defineJob({
  name: CHATWOOT_SYNC_JOB,
  payload: z.object({ organizationId: z.uuid(), ticketId: z.uuid(), messageId: z.uuid() }),
  async handle({ db, env, log }, { organizationId, ticketId, messageId }, job) {
    const current = await integrationSettings<ChatwootConfig>(db, env, organizationId, "chatwoot");
    if (!current) return { skipped: "chatwoot not configured" };
    const held = await lease(db, organizationId, ticketId, job.jobId);
    if (!held) throw new RetryableJobError("another sync of this ticket is running", 5);
    if (held.syncedUpTo && held.syncedUpTo >= messageId) {
      await release(db, ticketId, job.jobId, { lastError: null });
      return { skipped: "already mirrored" };
    }
    const settings = current.settings;
    const links = linksOf(db, organizationId);
    let syncedUpTo = held.syncedUpTo ?? undefined;
    let posted = 0;
    try {
      const [row] = await db
        .select({ ticket: tickets, contact: contacts, channelType: channels.type })
        .from(tickets)
        .innerJoin(contacts, eq(contacts.id, tickets.contactId))
        .leftJoin(channels, eq(channels.id, tickets.channelId))
        .where(and(eq(tickets.organizationId, organizationId), eq(tickets.id, ticketId)));
      if (!row) {
        await release(db, ticketId, job.jobId, { lastError: null });
        return { skipped: "ticket gone" };
      }
      let conversation = (await links.get("conversation", ticketId))?.remoteId;
      if (!conversation) {
        const contact = await remoteContact(settings, links, row.contact);
        conversation = await createChatwootConversation(settings, {
          contactId: contact.id,
          sourceId: contact.sourceId,
          ticketNumber: row.ticket.number,
          channel: row.channelType,
        });
        await links.put("conversation", ticketId, conversation);
      }
      for (;;) {
        const batch = await db
          .select()
          .from(messages)
          .where(
            and(
              eq(messages.ticketId, ticketId),
              lte(messages.id, messageId),
              syncedUpTo ? gt(messages.id, syncedUpTo) : undefined,
            ),
          )
          .orderBy(asc(messages.id))
          .limit(BATCH);
        for (const message of batch) {
          if (!(await links.get("message", message.id))) {
            const remote = await createChatwootMessage(settings, conversation, {
              content: content(message),
              incoming: message.direction === "inbound",
            });
            await links.put("message", message.id, remote);
            posted += 1;
          }
          syncedUpTo = message.id;
        }
        if (batch.length < BATCH) break;
      }
    } catch (error) {
      const failure = crmJobError("Chatwoot", error);
      await release(db, ticketId, job.jobId, { syncedUpTo, lastError: cleanText(failure.message).slice(0, 1000) });
      throw failure;
    }
    await release(db, ticketId, job.jobId, { syncedUpTo, lastError: null });
    log.info("chatwoot mirror", { ticketId, posted, conversation: "linked" });
    return { posted };
  },
});
