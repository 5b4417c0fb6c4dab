/**
 * `{{contact.name}}`-style placeholders: dotted identifiers, spaces inside the braces tolerated.
 * Anything else between braces is left as typed, so a stray `{{ }}` in a message survives.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}/g;

/** The distinct placeholders of a body, in order of first appearance. */
export function templateVariables(body: string): string[] {
  return [...new Set(Array.from(body.matchAll(PLACEHOLDER), (m) => m[1] ?? ""))];
}

/** Fills the placeholders; an unknown or empty value renders as nothing rather than as `{{...}}`. */
export function renderTemplate(body: string, values: Record<string, string | number | null | undefined>): string {
  return body.replace(PLACEHOLDER, (_match, path: string) => {
    const value = Object.hasOwn(values, path) ? values[path] : undefined;
    return value === null || value === undefined ? "" : String(value);
  });
}
