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

export const builderbotIncoming = z.looseObject({
  from: z.union([z.string().min(1), z.number()]).transform(String),
  body: text,
  name: text,
  attachment: z.array(builderbotAttachment).nullish(),
  urlTempFile: text,
  // Not in BuilderBot's published examples; read when present (provider-specific message ids).
  messageId: text,
  id: z.union([z.string(), z.number()]).nullish(),
  key: z.looseObject({ id: text }).nullish(),
});
export type BuilderbotIncoming = z.infer<typeof builderbotIncoming>;

export const builderbotWebhook = z.looseObject({
  eventName: z.string().min(1),
  data: z.unknown().optional(),
});
