import { registerAgentRoutes } from "@/agents/routes";
import { registerAiRoutes } from "@/ai/routes";
import { registerApiKeyRoutes } from "@/api-keys/routes";
import { registerAuditRoutes } from "@/audit/routes";
import { registerAuthRoutes } from "@/auth/routes";
import { registerBlocklistRoutes } from "@/blocklist/routes";
import { registerCallAnalytics } from "@/calls/analytics";
import { registerCallRoutes } from "@/calls/routes";
import { registerChannelRoutes } from "@/channels/routes";
import { registerContactRoutes } from "@/contacts/routes";
import { registerContactTimeline } from "@/contacts/timeline";
import { registerCustomWebhookRoutes } from "@/custom-webhooks/routes";
import { registerHealthRoutes } from "@/health/routes";
import { registerIntegrationRoutes } from "@/integrations/routes";
import { registerInteractionRoutes } from "@/interactions/routes";
import { registerJobRoutes } from "@/jobs/routes";
import { registerKeyRoutes } from "@/keys/routes";
import { registerKnowledgeRoutes } from "@/knowledge/routes";
import { registerTechnicalQuestionRoutes } from "@/leads/question-routes";
import { registerLeadRoutes } from "@/leads/routes";
import { registerNotificationRoutes } from "@/notifications/routes";
import { registerOrganizationRoutes } from "@/organizations/routes";
import { registerOtpRoutes } from "@/otp/routes";
import { registerPrivacyRoutes } from "@/pii/routes";
import { type App, newApp } from "@/platform/api-app";
import { registerQueueRoutes } from "@/queues/routes";
import { registerSlaRoutes } from "@/sla/routes";
import { registerTagRoutes } from "@/tags/routes";
import { registerTemplateRoutes } from "@/templates/routes";
import { registerTicketActions } from "@/tickets/actions";
import { registerMessageRoutes } from "@/tickets/messages";
import { registerTicketRoutes } from "@/tickets/routes";
import { registerTicketStats } from "@/tickets/stats";
import { registerUserRoutes } from "@/users/routes";
import { registerRetellAgentRoutes } from "@/voice/retell/agent-routes";
import { registerWebhookEventRoutes } from "@/webhook-events/routes";
import { registerDocs } from "./docs";

export const OPENAPI_PATH = "/api/openapi.json";

/** The REST API: every /api route, its OpenAPI 3.1 document and the interactive docs. */
export function createApiApp(): App {
  const app = newApp();
  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", {
    type: "http",
    scheme: "bearer",
    description: "A JWT from /api/auth/login or an API key (sb_...) from /api/api-keys.",
  });
  registerHealthRoutes(app);
  registerAuthRoutes(app);
  registerUserRoutes(app);
  registerApiKeyRoutes(app);
  registerOrganizationRoutes(app);
  registerChannelRoutes(app);
  registerContactRoutes(app);
  // Before /api/tickets/{id}, which would otherwise claim "stats" as an id.
  registerTicketStats(app);
  registerTicketRoutes(app);
  registerTicketActions(app);
  registerMessageRoutes(app);
  registerAgentRoutes(app);
  registerAiRoutes(app);
  registerKnowledgeRoutes(app);
  registerIntegrationRoutes(app);
  registerJobRoutes(app);
  registerWebhookEventRoutes(app);
  registerQueueRoutes(app);
  registerTemplateRoutes(app);
  registerTagRoutes(app);
  registerLeadRoutes(app);
  registerTechnicalQuestionRoutes(app);
  // Voice agents (Retell) and custom inbound webhooks (issue 7).
  registerRetellAgentRoutes(app);
  registerCustomWebhookRoutes(app);
  // One-time codes (issue 11): POST /api/otp, /api/otp/verify, /api/otp/settings.
  registerOtpRoutes(app);
  // Audit log and PII (issue 11): the audit log, masking settings, key rotation, interactions.
  registerAuditRoutes(app);
  registerPrivacyRoutes(app);
  registerKeyRoutes(app);
  registerInteractionRoutes(app);
  // SLA alerts (h/sla): settings, report, queue Slack webhooks, in-app notifications.
  registerSlaRoutes(app);
  registerNotificationRoutes(app);
  // Calls: outbound calls, the calls list, analytics (before /api/calls/{id}), the blocklist, a
  // contact's timeline of messages and calls.
  registerCallAnalytics(app);
  registerCallRoutes(app);
  registerBlocklistRoutes(app);
  registerContactTimeline(app);
  app.doc31(OPENAPI_PATH, (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Switchboard API",
      version: "0.1.0",
      description:
        "Multi-tenant omnichannel contact center. Errors are RFC 9457 problem+json; lists use cursor pagination ({data, nextCursor}).",
    },
    servers: [{ url: c.var.services.env.PUBLIC_URL }],
  }));
  registerDocs(app, OPENAPI_PATH);
  return app;
}
