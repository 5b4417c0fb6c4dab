// Fills the platform-specific optional packages (esbuild, workerd, biome binaries for other
// operating systems) into package-lock.json. This machine's registry mirror only serves the linux
// builds, so npm cannot record the others and `npm ci` would then reject the lockfile as out of
// sync. Entries carry os/cpu inferred from the package name, so npm skips them on other platforms.
// Run after `npm install` changes the lockfile: node scripts/lock-platforms.ts
import { readFileSync, writeFileSync } from "node:fs";

type Entry = {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  optionalDependencies?: Record<string, string>;
};
const file = "package-lock.json";
const lock = JSON.parse(readFileSync(file, "utf8")) as { packages: Record<string, Entry> };
const packages = lock.packages;
const PLATFORM =
  /(aix|android|darwin|freebsd|linux|netbsd|openbsd|openharmony|sunos|win32|windows)-(arm64|arm|ia32|x64|ppc64|s390x|riscv64|loong64|mips64el|64)/;

/** Where npm would resolve `name` from the package at `from`: its own node_modules, then each ancestor's. */
function resolve(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut === -1 ? "" : base.slice(0, cut);
  }
}

let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const version = range.replace(/^[\^~=]/, "");
    const found = resolve(path, name);
    if (found && packages[found]?.version === version) continue;
    const key = found || !path ? `${path ? `${path}/` : ""}node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) continue;
    const match = PLATFORM.exec(name);
    const entry: Entry = { version, dev: meta.dev, optional: true };
    if (match?.[1] && match[2]) {
      entry.os = [match[1] === "windows" ? "win32" : match[1]];
      entry.cpu = [match[2] === "64" ? "x64" : match[2]];
    }
    packages[key] = entry;
    added += 1;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`${file}: ${added} platform entries added`);
