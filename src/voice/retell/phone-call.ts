import type { CallCreatePhoneCallParams } from "retell-sdk/resources/call";
import * as z from "zod";
import { type RetellApi, retellRequest } from "./api";

/** The PhoneCallResponse: {"call_id": "...", "call_status": "registered", ...}. */
const phoneCallAnswer = z.looseObject({ call_id: z.string().min(1).max(200) }).transform((answer) => answer.call_id);

// Checked against the SDK's own parameter type at compile time (the SDK client stays out of the bundle).
type PhoneCallBody = Pick<CallCreatePhoneCallParams, "from_number" | "to_number" | "override_agent_id" | "metadata">;

/**
 * Places a call through Retell (POST /v2/create-phone-call) and returns Retell's call_id, which
 * its webhooks then carry. The agent is the number's own unless `agentId` overrides it for this
 * call. A 2xx answer without a call_id is a final ProviderError (the call may be ringing).
 */
export async function createRetellPhoneCall(
  api: RetellApi,
  call: { from: string; to: string; agentId?: string | null; metadata: Record<string, unknown> },
): Promise<string> {
  const body: PhoneCallBody = {
    from_number: call.from,
    to_number: call.to,
    ...(call.agentId ? { override_agent_id: call.agentId } : {}),
    metadata: call.metadata,
  };
  return retellRequest(api, "POST", "/v2/create-phone-call", { body, schema: phoneCallAnswer });
}
