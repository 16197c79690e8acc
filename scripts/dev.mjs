// `npm run dev [-- <wrangler dev options>]`: the gateway in front of the demo origin, locally.
//
// 1. On a fresh clone there is no `.dev.vars`: create it from `.dev.vars.example` with fresh
//    random SESSION_SECRET and ADMIN_TOKEN and a new ASSERTION_KEYS signing key. With two `-c`
//    configs wrangler reads each worker's `.dev.vars` next to *that* worker's config, so the
//    gateway's secrets belong in `.dev.vars` beside wrangler.toml (the demo origin needs none).
//    A `.dev.vars` from before the signed assertion, with no ASSERTION_KEYS line at all, gets
//    one appended (an empty `ASSERTION_KEYS=` line is left alone: no assertion, on purpose).
// 2. Run `wrangler dev -c wrangler.toml -c demo/wrangler.toml <extra args>` with stdio
//    inherited, `node_modules/.bin` first on PATH (wrangler needs the Node 22 that the `node`
//    devDependency puts there), SIGINT/SIGTERM/SIGHUP forwarded, and exit with its code.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { newAssertionKey } from "./assertion-key.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const devVarsPath = path.join(root, ".dev.vars");
const examplePath = path.join(root, ".dev.vars.example");
const randomSecret = async () => randomBytes(32).toString("base64url"); // 43 characters
const GENERATED = {
  SESSION_SECRET: randomSecret,
  ADMIN_TOKEN: randomSecret,
  ASSERTION_KEYS: async () => JSON.stringify([await newAssertionKey()]),
};

await ensureDevVars();
runWrangler(["dev", "-c", "wrangler.toml", "-c", "demo/wrangler.toml", ...process.argv.slice(2)]);

async function ensureDevVars() {
  if (existsSync(devVarsPath)) {
    const existing = readFileSync(devVarsPath, "utf8");
    warnAboutEmptySecrets(existing);
    await addAssertionKeys(existing);
    return;
  }
  let text;
  try {
    text = readFileSync(examplePath, "utf8");
  } catch (error) {
    fail(`dev: .dev.vars is missing and so is ${path.relative(root, examplePath)} to create it from (${error.code ?? error})`);
  }
  for (const [name, generate] of Object.entries(GENERATED)) {
    const value = await generate();
    const line = new RegExp(`^${name}=.*$`, "m");
    text = line.test(text) ? text.replace(line, `${name}=${value}`) : `${text.replace(/\n?$/, "\n")}${name}=${value}\n`;
  }
  try {
    // "wx": never overwrite a .dev.vars that appeared meanwhile; 0600: it holds secrets.
    writeFileSync(devVarsPath, text, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if (error.code === "EEXIST") return;
    fail(`dev: could not create ${devVarsPath}: ${error.message}`);
  }
  console.log(
    `dev: created .dev.vars from .dev.vars.example with a new random SESSION_SECRET, ADMIN_TOKEN and ASSERTION_KEYS (the admin API token is the ADMIN_TOKEN line in ${devVarsPath})`,
  );
}

/** A .dev.vars made before the signed assertion existed: give it a signing key too. */
async function addAssertionKeys(text) {
  if (/^ASSERTION_KEYS=/m.test(text)) return;
  const line = `ASSERTION_KEYS=${await GENERATED.ASSERTION_KEYS()}\n`;
  try {
    writeFileSync(devVarsPath, `${text.replace(/\n?$/, "\n")}${line}`, { mode: 0o600 });
  } catch (error) {
    fail(`dev: could not add ASSERTION_KEYS to ${devVarsPath}: ${error.message}`);
  }
  console.log(`dev: added a new ASSERTION_KEYS signing key to ${devVarsPath} (the origin gets a signed X-Auth-Assertion)`);
}

/** A .dev.vars copied by hand from the example has empty secrets: the gateway would answer 503. */
function warnAboutEmptySecrets(text) {
  const sessionSecret = /^SESSION_SECRET=(.*)$/m.exec(text)?.[1]?.trim();
  if (!sessionSecret) {
    console.warn(
      "dev: warning: SESSION_SECRET is empty or missing in .dev.vars, so the gateway will answer 503 to every request; " +
        "set it (see .dev.vars.example) or delete .dev.vars to have a new one generated",
    );
  }
}

function runWrangler(args) {
  const binDir = path.join(root, "node_modules", ".bin");
  const wrangler = path.join(binDir, "wrangler");
  if (!existsSync(wrangler)) fail("dev: node_modules/.bin/wrangler not found: run `npm ci` (or `npm install`) first");

  const env = {
    ...process.env,
    PATH: [binDir, process.env.PATH].filter(Boolean).join(path.delimiter),
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
  };
  // Same process group as this script: Ctrl-C in a terminal reaches wrangler directly, and
  // wrangler keeps the terminal for its hotkeys. Signals sent to this process alone are
  // forwarded below.
  const child = spawn(wrangler, args, { cwd: root, env, stdio: "inherit" });

  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, forward);

  child.on("error", (error) => fail(`dev: could not start wrangler: ${error.message}`));
  child.on("exit", (code, signal) => {
    if (signal) process.exit(128 + (osConstants.signals[signal] ?? 0));
    process.exit(code ?? 1);
  });
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
