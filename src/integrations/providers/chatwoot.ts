import * as z from "zod";
import { describeWith, ProviderError, providerFetch, readAnswer } from "@/channels/http";
import type { IntegrationProvider } from "../types";

const config = z.object({
  /** The Chatwoot installation: https://app.chatwoot.com or a self-hosted one. */
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .default("https://app.chatwoot.com"),
  apiAccessToken: z.string().trim().min(1).max(500),
  accountId: z.coerce.number().int().positive(),
  /** An API-channel inbox the mirrored conversations live in. */
  inboxId: z.coerce.number().int().positive(),
});
export type ChatwootConfig = z.infer<typeof config>;

const errorAnswer = z
  .object({ message: z.string().optional(), error: z.string().optional(), errors: z.array(z.unknown()).optional() })
  .transform((e) => ({ message: e.message ?? e.error ?? (e.errors ? JSON.stringify(e.errors) : undefined) }));

const remoteId = z.union([z.number(), z.string()]).transform(String);

async function request(
  settings: ChatwootConfig,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ text: string; status: number }> {
  const base = settings.baseUrl.replace(/\/+$/, "");
  const response = await providerFetch(
    fetch,
    `${base}/api/v1/accounts/${settings.accountId}${path}`,
    {
      method,
      headers: {
        api_access_token: settings.apiAccessToken,
        accept: "application/json",
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    },
    { describe: describeWith(errorAnswer) },
  );
  return { text: await response.text(), status: response.status };
}

/** Chatwoot took the request (2xx) but its answer names no id: posting again could duplicate it. */
function unreadable(what: string, answer: { text: string; status: number }): ProviderError {
  return new ProviderError(`Chatwoot created the ${what} but answered without an id: ${answer.text.slice(0, 200)}`, {
    status: answer.status,
    retryable: false,
  });
}

const contactInbox = z.object({ source_id: z.string(), inbox: z.object({ id: remoteId }).optional() });
const contactAnswer = z.object({
  id: remoteId,
  contact_inboxes: z.array(contactInbox).optional(),
});
// Chatwoot versions answer a create with {payload: {contact, contact_inbox}} or {payload: contact}.
const createdContact = z.object({
  payload: z.union([
    z.object({ contact: contactAnswer, contact_inbox: contactInbox.optional() }),
    contactAnswer.transform((contact) => ({ contact, contact_inbox: undefined })),
  ]),
});

export type ChatwootContact = { id: string; sourceId: string | null };

function sourceIn(settings: ChatwootConfig, contact: z.infer<typeof contactAnswer>, direct?: { source_id: string }) {
  return (
    direct?.source_id ??
    contact.contact_inboxes?.find((ci) => ci.inbox?.id === String(settings.inboxId))?.source_id ??
    null
  );
}

/** A contact in the inbox; `identifier` (Switchboard's contact id) finds it again if an answer was lost. */
export async function createChatwootContact(
  settings: ChatwootConfig,
  contact: { identifier: string; name: string | null; phone: string | null; email: string | null },
): Promise<ChatwootContact> {
  const body = {
    inbox_id: settings.inboxId,
    identifier: contact.identifier,
    name: contact.name ?? contact.phone ?? "Switchboard contact",
    ...(contact.phone ? { phone_number: contact.phone } : {}),
    ...(contact.email ? { email: contact.email } : {}),
  };
  try {
    const answer = await request(settings, "POST", "/contacts", body);
    const created = readAnswer(answer.text, createdContact)?.payload;
    if (!created) throw unreadable("contact", answer);
    return { id: created.contact.id, sourceId: sourceIn(settings, created.contact, created.contact_inbox) };
  } catch (error) {
    // 422 "already taken": the contact exists (an earlier attempt's answer was lost); find it.
    if (!(error instanceof ProviderError) || error.options.status !== 422) throw error;
    const found = await findChatwootContact(settings, contact.identifier);
    if (!found) throw error;
    return found;
  }
}

async function findChatwootContact(settings: ChatwootConfig, identifier: string): Promise<ChatwootContact | null> {
  const answer = await request(settings, "GET", `/contacts/search?q=${encodeURIComponent(identifier)}`);
  const list = readAnswer(
    answer.text,
    z.object({ payload: z.array(contactAnswer.extend({ identifier: z.string().nullish() })) }),
  );
  const contact = list?.payload.find((c) => c.identifier === identifier);
  return contact ? { id: contact.id, sourceId: sourceIn(settings, contact) } : null;
}

/** The contact's source id in the inbox, made when the contact has none there yet. */
export async function createChatwootContactInbox(settings: ChatwootConfig, contactId: string): Promise<string> {
  const answer = await request(settings, "POST", `/contacts/${contactId}/contact_inboxes`, {
    inbox_id: settings.inboxId,
  });
  const source = readAnswer(answer.text, contactInbox)?.source_id;
  if (!source) throw unreadable("contact inbox", answer);
  return source;
}

export async function createChatwootConversation(
  settings: ChatwootConfig,
  input: { contactId: string; sourceId: string | null; ticketNumber: number; channel: string | null },
): Promise<string> {
  const answer = await request(settings, "POST", "/conversations", {
    inbox_id: settings.inboxId,
    contact_id: input.contactId,
    ...(input.sourceId ? { source_id: input.sourceId } : {}),
    additional_attributes: { switchboard_ticket: input.ticketNumber, channel: input.channel },
  });
  const id = readAnswer(answer.text, z.object({ id: remoteId }))?.id;
  if (!id) throw unreadable("conversation", answer);
  return id;
}

export async function createChatwootMessage(
  settings: ChatwootConfig,
  conversationId: string,
  message: { content: string; incoming: boolean },
): Promise<string> {
  const answer = await request(settings, "POST", `/conversations/${conversationId}/messages`, {
    content: message.content,
    message_type: message.incoming ? "incoming" : "outgoing",
    private: false,
  });
  const id = readAnswer(answer.text, z.object({ id: remoteId }))?.id;
  if (!id) throw unreadable("message", answer);
  return id;
}

/** Chatwoot: contacts, conversations and messages mirrored into an API inbox, for teams that work there. */
export const chatwootIntegration: IntegrationProvider<ChatwootConfig> = {
  name: "chatwoot",
  summary: "Chatwoot: every contact, conversation and message mirrored into an API inbox of a Chatwoot account.",
  configSchema: config,
  secretFields: ["apiAccessToken"],
  async test(settings) {
    // Reading the inbox checks the token, the account and the inbox id, and changes nothing.
    await request(settings, "GET", `/inboxes/${settings.inboxId}`);
  },
};
