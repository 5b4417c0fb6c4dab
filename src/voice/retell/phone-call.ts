import * as z from "zod";
import { acceptedMessageId, describeWith, providerFetch } from "@/channels/http";

export const RETELL_DEFAULT_API_URL = "https://api.retellai.com";

/** Retell's errors read loosely: its answers carry `message` or `error_message`. */
const retellError = z
  .looseObject({ message: z.unknown().optional(), error_message: z.unknown().optional(), code: z.unknown().optional() })
  .transform((answer) => {
    const message = [answer.error_message, answer.message].find((m) => typeof m === "string") as string | undefined;
    return { message, code: typeof answer.code === "string" ? answer.code : undefined };
  });

/** The PhoneCallResponse: {"call_id": "...", "call_status": "registered", ...}. */
const phoneCallAnswer = z.looseObject({ call_id: z.string().min(1).max(200) }).transform((answer) => answer.call_id);

/**
 * Places a call through Retell (POST /v2/create-phone-call, bearer API key) and returns Retell's
 * call_id, which its webhooks then carry. The agent is the channel's number's agent unless
 * `agentId` overrides it for this call.
 */
export async function createRetellPhoneCall(
  ctx: { baseUrl: string; fetch: typeof fetch },
  apiKey: string,
  call: { from: string; to: string; agentId?: string | null; metadata: Record<string, unknown> },
): Promise<string> {
  const response = await providerFetch(
    ctx.fetch,
    `${ctx.baseUrl.replace(/\/+$/, "")}/v2/create-phone-call`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        from_number: call.from,
        to_number: call.to,
        ...(call.agentId ? { override_agent_id: call.agentId } : {}),
        metadata: call.metadata,
      }),
    },
    { describe: describeWith(retellError) },
  );
  return acceptedMessageId("Retell", response, phoneCallAnswer);
}
