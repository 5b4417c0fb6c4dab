// Reads and writes .dev.vars (KEY=VALUE lines), generating local secrets that are left empty.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const generators: Record<string, () => string> = {
  ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
  JWT_SECRET: () => randomBytes(48).toString("base64url"),
  LOCAL_JOBS_SIGNING_KEY: () => randomBytes(32).toString("base64url"),
  OTP_PEPPER: () => randomBytes(32).toString("base64url"),
};

export function parseVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match?.[1]) vars[match[1]] = (match[2] ?? "").replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/** Creates .dev.vars from the example on first run and fills any empty generated secret. */
export function ensureDevVars(file = ".dev.vars", example = ".dev.vars.example"): Record<string, string> {
  const source = existsSync(file) ? readFileSync(file, "utf8") : readFileSync(example, "utf8");
  let changed = !existsSync(file);
  const lines = source.split("\n").map((line) => {
    const match = /^([A-Z][A-Z0-9_]*)=\s*$/.exec(line);
    const generate = match?.[1] ? generators[match[1]] : undefined;
    if (!match || !generate) return line;
    changed = true;
    return `${match[1]}=${generate()}`;
  });
  const text = lines.join("\n");
  if (changed) {
    writeFileSync(file, text, { mode: 0o600 });
    console.log(`wrote ${file} with generated local secrets`);
  }
  return parseVars(text);
}
