// What the line says to callers and agents, in the channel's language (pt, es or en by its
// prefix; Portuguese otherwise, the default line language).

type Prompts = {
  position(n: number): string;
  voicemail: string;
  closed: string;
  unavailable: string;
  thanks: string;
  whisper(caller: string, ticketNumber: number | null): string;
  callbackSubject: string;
};

const pt: Prompts = {
  position: (n) => `Você é o número ${n} da fila. Por favor, aguarde.`,
  voicemail: "Deixe sua mensagem após o sinal e retornaremos a sua ligação.",
  closed: "Nosso atendimento está fechado agora. Retornaremos a sua ligação.",
  unavailable: "Não conseguimos atender agora. Retornaremos a sua ligação.",
  thanks: "Obrigado. Até logo.",
  whisper: (caller, ticket) => `Ligação de ${caller}${ticket ? `, ticket ${ticket}` : ""}.`,
  callbackSubject: "Retornar ligação",
};

const es: Prompts = {
  position: (n) => `Usted es el número ${n} en la fila. Por favor, espere.`,
  voicemail: "Deje su mensaje después del tono y le devolveremos la llamada.",
  closed: "Nuestro horario de atención terminó. Le devolveremos la llamada.",
  unavailable: "No podemos atenderle ahora. Le devolveremos la llamada.",
  thanks: "Gracias. Hasta luego.",
  whisper: (caller, ticket) => `Llamada de ${caller}${ticket ? `, ticket ${ticket}` : ""}.`,
  callbackSubject: "Devolver llamada",
};

const en: Prompts = {
  position: (n) => `You are number ${n} in the queue. Please hold.`,
  voicemail: "Please leave a message after the tone and we will call you back.",
  closed: "We are closed right now. We will call you back.",
  unavailable: "We cannot take your call right now. We will call you back.",
  thanks: "Thank you. Goodbye.",
  whisper: (caller, ticket) => `Call from ${caller}${ticket ? `, ticket ${ticket}` : ""}.`,
  callbackSubject: "Call back",
};

export function prompts(language: string): Prompts {
  const prefix = language.slice(0, 2).toLowerCase();
  return prefix === "es" ? es : prefix === "en" ? en : pt;
}

/** A phone number read digit by digit ("5 5 1 1 9 8 ..."), which every <Say> voice speaks well. */
export function spokenNumber(phone: string): string {
  return phone.replace(/\D/g, "").split("").join(" ");
}
