import { describe, expect, it } from "vitest";
import { chunkText } from "./chunk";
import { dot, fromBytes, normalize, signBits, toBytes } from "./vector";

describe("chunkText", () => {
  it("keeps a short article whole and collapses its whitespace", () => {
    expect(chunkText("Entregamos em\n todo o Brasil.\n\n  Frete grátis.")).toEqual([
      "Entregamos em todo o Brasil. Frete grátis.",
    ]);
  });

  it("cuts a long article into passages of bounded size that overlap", () => {
    const sentence = "O pedido é rastreado pelo código enviado por e-mail após a emissão da nota fiscal. ";
    const chunks = chunkText(sentence.repeat(60));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(900 + 200);
    for (let i = 1; i < chunks.length; i++) {
      const head = (chunks[i] as string).slice(0, 40);
      expect((chunks[i - 1] as string).includes(head.slice(0, 20))).toBe(true);
    }
  });

  it("splits a paragraph without sentence ends at spaces", () => {
    const chunks = chunkText("palavra ".repeat(500));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.startsWith("palavra")).toBe(true);
  });

  it("returns nothing for blank content", () => {
    expect(chunkText(" \n\n ")).toEqual([]);
  });
});

describe("vectors", () => {
  it("round-trip as little-endian float32 and score cosine as a dot product of unit vectors", () => {
    const a = normalize([3, 4, 0]);
    expect(Array.from(fromBytes(toBytes(a)))).toEqual(Array.from(a));
    expect(dot(a, a)).toBeCloseTo(1, 6);
    expect(dot(a, normalize([-4, 3, 0]))).toBeCloseTo(0, 6);
    expect(signBits([0.5, -0.1, 0, 2])).toBe("1001");
  });
});
