import { and, asc, eq } from "drizzle-orm";
import { technicalQuestions } from "@/db/schema";
import type { Executor } from "@/platform/db";

/** The answered questions of a ticket, oldest first, for its next reply's prompt. */
export async function answeredForTicket(db: Executor, ticketId: string) {
  return db
    .select({ question: technicalQuestions.question, answer: technicalQuestions.answer })
    .from(technicalQuestions)
    .where(and(eq(technicalQuestions.ticketId, ticketId), eq(technicalQuestions.status, "answered")))
    .orderBy(asc(technicalQuestions.answeredAt))
    .limit(20);
}
