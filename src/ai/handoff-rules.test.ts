import { describe, expect, it } from "vitest";
import { asksForHuman, guessLanguage, handoffText } from "./handoff-rules";

describe("hand-off rules", () => {
  it.each([
    "Quero falar com um atendente",
    "me passa pra uma pessoa por favor",
    "tem atendimento humano?",
    "Preciso falar com alguém de verdade",
    "quiero hablar con un asesor",
    "¿Puedo hablar con una persona real?",
    "pásame con un agente",
    "Can I talk to a human?",
    "I want a real person",
    "let me speak with a representative",
  ])("hears a request for a person: %s", (text) => {
    expect(asksForHuman([text])).toBe(true);
  });

  it.each([
    "Quero falar sobre o meu pedido",
    "a pessoa que me atendeu ontem foi ótima",
    "quanto custa o plano humano?",
    "hablamos de precios mañana",
    "I talked to my team about the quote",
    "what does your agent software cost?",
  ])("does not mistake other messages for one: %s", (text) => {
    expect(asksForHuman([text])).toBe(false);
  });

  it("tells the customer's language from their messages, English when unsure", () => {
    expect(guessLanguage(["Oi, tudo bem? Quero um orçamento"])).toBe("pt");
    expect(guessLanguage(["Hola, necesito un presupuesto, gracias"])).toBe("es");
    expect(guessLanguage(["Hi, I need a quote please"])).toBe("en");
    expect(guessLanguage(["👍"])).toBe("en");
    expect(handoffText("es")).toContain("persona de nuestro equipo");
  });
});
