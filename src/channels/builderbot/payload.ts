import * as z from "zod";

// The subset of BuilderBot Cloud's project webhooks that Switchboard reads:
//   {"eventName": "message.incoming", "data": {"body", "name", "from", "attachment", "urlTempFile", ...}}
// (also message.outgoing, for the bot's own answers). BuilderBot documents little of this shape,
// so the parser is tolerant: unknown fields pass through, ids and media may or may not be there.

const text = z.string().nullish();

/** An attachment: a URL, or an object with a URL and (spelled several ways) its MIME type. */
export const builderbotAttachment = z.union([
  z.string(),
  z.looseObject({
    url: text,
    mimetype: text,
    mime_type: text,
    mimeType: text,
    filename: text,
    fileName: text,
    caption: text,
  }),
]);

/** A message.incoming event's envelope: who wrote, and the ids some BuilderBot versions add. */
export const builderbotIncoming = z.looseObject({
  from: z.union([z.string().min(1), z.number()]).transform(String),
  name: text,
  // Not in BuilderBot's published examples; read when present (provider-specific message ids).
  messageId: text,
  id: z.union([z.string(), z.number()]).nullish(),
  key: z.looseObject({ id: text }).nullish(),
});
export type BuilderbotIncoming = z.infer<typeof builderbotIncoming>;

/** What the message says: its text (or a placeholder), attachments and a temporary file URL. */
export const builderbotContent = z.looseObject({
  body: text,
  attachment: z.array(builderbotAttachment).nullish(),
  urlTempFile: text,
});
export type BuilderbotContent = z.infer<typeof builderbotContent>;

export const builderbotWebhook = z.looseObject({
  eventName: z.string().min(1),
  data: z.unknown().optional(),
});

export const builderbotIncomingWebhook = z.looseObject({ eventName: z.string(), data: builderbotIncoming });

// Answers of the BuilderBot API to a send.

const messageIds = { messageId: z.unknown().optional(), id: z.unknown().optional() };
const firstId = (values: unknown[]) => {
  const id = values.find((v) => (typeof v === "string" && v !== "") || typeof v === "number");
  return id === undefined ? undefined : String(id);
};

/** The id, when there is one, at the top or under data: {"messageId"}, {"id"}, {"data": {"id"}}. */
export const builderbotSendAnswer = z
  .looseObject({ ...messageIds, data: z.looseObject(messageIds).nullish().catch(undefined) })
  .transform((a) => firstId([a.messageId, a.id, a.data?.messageId, a.data?.id]));

/** {"error" | "message": "...", "code": ...} */
export const builderbotErrorAnswer = z
  .looseObject({ error: z.unknown().optional(), message: z.unknown().optional(), code: z.unknown().optional() })
  .transform((answer) => ({
    message: [answer.error, answer.message].find((v): v is string => typeof v === "string" && v !== ""),
    code: typeof answer.code === "string" || typeof answer.code === "number" ? String(answer.code) : undefined,
  }));
