#!/usr/bin/env node
/**
 * Writes README's settings tables from src/config/settings.ts (the one table of settings),
 * between `<!-- settings:core -->` / `<!-- settings:oidc -->` and `<!-- /settings -->`.
 * `--check` only reports whether README is up to date (exit 1 if not).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { settingsTable } from "../src/config/settings.ts";

const README = join(import.meta.dirname, "..", "README.md");

export function withTables(text) {
  return text.replace(/(<!-- settings:(core|oidc) -->\n)[\s\S]*?(\n<!-- \/settings -->)/g, (_, start, section, end) => `${start}${settingsTable(section)}${end}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = readFileSync(README, "utf8");
  const updated = withTables(text);
  if (process.argv.includes("--check")) {
    if (updated !== text) {
      console.error("README's settings tables differ from src/config/settings.ts: npm run docs:settings");
      process.exit(1);
    }
  } else if (updated !== text) {
    writeFileSync(README, updated);
    console.log("README settings tables rewritten");
  }
}
