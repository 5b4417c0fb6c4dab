import * as z from "zod";

// The subset of the WhatsApp Cloud API webhook that Switchboard reads. Unknown fields pass
// through (Meta adds fields without notice). A missing envelope field (entry, changes, a message's
// id or sender) makes the body malformed; a message's typed sub-object (text, image, ...) is read
// by its own schema below, and one that is missing or unreadable makes the message "unsupported".

/** A message's envelope: who, when, which id, and the type that names its sub-object. */
export const metaMessage = z.looseObject({
  from: z.string(),
  id: z.string(),
  timestamp: z.string(),
  type: z.string(),
});
export type MetaMessage = z.infer<typeof metaMessage>;

export const metaMedia = z.looseObject({
  id: z.string(),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
});

/** GET /{media-id}: where the file is for the next few minutes. */
export const metaMediaInfo = z.looseObject({
  url: z.string(),
  mime_type: z.string().optional(),
  file_size: z.coerce.number().optional(),
});

export const metaText = z.looseObject({ body: z.string() });

export const metaLocation = z.looseObject({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
});

export const metaContacts = z.array(z.looseObject({}));

const reply = z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() });

/** Interactive replies: buttons, list rows, WhatsApp Flows (nfm_reply); the subtype names the field. */
export const metaInteractive = z.looseObject({
  type: z.string(),
  button_reply: reply.optional(),
  list_reply: reply.optional(),
  nfm_reply: z
    .looseObject({ name: z.string().optional(), body: z.string().optional(), response_json: z.string().optional() })
    .optional(),
  /** Meta reports an interactive message it could not deliver whole with errors instead of content. */
  errors: z.array(z.unknown()).optional(),
});
export type MetaInteractive = z.infer<typeof metaInteractive>;

/** A quick-reply button of a template message. */
export const metaButton = z.looseObject({ payload: z.string().optional(), text: z.string() });

export const metaReaction = z.looseObject({ message_id: z.string(), emoji: z.string().optional() });

export const metaStatus = z.looseObject({
  id: z.string(),
  status: z.string(),
  timestamp: z.string(),
  recipient_id: z.string().optional(),
  errors: z
    .array(z.looseObject({ code: z.number(), title: z.string().optional(), message: z.string().optional() }))
    .optional(),
});
export type MetaStatus = z.infer<typeof metaStatus>;

export const metaWebhook = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string(),
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.looseObject({
            metadata: z.looseObject({ phone_number_id: z.string() }).optional(),
            contacts: z
              .array(z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string() }).optional() }))
              .optional(),
            messages: z.array(metaMessage).optional(),
            statuses: z.array(metaStatus).optional(),
          }),
        }),
      ),
    }),
  ),
});
export type MetaWebhook = z.infer<typeof metaWebhook>;

// Answers of the Graph API to a send.

/** {"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]} */
export const metaSendAnswer = z
  .looseObject({ messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1) })
  .transform((answer) => answer.messages[0]?.id);

/** {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}} */
export const metaErrorAnswer = z
  .looseObject({
    error: z.looseObject({ message: z.string().optional(), code: z.union([z.number(), z.string()]).optional() }),
  })
  .transform(({ error }) => ({
    message: error.message,
    code: error.code === undefined ? undefined : String(error.code),
  }));
