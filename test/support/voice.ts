// Voice notes on every messaging channel: a channel (optionally covered by an AI agent) whose
// provider fake serves one audio file, and the webhook that tells Switchboard about it, shaped as
// each provider sends it. The model fake is the organization's own scope (modelScope).
import { and, eq } from "drizzle-orm";
import { inject } from "vitest";
import { messages, outbox } from "@/db/schema";
import { modelScope } from "./ai";
import { postBuilderbot } from "./builderbot";
import { withDb } from "./db";
import { createTenant, unique } from "./fixtures";
import { call } from "./http";
import { metaMessagePayload, postMeta } from "./meta";
import { transcription } from "./openai-fake";
import { createChannel, type RecordedRequest, scriptFake } from "./provider";
import { postTelegram, telegramMessage, telegramUpdate } from "./telegram";
import { accountSid, mediaSid, messageSid, postTwilio, twilioInboundParams } from "./twilio";
import { postZapi, zapiReceivedPayload, zapiSecretOf } from "./zapi";

export const providers = ["whatsapp_meta", "whatsapp_zapi", "whatsapp_builderbot", "twilio_sms", "telegram"] as const;
export type Provider = (typeof providers)[number];

/** The bytes of the "voice note" every fake serves (an Ogg page header and some filler). */
export const AUDIO = `OggS${"\u0001".repeat(3)}voice-note-bytes-${"x".repeat(40)}`;

type Voice = {
  channelId: string;
  /** Where the audio file itself is served (the second hop for Meta and Telegram). */
  filePrefix: string;
  /** Where the media id is looked up first (Meta's Graph API, Telegram's getFile). */
  lookupPrefix?: string;
  /** The request(s) that must carry the channel's credentials, and what they must carry. */
  credentials: (file: RecordedRequest[], lookup: RecordedRequest[]) => void;
  /** Where the channel's outbound messages go. */
  sentPrefix: string;
  post: (options?: { seconds?: number; env?: Record<string, unknown> }) => Promise<{ status: number; text: string }>;
  /** Posts a text message from the same customer. */
  text: (body: string, env?: Record<string, unknown>) => Promise<{ status: number; text: string }>;
};

type Scripted = { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

const fakes = () => inject("fakesUrl");
const AUDIO_ANSWER: Scripted = { status: 200, body: AUDIO, headers: { "content-type": "audio/ogg" } };
/** What the media URL answers, in order (set by voiceChannel for the setup it runs). */
let fileAnswers: Scripted[] = [AUDIO_ANSWER];
const serveAudio = (prefix: string) => scriptFake(prefix, fileAnswers);

async function meta(token: string, expect: (ok: boolean, what: string) => void): Promise<Voice> {
  const phoneNumberId = unique("pn");
  const config = { phoneNumberId, accessToken: unique("EAAG"), appSecret: unique("secret"), verifyToken: "v" };
  const channel = await createChannel(token, { type: "whatsapp_meta", config });
  const mediaId = unique("1234");
  const filePrefix = `/meta-cdn/${mediaId}/`;
  await scriptFake(`/meta/v21.0/${mediaId}`, [
    {
      status: 200,
      body: {
        url: `${fakes()}${filePrefix}audio.ogg`,
        mime_type: "audio/ogg; codecs=opus",
        id: mediaId,
        file_size: 60,
      },
    },
  ]);
  await serveAudio(filePrefix);
  const from = `55119${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;
  return {
    channelId: channel.id,
    filePrefix,
    sentPrefix: `/meta/v21.0/${phoneNumberId}/`,
    credentials: (file, lookup) => {
      const bearer = `Bearer ${config.accessToken}`;
      expect(lookup.length === 1 && lookup[0]?.headers.authorization === bearer, "bearer on GET /{media-id}");
      expect(file.length === 1 && file[0]?.headers.authorization === bearer, "bearer on the media URL");
    },
    post: (options = {}) =>
      postMeta(
        channel.id,
        config.appSecret,
        metaMessagePayload(phoneNumberId, {
          type: "audio",
          from,
          audio: { id: mediaId, mime_type: "audio/ogg; codecs=opus", voice: true },
        }),
        { env: options.env },
      ),
    text: (body, env) =>
      postMeta(
        channel.id,
        config.appSecret,
        metaMessagePayload(phoneNumberId, { type: "text", text: { body }, from }),
        {
          env,
        },
      ),
    lookupPrefix: `/meta/v21.0/${mediaId}`,
  };
}

async function zapi(token: string, expect: (ok: boolean, what: string) => void): Promise<Voice> {
  const config = { instanceId: unique("3C67AB"), instanceToken: unique("tok"), clientToken: unique("ct") };
  const channel = await createChannel(token, { type: "whatsapp_zapi", config });
  const secret = zapiSecretOf(channel.webhookUrls.webhook as string);
  const filePrefix = `/zapi-media/${unique("f")}/`;
  await serveAudio(filePrefix);
  return {
    channelId: channel.id,
    filePrefix,
    sentPrefix: `/zapi/instances/${config.instanceId}/`,
    credentials: (requests) =>
      expect(requests.length === 1 && !requests[0]?.headers["client-token"], "a plain GET of audioUrl"),
    post: (options: { seconds?: number; env?: Record<string, unknown> } = {}) =>
      postZapi(
        channel.id,
        secret,
        zapiReceivedPayload({
          audio: {
            ptt: true,
            seconds: options.seconds ?? 5,
            audioUrl: `${fakes()}${filePrefix}3EB0.ogg`,
            mimeType: "audio/ogg; codecs=opus",
          },
        }),
        { env: options.env },
      ),
    text: (body: string, env?: Record<string, unknown>) =>
      postZapi(channel.id, secret, zapiReceivedPayload({ text: { message: body } }), { env }),
  };
}

async function builderbot(token: string, expect: (ok: boolean, what: string) => void): Promise<Voice> {
  const config = { apiKey: unique("bbkey"), botId: unique("bot"), webhookToken: unique("whtoken") };
  const channel = await createChannel(token, { type: "whatsapp_builderbot", config });
  const filePrefix = `/builderbot/tmp/${unique("f")}/`;
  await serveAudio(filePrefix);
  const from = `55119${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;
  return {
    channelId: channel.id,
    filePrefix,
    sentPrefix: `/builderbot/api/v2/${config.botId}/`,
    // The file is on BuilderBot's own API origin (the fake), so the project key goes with it.
    credentials: (requests) =>
      expect(requests.length === 1 && requests[0]?.headers["x-api-builderbot"] === config.apiKey, "the project key"),
    post: (options: { env?: Record<string, unknown> } = {}) =>
      postBuilderbot(
        channel.id,
        config.webhookToken,
        {
          eventName: "message.incoming",
          data: {
            body: `_event_voice_note__${crypto.randomUUID()}`,
            name: "Maria Cliente",
            from,
            attachment: [],
            urlTempFile: `${fakes()}${filePrefix}voice.ogg`,
            projectId: "0c6a1f5e-6f5b-4a53-9c8e-3d2b1a0f9e8d",
          },
        },
        { env: options.env },
      ),
    text: (body: string, env?: Record<string, unknown>) =>
      postBuilderbot(
        channel.id,
        config.webhookToken,
        { eventName: "message.incoming", data: { body, name: "Maria Cliente", from, attachment: [] } },
        { env },
      ),
  };
}

async function twilio(token: string, expect: (ok: boolean, what: string) => void): Promise<Voice> {
  const account = accountSid();
  const config = { authToken: unique("tw"), accountSid: account, phoneNumber: "+14155550100" };
  const channel = await createChannel(token, { type: "twilio_sms", config });
  const sid = messageSid();
  const filePrefix = `/twilio/2010-04-01/Accounts/${account}/Messages/${sid}/Media/`;
  await serveAudio(filePrefix);
  const from = `+55119${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;
  return {
    channelId: channel.id,
    filePrefix,
    sentPrefix: `/twilio/2010-04-01/Accounts/${account}/Messages.json`,
    credentials: (requests) => {
      const basic = `Basic ${btoa(`${account}:${config.authToken}`)}`;
      expect(requests.length === 1 && requests[0]?.headers.authorization === basic, "basic auth on MediaUrl");
    },
    post: (options: { env?: Record<string, unknown> } = {}) =>
      postTwilio(
        channel.id,
        "sms",
        config.authToken,
        twilioInboundParams(account, {
          MessageSid: sid,
          From: from,
          Body: "",
          NumMedia: "1",
          MediaContentType0: "audio/ogg",
          MediaUrl0: `${fakes()}${filePrefix}${mediaSid()}`,
        }),
        { env: options.env },
      ),
    text: (body: string, env?: Record<string, unknown>) =>
      postTwilio(channel.id, "sms", config.authToken, twilioInboundParams(account, { From: from, Body: body }), {
        env,
      }),
  };
}

async function telegram(token: string, expect: (ok: boolean, what: string) => void): Promise<Voice> {
  const botToken = `${1000000 + Math.floor(Math.random() * 8999999)}:AAF${unique("t").replace(/[^A-Za-z0-9]/g, "")}`;
  const channel = await createChannel(token, { type: "telegram", config: { botToken } });
  const secret = channel.webhookUrls.secretToken as string;
  const fileId = unique("AwACAgEAAxkBAAI");
  await scriptFake(`/telegram/bot${botToken}/getFile`, [
    { status: 200, body: { ok: true, result: { file_id: fileId, file_size: 60, file_path: "voice/file_7.oga" } } },
  ]);
  const filePrefix = `/telegram/file/bot${botToken}/`;
  await serveAudio(filePrefix);
  const chat = { id: 900_000_000 + Math.floor(Math.random() * 9_999_999), first_name: "Maria", type: "private" };
  return {
    channelId: channel.id,
    lookupPrefix: `/telegram/bot${botToken}/getFile`,
    filePrefix,
    sentPrefix: `/telegram/bot${botToken}/send`,
    credentials: (file, lookup) => {
      expect(lookup.length === 1 && lookup[0]?.path.endsWith(`file_id=${fileId}`) === true, "getFile by file_id");
      expect(file.length === 1 && file[0]?.path === `${filePrefix}voice/file_7.oga`, "the file_path of getFile");
    },
    post: (options: { seconds?: number; env?: Record<string, unknown> } = {}) =>
      postTelegram(
        channel.id,
        secret,
        telegramUpdate(
          telegramMessage(
            {
              voice: { file_id: fileId, file_unique_id: "u1", duration: options.seconds ?? 4, mime_type: "audio/ogg" },
            },
            chat,
          ),
        ),
        { env: options.env },
      ),
    text: (body: string, env?: Record<string, unknown>) =>
      postTelegram(channel.id, secret, telegramUpdate(telegramMessage({ text: body }, chat)), { env }),
  };
}

const setups = {
  whatsapp_meta: meta,
  whatsapp_zapi: zapi,
  whatsapp_builderbot: builderbot,
  twilio_sms: twilio,
  telegram,
};

/**
 * An organization with a `provider` channel whose fake serves one voice note, model access through
 * the deployment's key (its own model scope), and an AI agent on the channel unless `agent: false`.
 */
export async function voiceChannel(
  provider: Provider,
  options: {
    agent?: false | Record<string, unknown>;
    queue?: boolean;
    /** What the media URL answers, in order (default: the audio file once). */
    file?: Scripted[];
  } = {},
) {
  const tenant = await createTenant();
  const model = modelScope();
  const failures: string[] = [];
  fileAnswers = (options.file ?? [AUDIO_ANSWER]).map((answer) => (answer.status === 200 ? AUDIO_ANSWER : answer));
  const voice = await setups[provider](tenant.token, (ok, what) => {
    if (!ok) failures.push(what);
  });
  const queue = options.queue
    ? await call("/api/queues", { token: tenant.token, json: { name: unique("Vendas ") } })
    : undefined;
  let agentId: string | undefined;
  if (options.agent !== false) {
    const created = await call("/api/ai/agents", {
      token: tenant.token,
      json: {
        name: "Sofia",
        instructions: "Você é a Sofia, SDR da Acme.",
        channelIds: [voice.channelId],
        debounceSeconds: 0,
        ...(queue ? { handoffQueueId: queue.body.id } : {}),
        ...options.agent,
      },
    });
    if (created.status !== 201) throw new Error(`agent create failed: ${created.status} ${created.text}`);
    agentId = created.body.id;
  }
  const transcriptionPath = `/openai/${model.baseUrl.split("/openai/")[1]}/audio/transcriptions`;
  return {
    tenant,
    model,
    env: model.env,
    agentId,
    queueId: queue?.body.id as string | undefined,
    ...voice,
    /** The credential checks that failed, by what they check. */
    credentialFailures: failures,
    transcriptionPath,
    scriptTranscripts: (
      answers: (
        | { text: string; seconds: number }
        | { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
      )[],
    ) =>
      scriptFake(
        transcriptionPath,
        answers.map((a) => ("text" in a ? { status: 200, body: transcription(a.text, a.seconds) } : a)),
      ),
    ticketId: async () => {
      const list = await call(`/api/tickets?channelId=${voice.channelId}`, { token: tenant.token });
      return list.body.data[0]?.id as string;
    },
  };
}

/** The organization's inbound audio messages, as stored. */
export const audioMessages = (organizationId: string) =>
  withDb((db) =>
    db
      .select()
      .from(messages)
      .where(and(eq(messages.organizationId, organizationId), eq(messages.type, "audio")))
      .orderBy(messages.id),
  );

export const transcribeJobs = (organizationId: string) =>
  withDb((db) =>
    db
      .select()
      .from(outbox)
      .where(and(eq(outbox.organizationId, organizationId), eq(outbox.name, "message.transcribe")))
      .orderBy(outbox.id),
  );
