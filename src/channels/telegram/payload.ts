import * as z from "zod";

// The subset of the Telegram Bot API's Update (core.telegram.org/bots/api#update) that
// Switchboard reads. Unknown fields pass through; a missing required field makes the body malformed.
const user = z.looseObject({
  id: z.number(),
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});

const chat = z.looseObject({
  id: z.number(),
  type: z.string(),
  title: z.string().optional(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
});

const file = z.looseObject({
  file_id: z.string(),
  file_unique_id: z.string().optional(),
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
  file_size: z.number().optional(),
});

const photoSize = file.extend({ width: z.number(), height: z.number() });

const location = z.looseObject({ latitude: z.number(), longitude: z.number() });

export const telegramMessage = z.looseObject({
  message_id: z.number(),
  date: z.number(),
  chat,
  from: user.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  photo: z.array(photoSize).optional(),
  voice: file.optional(),
  audio: file.optional(),
  document: file.optional(),
  video: file.optional(),
  video_note: file.optional(),
  animation: file.optional(),
  sticker: file
    .extend({ emoji: z.string().optional(), is_animated: z.boolean().optional(), is_video: z.boolean().optional() })
    .optional(),
  location: location.optional(),
  venue: z.looseObject({ location, title: z.string(), address: z.string() }).optional(),
  contact: z
    .looseObject({
      phone_number: z.string(),
      first_name: z.string(),
      last_name: z.string().optional(),
      user_id: z.number().optional(),
      vcard: z.string().optional(),
    })
    .optional(),
  reply_markup: z.looseObject({}).optional(),
});
export type TelegramMessage = z.infer<typeof telegramMessage>;
export type TelegramChat = z.infer<typeof chat>;
export type TelegramUser = z.infer<typeof user>;

export const telegramCallbackQuery = z.looseObject({
  id: z.string(),
  from: user,
  // The message with the button; absent for inline-mode messages (then inline_message_id is set).
  message: z
    .looseObject({
      message_id: z.number(),
      chat,
      reply_markup: z
        .looseObject({
          inline_keyboard: z
            .array(z.array(z.looseObject({ text: z.string(), callback_data: z.string().optional() })))
            .optional(),
        })
        .optional(),
    })
    .optional(),
  data: z.string().optional(),
});
export type TelegramCallbackQuery = z.infer<typeof telegramCallbackQuery>;

export const telegramUpdate = z.looseObject({
  update_id: z.number().int(),
  message: telegramMessage.optional(),
  callback_query: telegramCallbackQuery.optional(),
});
