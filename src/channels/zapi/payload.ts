import * as z from "zod";

// The subset of Z-API's webhook callbacks that Switchboard reads (developer.z-api.io, "Webhooks":
// on-message-received and its per-type examples, message status). Z-API sends many fields as
// explicit nulls (senderPhoto, participantPhone, caption...), so every optional field is nullish;
// unknown fields pass through. The field that carries a message's content (imageUrl, audioUrl...)
// is required once its object is present: without it the body is not what Z-API sends.
const str = z.string().nullish();
const bool = z.boolean().nullish();

export const zapiReceived = z.looseObject({
  type: z.string(),
  messageId: z.string().min(1),
  phone: z.string().min(1),
  fromMe: bool,
  fromApi: bool,
  isGroup: bool,
  isNewsletter: bool,
  isEdit: bool,
  /** Milliseconds since the epoch (Z-API's spelling). */
  momment: z.number().nullish(),
  senderName: str,
  chatName: str,
  participantPhone: str,
  notification: str,
  text: z.looseObject({ message: z.string() }).nullish(),
  image: z.looseObject({ imageUrl: z.string(), caption: str, mimeType: str }).nullish(),
  audio: z.looseObject({ audioUrl: z.string(), mimeType: str, ptt: bool }).nullish(),
  video: z.looseObject({ videoUrl: z.string(), caption: str, mimeType: str }).nullish(),
  document: z
    .looseObject({ documentUrl: z.string(), fileName: str, mimeType: str, caption: str, title: str })
    .nullish(),
  sticker: z.looseObject({ stickerUrl: z.string(), mimeType: str }).nullish(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number(), name: str, address: str, url: str }).nullish(),
  contact: z.looseObject({ displayName: str, vCard: str, phones: z.array(z.string()).nullish() }).nullish(),
  buttonsResponseMessage: z.looseObject({ buttonId: str, message: str }).nullish(),
  listResponseMessage: z.looseObject({ selectedRowId: str, title: str, message: str }).nullish(),
  reaction: z
    .looseObject({
      value: z.string().nullish(),
      referencedMessage: z.looseObject({ messageId: z.string() }),
    })
    .nullish(),
});
export type ZapiReceived = z.infer<typeof zapiReceived>;

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
