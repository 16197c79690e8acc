/**
 * The settings are written once, in src/config/settings.ts: README's tables are generated from
 * it (`npm run docs:settings`), and every setting in it is read by the configuration code.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS, settingsTable } from "../../src/config/settings";

const ROOT = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

function region(section: string): string | null {
  return new RegExp(`<!-- settings:${section} -->\\n([\\s\\S]*?)\\n<!-- /settings -->`).exec(README)?.[1] ?? null;
}

describe("the settings table", () => {
  it.each(["core", "oidc"])("is README's %s table, row for row (npm run docs:settings rewrites it)", (section) => {
    expect(region(section)).toBe(settingsTable(section as "core" | "oidc"));
  });

  it("names only settings that the configuration code reads", () => {
    const code = ["src/config/resolve.ts", "src/config/origins.ts", "src/config/session-cookie.ts", "src/config/assertion-settings.ts", "src/auth/oidc/settings.ts", "src/upstream/origin.ts", "src/credentials/session-cookie.ts", "src/app.ts"].map((file) => readFileSync(join(ROOT, file), "utf8")).join("\n");
    for (const name of Object.keys(SETTINGS)) expect(code, name).toMatch(new RegExp(`env\\.${name}\\b`));
  });

  it("covers every [vars] setting of wrangler.toml", () => {
    const vars = readFileSync(join(ROOT, "wrangler.toml"), "utf8").split("[vars]")[1]!;
    for (const [, name] of vars.matchAll(/^([A-Z_]+)\s*=/gm)) expect(Object.keys(SETTINGS), name).toContain(name);
  });
});
