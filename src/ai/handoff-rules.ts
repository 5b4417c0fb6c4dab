// The hand-off rules that need no model: a customer asking for a person, in Portuguese, Spanish
// or English, and the short text that tells them one is coming, in their language.

export type Language = "pt" | "es" | "en";

/** Lowercase, without accents: "Atendênte" and "atendente" are one word to the patterns. */
function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

const PERSON_PT =
  "(atendente|humano|humana|pessoa|gente|alguem|vendedor|vendedora|consultor|consultora|operador|operadora)";
const PERSON_ES =
  "(agente|humano|humana|persona|alguien|asesor|asesora|operador|operadora|vendedor|vendedora|ejecutivo)";
const PERSON_EN = "(human|person|agent|representative|rep|someone|somebody|operator|real person|live agent)";

const asksForPerson: RegExp[] = [
  // pt: "quero falar com um atendente", "me passa pra uma pessoa", "atendimento humano"
  new RegExp(`\\b(falar|conversar|fala)\\s+(com\\s+)?(um|uma|o|a|algum|alguma)?\\s*${PERSON_PT}\\b`),
  new RegExp(
    `\\b(quero|preciso de|chama|chame|chamar|me passa|passa|transfere|transferir)\\s+(pra|para)?\\s*(um|uma|o|a)?\\s*${PERSON_PT}\\b`,
  ),
  /\b(atendente|atendimento)\s+(humano|real)\b/,
  /\bpessoa\s+de\s+verdade\b/,
  // es: "quiero hablar con un asesor", "pásame con una persona", "atención humana"
  new RegExp(`\\b(hablar|comunicarme|conversar)\\s+(con\\s+)?(un|una|el|la|algun|alguna)?\\s*${PERSON_ES}\\b`),
  new RegExp(
    `\\b(quiero|necesito|pasame|paseme|comunicame|transfiereme)\\s+(con\\s+)?(un|una|el|la)?\\s*${PERSON_ES}\\b`,
  ),
  /\b(agente|atencion)\s+human[oa]\b/,
  /\bpersona\s+real\b/,
  // en: "can I talk to a human", "I want a real person", "get me an agent"
  new RegExp(`\\b(talk|speak|chat)\\s+(to|with)\\s+(a|an|the|some|your)?\\s*${PERSON_EN}\\b`),
  /\b(want|need|get me|connect me to|transfer me to)\s+(a|an|the)?\s*(human|real person|live agent|representative)\b/,
  /\b(real|live|actual)\s+(person|human|agent)\b/,
  /\bhuman\s+(agent|being|support)\b/,
];

/** Whether the customer asked for a person in any of these messages. */
export function asksForHuman(texts: readonly string[]): boolean {
  return texts.some((text) => {
    const folded = fold(text);
    return asksForPerson.some((pattern) => pattern.test(folded));
  });
}

const markers: Record<Language, RegExp> = {
  pt: /\b(voce|vc|nao|obrigad[oa]|ola|oi|tudo bem|quero|preciso|gostaria|orcamento|por favor|bom dia|boa tarde|boa noite|estou|tenho|sim)\b/g,
  es: /\b(usted|hola|gracias|quiero|necesito|quisiera|presupuesto|buenos dias|buenas tardes|buenas noches|estoy|tengo|si|donde|cuanto)\b/g,
  en: /\b(hello|hi|hey|thanks|thank you|please|want|need|would like|quote|good morning|i am|i'm|have|yes|the|my)\b/g,
};

/** The customer's language, from their messages (Portuguese, Spanish or English; English when unsure). */
export function guessLanguage(texts: readonly string[]): Language {
  const folded = fold(texts.join(" \n "));
  let best: Language = "en";
  let bestScore = 0;
  for (const language of ["pt", "es", "en"] as const) {
    const score = folded.match(markers[language])?.length ?? 0;
    if (score > bestScore) {
      best = language;
      bestScore = score;
    }
  }
  return best;
}

const handoffTexts: Record<Language, string> = {
  pt: "Vou transferir você para uma pessoa da nossa equipe. Em instantes alguém continua a conversa por aqui.",
  es: "Te voy a transferir con una persona de nuestro equipo. En breve alguien continuará la conversación por aquí.",
  en: "I'm handing you over to a member of our team. Someone will continue the conversation here shortly.",
};

/** The short message that tells the customer a person is taking over. */
export function handoffText(language: Language): string {
  return handoffTexts[language];
}
