// Loopback fakes of the CRMs (served by fakes.ts): Chatwoot's application API under
// /chatwoot/<scope>/api/v1/accounts/<id>/..., PipeRun's API under /piperun/<scope>/v1/...
// Slack's incoming webhooks under /slack/<scope>/services/...
// Shaped like the real answers; a token "bad-token" is refused (401) the way they refuse it.

export const REFUSED_CRM_TOKEN = "bad-token";

let counter = 1000;
const next = () => ++counter;

function chatwoot(path: string, method: string, headers: Record<string, string>) {
  if (headers.api_access_token === REFUSED_CRM_TOKEN || !headers.api_access_token) {
    return { status: 401, body: { errors: ["You need to sign in or sign up before continuing."] } };
  }
  const route = path.replace(/^\/chatwoot\/[^/]+\/api\/v1\/accounts\/\d+/, "");
  if (method === "GET" && /^\/inboxes\/\d+$/.test(route)) {
    return {
      status: 200,
      body: { id: Number(route.split("/")[2]), name: "Switchboard", channel_type: "Channel::Api" },
    };
  }
  if (method === "GET" && route.startsWith("/contacts/search")) return { status: 200, body: { payload: [] } };
  if (method === "POST" && route === "/contacts") {
    const id = next();
    return {
      status: 200,
      body: {
        payload: {
          contact: { id, contact_inboxes: [] },
          contact_inbox: { source_id: `src-${id}`, inbox: { id: 1 } },
        },
      },
    };
  }
  if (method === "POST" && /^\/contacts\/\d+\/contact_inboxes$/.test(route)) {
    return { status: 200, body: { source_id: `src-${next()}`, inbox: { id: 1 } } };
  }
  if (method === "POST" && route === "/conversations") return { status: 200, body: { id: next(), inbox_id: 1 } };
  if (method === "POST" && /^\/conversations\/\d+\/messages$/.test(route)) {
    return { status: 200, body: { id: next(), message_type: 1 } };
  }
  return { status: 404, body: { error: `no chatwoot fake for ${method} ${route}` } };
}

function piperun(path: string, method: string, headers: Record<string, string>) {
  if (headers.token === REFUSED_CRM_TOKEN || !headers.token) {
    return { status: 401, body: { success: false, message: "Token inválido" } };
  }
  const route = path.replace(/^\/piperun\/[^/]+\/v1/, "");
  if (method === "GET" && /^\/pipelines\/\d+$/.test(route)) {
    return { status: 200, body: { success: true, data: { id: Number(route.split("/")[2]), name: "Vendas" } } };
  }
  if (method === "POST" && route === "/deals") return { status: 200, body: { success: true, data: { id: next() } } };
  return { status: 404, body: { success: false, message: `no piperun fake for ${method} ${route}` } };
}

/** Slack incoming webhooks under /slack/<scope>/services/...: "ok", or no_service for a revoked one. */
function slack(path: string, method: string) {
  if (method !== "POST") return { status: 405, body: "invalid_method" };
  if (path.includes("/revoked")) return { status: 404, body: "no_service" };
  return { status: 200, body: "ok" };
}

export function crmAnswer(
  path: string,
  method: string,
  headers: Record<string, string>,
): { status: number; body: unknown } | undefined {
  if (path.startsWith("/chatwoot/")) return chatwoot(path, method, headers);
  if (path.startsWith("/piperun/")) return piperun(path, method, headers);
  if (path.startsWith("/slack/")) return slack(path, method);
  return undefined;
}
