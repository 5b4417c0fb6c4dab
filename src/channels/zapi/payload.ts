import * as z from "zod";

// The subset of Z-API's webhook callbacks that Switchboard reads (developer.z-api.io, "Webhooks":
// on-message-received and its per-type examples, message status). Z-API sends many fields as
// explicit nulls (senderPhoto, participantPhone, caption...), so every optional field is nullish;
// unknown fields pass through. The field that carries a message's content (imageUrl, audioUrl...)
// is required once its object is present: without it the content does not read.
const str = z.string().nullish();
const bool = z.boolean().nullish();

/** A received message's envelope: who, when, which id, and the flags that decide whether it is ours. */
export const zapiReceived = z.looseObject({
  type: z.string(),
  messageId: z.string().min(1),
  phone: z.string().min(1),
  fromMe: bool,
  fromApi: bool,
  isGroup: bool,
  isNewsletter: bool,
  isEdit: bool,
  /** A message WhatsApp has not decrypted yet ("waiting for this message"). */
  waitingMessage: bool,
  /** Milliseconds since the epoch (Z-API's spelling). */
  momment: z.number().nullish(),
  senderName: str,
  chatName: str,
  participantPhone: str,
  notification: str,
});
export type ZapiReceived = z.infer<typeof zapiReceived>;

// A received message's content, one object per kind (text, image, ...), each read by its own
// schema: a message whose content object does not read is "unsupported", not malformed.
export const zapiText = z.looseObject({ message: z.string() });
export const zapiImage = z.looseObject({ imageUrl: z.string(), caption: str, mimeType: str });
export const zapiAudio = z.looseObject({ audioUrl: z.string(), mimeType: str, ptt: bool });
export const zapiVideo = z.looseObject({ videoUrl: z.string(), caption: str, mimeType: str });
export const zapiDocument = z.looseObject({
  documentUrl: z.string(),
  fileName: str,
  mimeType: str,
  caption: str,
  title: str,
});
export const zapiSticker = z.looseObject({ stickerUrl: z.string(), mimeType: str });
export const zapiLocation = z.looseObject({
  latitude: z.number(),
  longitude: z.number(),
  name: str,
  address: str,
  url: str,
});
export const zapiContact = z.looseObject({ displayName: str, vCard: str, phones: z.array(z.string()).nullish() });
export const zapiButtonsResponse = z.looseObject({ buttonId: str, message: str });
export const zapiListResponse = z.looseObject({ selectedRowId: str, title: str, message: str });
export const zapiReaction = z.looseObject({
  value: z.string().nullish(),
  referencedMessage: z.looseObject({ messageId: z.string() }),
});

export const zapiStatus = z.looseObject({
  type: z.string(),
  status: z.string(),
  ids: z.array(z.string().min(1)),
  momment: z.number().nullish(),
  phone: str,
});
export type ZapiStatus = z.infer<typeof zapiStatus>;

/** Every callback names its kind: ReceivedCallback, MessageStatusCallback, DeliveryCallback, ... */
export const zapiCallback = z.looseObject({ type: z.string() });
export type ZapiCallback = z.infer<typeof zapiCallback>;

// Answers of the Z-API to a send.

/** {"zaapId", "messageId", "id"}: the first of messageId, zaapId and id that is set. */
export const zapiSendAnswer = z
  .looseObject({ messageId: z.unknown().optional(), zaapId: z.unknown().optional(), id: z.unknown().optional() })
  .transform((answer) =>
    [answer.messageId, answer.zaapId, answer.id].find((v): v is string => typeof v === "string" && v !== ""),
  );

/** {"error": "...", "message": "..."} */
export const zapiErrorAnswer = z
  .looseObject({ error: z.unknown().optional(), message: z.unknown().optional() })
  .transform((answer) => {
    const parts = [answer.error, answer.message].filter((v): v is string => typeof v === "string" && v !== "");
    return { message: parts.join(": ") || undefined };
  });
