#!/usr/bin/env node
// `npm run check [-- options]`: validates the gateway's configuration before anything runs —
// wrangler.toml's [vars] and bindings plus `.dev.vars` (or the `--var`s given) — with the very
// validator the Worker runs at its first request (src/config/resolve.ts), in the Worker's own
// runtime: src/config/check-entry.ts is bundled with esbuild (wrangler's own bundler) and run
// in workerd through Miniflare, so URLPattern, WebCrypto and valibot behave exactly as they
// will in production. Prints every problem and every warning (unknown names with a "did you
// mean"), and exits 1 when there is a problem: the gateway would answer 503 to every request.
//
//   -c, --config FILE     the wrangler config (default wrangler.toml)
//   -e, --env NAME        a wrangler environment ([env.NAME]; default: the top level)
//   --var NAME:VALUE      a setting, as `wrangler dev --var` takes it (repeatable; wins)
//   --dev-vars FILE       read secrets and local vars from FILE (default: .dev.vars next to the
//                         config, or .dev.vars.<env> with --env, when present)
//   --no-dev-vars         read no .dev.vars at all
//   --without-secrets     for a deploy: secrets are set with `wrangler secret put` and cannot be
//                         read here, so a missing one is assumed set (a short one is still wrong)
//
// wrangler's config reader (unstable_readConfig) reads the TOML and applies environment
// inheritance the way `wrangler dev` and `wrangler deploy` do.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Secrets: absent from wrangler.toml by design, and never printed. */
const SECRETS = ["SESSION_SECRET", "ADMIN_TOKEN", "OIDC_CLIENT_SECRET"];
/** Assumed for a missing required secret with --without-secrets: long enough, never used. */
const PLACEHOLDER_SECRET = "x".repeat(32);
/** The validator's bundle (a promise of its text), built once per process: a caller may check many configurations. */
let validatorScript;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { exitCode } = await checkConfig(process.argv.slice(2), { cwd: process.cwd() });
  process.exit(exitCode);
}

/**
 * Runs the check; prints as it goes (`out` and `err` default to the console).
 * @param {string[]} argv
 * @returns {Promise<{ exitCode: number, problems: string[], warnings: string[] }>}
 */
export async function checkConfig(argv, { cwd = root, out = console.log, err = console.error } = {}) {
  let options;
  try {
    ({ values: options } = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c", default: "wrangler.toml" },
        env: { type: "string", short: "e" },
        var: { type: "string", multiple: true, default: [] },
        "dev-vars": { type: "string" },
        "no-dev-vars": { type: "boolean", default: false },
        "without-secrets": { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    err(`check: ${error.message}`);
    return { exitCode: 2, problems: [], warnings: [] };
  }

  const configPath = path.resolve(cwd, options.config);
  if (!existsSync(configPath)) {
    err(`check: ${options.config} not found`);
    return { exitCode: 2, problems: [], warnings: [] };
  }
  const { unstable_readConfig } = await import("wrangler");
  let config;
  try {
    config = unstable_readConfig({ config: configPath, env: options.env }, { hideWarnings: false });
  } catch (error) {
    err(`check: ${options.config} could not be read: ${error.message}`);
    return { exitCode: 1, problems: [], warnings: [] };
  }

  const sources = [path.relative(cwd, configPath) + (options.env ? ` [env.${options.env}]` : "")];
  const settings = { ...config.vars };
  const devVarsPath = devVarsFile(options, configPath, cwd);
  if (devVarsPath) {
    Object.assign(settings, parseDotenv(readFileSync(devVarsPath, "utf8")));
    sources.push(path.relative(cwd, devVarsPath));
  }
  for (const pair of options.var) {
    const colon = pair.indexOf(":");
    if (colon < 1) {
      err(`check: --var ${JSON.stringify(pair)} must be NAME:VALUE`);
      return { exitCode: 2, problems: [], warnings: [] };
    }
    settings[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  if (options.var.length > 0) sources.push("--var");
  const assumed = [];
  if (options["without-secrets"]) {
    for (const name of ["SESSION_SECRET"]) {
      if (!settings[name]) {
        settings[name] = PLACEHOLDER_SECRET;
        assumed.push(name);
      }
    }
    if (settings.AUTH_MODE === "oidc" && !settings.OIDC_CLIENT_SECRET) {
      settings.OIDC_CLIENT_SECRET = PLACEHOLDER_SECRET;
      assumed.push("OIDC_CLIENT_SECRET");
    }
  }

  let problems, warnings;
  try {
    ({ problems, warnings } = await runValidator(settings, bindingsOf(config), config.compatibility_date ?? "2026-08-01"));
  } catch (error) {
    err(`check: could not run the validator: ${error.message}`);
    return { exitCode: 2, problems: [], warnings: [] };
  }
  out(`check: ${sources.join(" + ")}`);
  if (assumed.length > 0) out(`  note: ${assumed.join(", ")} not read here (wrangler secret put): assumed set`);
  for (const problem of problems) out(`  error: ${problem}`);
  for (const warning of warnings) out(`  warning: ${warning}`);
  const count = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (problems.length > 0) {
    out(`check: ${count(problems.length, "problem")}, ${count(warnings.length, "warning")}: the gateway would answer 503 to every request`);
    return { exitCode: 1, problems, warnings };
  }
  out(`check: the configuration is valid${warnings.length > 0 ? `, with ${count(warnings.length, "warning")}` : ""}`);
  return { exitCode: 0, problems, warnings };
}

function devVarsFile(options, configPath, cwd) {
  if (options["no-dev-vars"]) return null;
  if (options["dev-vars"]) return path.resolve(cwd, options["dev-vars"]);
  const dir = path.dirname(configPath);
  const candidates = [...(options.env ? [path.join(dir, `.dev.vars.${options.env}`)] : []), path.join(dir, ".dev.vars")];
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

/** The bindings the Worker would get, by name and kind (the validator only sees that they exist). */
function bindingsOf(config) {
  return [
    ...(config.services ?? []).map(({ binding }) => ({ name: binding, kind: "service" })),
    ...(config.ratelimits ?? []).map(({ name }) => ({ name, kind: "ratelimit" })),
    ...(config.analytics_engine_datasets ?? []).map(({ binding }) => ({ name: binding, kind: "analytics_engine" })),
    ...(config.durable_objects?.bindings ?? []).map(({ name }) => ({ name, kind: "durable_object" })),
    ...(config.kv_namespaces ?? []).map(({ binding }) => ({ name: binding, kind: "kv" })),
    ...(config.r2_buckets ?? []).map(({ binding }) => ({ name: binding, kind: "r2" })),
    ...(config.d1_databases ?? []).map(({ binding }) => ({ name: binding, kind: "d1" })),
  ];
}

/**
 * `.dev.vars` is a dotenv file: `NAME=value` lines, `#` comments, values optionally quoted.
 * The line pattern is dotenv's (the library wrangler reads `.dev.vars` with), MIT licence.
 */
export function parseDotenv(text) {
  const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;
  const values = {};
  for (const [, name, raw = ""] of text.replace(/\r\n?/gm, "\n").matchAll(LINE)) {
    let value = raw.trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    values[name] = value;
  }
  return values;
}

async function validatorBundle() {
  const { build } = await import("esbuild");
  validatorScript ??= build({
    entryPoints: [path.join(root, "src/config/check-entry.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "error",
  }).then(
    (bundle) => bundle.outputFiles[0].text,
    (error) => {
      validatorScript = undefined;
      throw error;
    },
  );
  return validatorScript;
}

async function runValidator(settings, bindings, compatibilityDate) {
  const [script, { convertV4MiniflareOptions, Log, LogLevel, Miniflare }] = await Promise.all([validatorBundle(), import("miniflare")]);
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.NONE),
      cf: false,
      // The validator logs what it finds as JSON lines; the answer below says it for a person.
      handleStructuredLogs: () => {},
      workers: [{ name: "gateway-check", modules: true, script, compatibilityDate }],
    }),
  );
  try {
    const response = await mf.dispatchFetch("http://check.invalid/", { method: "POST", body: JSON.stringify({ settings, bindings }) });
    if (!response.ok) throw new Error(`the validator answered ${response.status}: ${await response.text()}`);
    return await response.json();
  } finally {
    await mf.dispose();
  }
}
