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

/** A message's envelope; its content (text, photo, ...) is read by the schemas below, one per field. */
export const telegramMessage = z.looseObject({
  message_id: z.number(),
  date: z.number(),
  chat,
  from: user.optional(),
});
export type TelegramMessage = z.infer<typeof telegramMessage>;
export type TelegramChat = z.infer<typeof chat>;
export type TelegramUser = z.infer<typeof user>;

// A message's content, one field per kind: a field that does not read makes the message
// "unsupported", not malformed.
export const telegramText = z.string();
export const telegramPhoto = z.array(photoSize).min(1);
export const telegramFile = file;
/** getFile's answer: {ok, result: File}; file_path is missing when the file cannot be served. */
export const telegramFileInfo = z
  .looseObject({
    result: z.looseObject({ file_path: z.string().optional(), file_size: z.number().optional() }),
  })
  .transform((answer) => answer.result);
export const telegramSticker = file.extend({
  emoji: z.string().optional(),
  is_animated: z.boolean().optional(),
  is_video: z.boolean().optional(),
});
export const telegramLocation = location;
export const telegramVenue = z.looseObject({ location, title: z.string(), address: z.string() });
export const telegramContact = z.looseObject({
  phone_number: z.string(),
  first_name: z.string(),
  last_name: z.string().optional(),
  user_id: z.number().optional(),
  vcard: z.string().optional(),
});

/** Any other update kind that happens in a chat (message_reaction, business_message, ...). */
export const telegramChatUpdate = z.looseObject({
  chat,
  from: user.optional(),
  user: user.optional(),
  date: z.number().optional(),
});

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
export type TelegramUpdate = z.infer<typeof telegramUpdate>;

// Service messages: what happened in the chat (members, titles, pins, payments), not what a customer wrote.
export const SERVICE_FIELDS: readonly string[] = [
  "new_chat_members",
  "left_chat_member",
  "new_chat_title",
  "new_chat_photo",
  "delete_chat_photo",
  "group_chat_created",
  "supergroup_chat_created",
  "channel_chat_created",
  "message_auto_delete_timer_changed",
  "migrate_to_chat_id",
  "migrate_from_chat_id",
  "pinned_message",
  "successful_payment",
  "refunded_payment",
  "users_shared",
  "chat_shared",
  "connected_website",
  "write_access_allowed",
  "proximity_alert_triggered",
  "boost_added",
  "chat_background_set",
  "forum_topic_created",
  "forum_topic_edited",
  "forum_topic_closed",
  "forum_topic_reopened",
  "general_forum_topic_hidden",
  "general_forum_topic_unhidden",
  "giveaway_created",
  "giveaway_completed",
  "video_chat_scheduled",
  "video_chat_started",
  "video_chat_ended",
  "video_chat_participants_invited",
];

// Objects of a message that describe it (who, where, what it answers) rather than carry its content.
export const ENVELOPE_OBJECTS: ReadonlySet<string> = new Set([
  "from",
  "chat",
  "sender_chat",
  "sender_business_bot",
  "forward_origin",
  "forward_from",
  "forward_from_chat",
  "reply_to_message",
  "external_reply",
  "quote",
  "reply_to_story",
  "via_bot",
  "entities",
  "caption_entities",
  "link_preview_options",
  "reply_markup",
]);

// Update kinds that are no customer's message in a chat: edits, channel posts, membership, inline
// mode, payments, boosts. Any other kind that names a chat is kept as an unsupported message.
export const NOT_MESSAGES: ReadonlySet<string> = new Set([
  "edited_message",
  "channel_post",
  "edited_channel_post",
  "business_connection",
  "edited_business_message",
  "deleted_business_messages",
  "message_reaction_count",
  "inline_query",
  "chosen_inline_result",
  "shipping_query",
  "pre_checkout_query",
  "purchased_paid_media",
  "poll",
  "poll_answer",
  "my_chat_member",
  "chat_member",
  "chat_join_request",
  "chat_boost",
  "removed_chat_boost",
]);

// Answers of the Bot API: {"ok": true, "result": ...} or {"ok": false, "error_code", "description", "parameters"}.

export const telegramSendAnswer = z
  .looseObject({ ok: z.literal(true), result: z.looseObject({ message_id: z.number() }) })
  .transform((answer) => String(answer.result.message_id));

export const telegramErrorAnswer = z
  .looseObject({ error_code: z.number().optional(), description: z.string().optional() })
  .transform((answer) => ({
    message: answer.description,
    code: answer.error_code === undefined ? undefined : String(answer.error_code),
  }));

/** A 429 states its wait in the body (parameters.retry_after), not in a Retry-After header. */
export const telegramRetryAfter = z
  .looseObject({ parameters: z.looseObject({ retry_after: z.number() }) })
  .transform((answer) => answer.parameters.retry_after);
