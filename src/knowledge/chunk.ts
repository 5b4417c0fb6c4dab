/** About 200 tokens a passage: enough context for an answer, small enough that five fit a prompt. */
const TARGET_CHARS = 900;
/** Sentences shared by neighbouring passages, so an answer split across a boundary is found whole. */
const OVERLAP_CHARS = 150;

function sentences(paragraph: string): string[] {
  return (
    paragraph
      .match(/[^.!?…]+(?:[.!?…]+|$)\s*/g)
      ?.map((s) => s.trim())
      .filter(Boolean) ?? [paragraph]
  );
}

/** A long piece cut at spaces into parts no longer than `max`. */
function hardSplit(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf(" ", max);
    const at = cut > max / 2 ? cut : max;
    parts.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}

/**
 * An article's content as passages to embed: paragraphs packed up to about TARGET_CHARS, long
 * paragraphs split by sentence, each passage starting with the tail of the previous one.
 */
export function chunkText(content: string): string[] {
  const pieces = content
    .replace(/\r\n?/g, "\n")
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .flatMap((p) => (p.length <= TARGET_CHARS ? [p] : sentences(p).flatMap((s) => hardSplit(s, TARGET_CHARS))));
  const chunks: string[] = [];
  let current = "";
  for (const piece of pieces) {
    if (current && current.length + piece.length + 1 > TARGET_CHARS) {
      chunks.push(current);
      const tail = current.slice(-OVERLAP_CHARS);
      const space = tail.indexOf(" ");
      current = space >= 0 ? tail.slice(space + 1) : "";
    }
    current = current ? `${current} ${piece}` : piece;
  }
  if (current) chunks.push(current);
  return chunks;
}
