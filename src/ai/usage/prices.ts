/** USD per million tokens, and per minute of audio for models billed by duration (whisper-1). */
export type Price = { inputPerMillion: number; outputPerMillion: number; perMinute?: number };

/**
 * OpenAI's list prices (USD per 1M tokens, standard tier) for the models an agent is likely to
 * use. An organization overrides or extends them (PUT /api/ai/settings), e.g. for a gateway's
 * own prices or a local model that costs nothing.
 */
const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10 },
  "gpt-4.1": { inputPerMillion: 2, outputPerMillion: 8 },
  "gpt-4.1-mini": { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  "gpt-4.1-nano": { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  "gpt-5": { inputPerMillion: 1.25, outputPerMillion: 10 },
  "gpt-5-mini": { inputPerMillion: 0.25, outputPerMillion: 2 },
  "gpt-5-nano": { inputPerMillion: 0.05, outputPerMillion: 0.4 },
  "text-embedding-3-small": { inputPerMillion: 0.02, outputPerMillion: 0 },
  "text-embedding-3-large": { inputPerMillion: 0.13, outputPerMillion: 0 },
  // Transcription: whisper-1 by the minute; the gpt-4o transcribe models by (audio) token.
  "whisper-1": { inputPerMillion: 0, outputPerMillion: 0, perMinute: 0.006 },
  "gpt-4o-transcribe": { inputPerMillion: 6, outputPerMillion: 10 },
  "gpt-4o-mini-transcribe": { inputPerMillion: 3, outputPerMillion: 5 },
};

/** The longest key that `model` starts with: dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family does. */
function lookup(table: Readonly<Record<string, Price>>, model: string): Price | undefined {
  if (table[model]) return table[model];
  const family = Object.keys(table)
    .filter((key) => model.startsWith(`${key}-`))
    .sort((a, b) => b.length - a.length)[0];
  return family ? table[family] : undefined;
}

/** The organization's price for a model, else the list price, else nothing (an unknown model costs 0). */
export function priceOf(model: string, overrides: Readonly<Record<string, Price>> = {}): Price | undefined {
  return lookup(overrides, model) ?? lookup(DEFAULT_PRICES, model);
}

export function costUsd(
  price: Price | undefined,
  promptTokens: number,
  completionTokens: number,
  audioSeconds = 0,
): number {
  if (!price) return 0;
  const cost =
    (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000 +
    (audioSeconds / 60) * (price.perMinute ?? 0);
  return Math.round(cost * 1e8) / 1e8;
}
