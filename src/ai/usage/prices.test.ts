import { describe, expect, it } from "vitest";
import { costUsd, priceOf } from "./prices";

describe("model prices", () => {
  it("prices a dated snapshot like its family, an organization's price over the list, an unknown model at 0", () => {
    expect(priceOf("gpt-4o-mini-2024-07-18")).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
    expect(priceOf("gpt-4o-2024-08-06")).toEqual({ inputPerMillion: 2.5, outputPerMillion: 10 });
    const own = { "gpt-4o-mini": { inputPerMillion: 0, outputPerMillion: 0 } };
    expect(costUsd(priceOf("gpt-4o-mini", own), 1000, 1000)).toBe(0);
    expect(costUsd(priceOf("llama3.1:8b"), 1_000_000, 1_000_000)).toBe(0);
    expect(costUsd(priceOf("gpt-4.1-mini"), 1_000_000, 500_000)).toBe(1.2);
  });

  it("prices whisper-1 by the minute of audio, the gpt-4o transcribe models by token", () => {
    expect(costUsd(priceOf("whisper-1"), 0, 0, 90)).toBe(0.009);
    expect(costUsd(priceOf("gpt-4o-mini-transcribe"), 1_000_000, 0, 90)).toBe(3);
  });
});
