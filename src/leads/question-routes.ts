import { z } from "@hono/zod-openapi";
import { technicalQuestionStatuses } from "@/db/schema";
import type { App } from "@/platform/api-app";
import { audit } from "@/platform/audit";
import { protectedRoute } from "@/platform/auth";
import { idParam, jsonBody, jsonContent } from "@/platform/openapi";
import { decodeCursor, idCursor, pageQuery, pageSchema, toPage } from "@/platform/pagination";
import { presentQuestion, technicalQuestionSchema } from "./schemas";
import { answerQuestion, listQuestions } from "./service";

const list = protectedRoute({
  method: "get",
  path: "/api/technical-questions",
  tags: ["leads"],
  summary: "Technical questions the bot could not answer (open ones by default)",
  request: {
    query: pageQuery.extend({
      status: z.enum(technicalQuestionStatuses).default("open"),
      ticketId: z.uuid().optional(),
    }),
  },
  responses: {
    200: jsonContent(
      pageSchema(technicalQuestionSchema, "TechnicalQuestionPage"),
      "A page of questions, newest first.",
    ),
  },
});

const answer = protectedRoute({
  method: "post",
  path: "/api/technical-questions/{id}/answer",
  tags: ["leads"],
  summary: "Answer a technical question",
  description:
    "The answer goes into the prompt of the ticket's next AI reply, so the bot tells the customer. Answering again corrects it.",
  request: {
    params: idParam,
    body: jsonBody(z.object({ answer: z.string().trim().min(1).max(4000) })),
  },
  responses: { 200: jsonContent(technicalQuestionSchema, "The answered question.") },
});

export function registerTechnicalQuestionRoutes(app: App) {
  app.openapi(list, async (c) => {
    const { limit, cursor, status, ticketId } = c.req.valid("query");
    const after = decodeCursor(cursor, idCursor)?.id;
    const rows = await listQuestions(c.var.services.db, c.var.principal.organizationId, {
      limit,
      after,
      status,
      ticketId,
    });
    return c.json(
      toPage(rows, limit, (r) => ({ id: r.id }), presentQuestion),
      200,
    );
  });

  app.openapi(answer, async (c) => {
    const { db } = c.var.services;
    const principal = c.var.principal;
    const row = await answerQuestion(db, principal, c.req.valid("param").id, c.req.valid("json").answer);
    await audit(db, {
      organizationId: principal.organizationId,
      actor: principal,
      action: "technical_question.answered",
      targetType: "technical_question",
      targetId: row.id,
    });
    return c.json(presentQuestion(row), 200);
  });
}
