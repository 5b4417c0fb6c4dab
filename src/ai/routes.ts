import type { App } from "@/platform/api-app";
import { registerAiAgentRoutes } from "./agents/routes";
import { registerTicketInsightsRoutes } from "./insights/routes";
import { registerAiSettingsRoutes } from "./settings-routes";
import { registerTicketAiRoutes } from "./ticket-routes";
import { registerAiUsageRoutes } from "./usage/routes";

/** The AI agent's API: agents, settings (budget, prices), usage, and the bot's hold on a ticket. */
export function registerAiRoutes(app: App) {
  registerAiAgentRoutes(app);
  registerAiSettingsRoutes(app);
  registerAiUsageRoutes(app);
  registerTicketAiRoutes(app);
  registerTicketInsightsRoutes(app);
}
