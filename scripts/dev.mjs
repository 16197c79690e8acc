// `npm run dev [-- --origin <url>] [-- <wrangler dev options>]`: the gateway, locally, in front
// of the demo origin — or, with `--origin http://127.0.0.1:3000`, in front of your own app.
//
// 1. On a fresh clone there is no `.dev.vars`: create it from `.dev.vars.example` with fresh
//    random SESSION_SECRET and ADMIN_TOKEN and a new ASSERTION_KEYS signing key (a `.dev.vars`
//    without an ASSERTION_KEYS line gets one appended; an empty `ASSERTION_KEYS=` line is left
//    alone: no assertion, on purpose). With two `-c` configs wrangler reads each
//    worker's `.dev.vars` next to *that* worker's config, so the gateway's secrets belong in
//    `.dev.vars` beside wrangler.toml (the demo origin needs none). DEV_VARS_PATH names
//    another file (the tests use one of their own), passed to wrangler with `--env-file`.
// 2. `--origin <url>`: write a copy of wrangler.toml without the demo's ORIGIN service binding
//    and with ORIGIN_URL = <url> to .wrangler/dev-origin/wrangler.json (git-ignored), so the
//    tracked wrangler.toml stays as it is; its `.dev.vars` is passed with `--env-file`, and
//    its state kept in the usual .wrangler/state.
// 3. Check the configuration first (scripts/check-config.mjs, the Worker's own validator, with
//    the `--var`s given): on a problem, print it and stop, rather than start a gateway that
//    answers 503 to every request.
// 4. Run `wrangler dev -c <config(s)> <extra args>` with stdio inherited, `node_modules/.bin`
//    first on PATH (wrangler needs the Node 22 that the `node` devDependency puts there),
//    SIGINT/SIGTERM/SIGHUP forwarded, and exit with its code.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { newAssertionKey } from "./assertion-key.mjs";
import { checkConfig } from "./check-config.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const devVarsPath = process.env.DEV_VARS_PATH ? path.resolve(process.env.DEV_VARS_PATH) : path.join(root, ".dev.vars");
const examplePath = path.join(root, ".dev.vars.example");
const randomSecret = async () => randomBytes(32).toString("base64url"); // 43 characters
const GENERATED = {
  SESSION_SECRET: randomSecret,
  ADMIN_TOKEN: randomSecret,
  ASSERTION_KEYS: async () => JSON.stringify([await newAssertionKey()]),
};

const { origin, wranglerArgs } = takeOrigin(process.argv.slice(2));
await ensureDevVars();
// wrangler reads the `.dev.vars` beside each config by itself; another file must be named, or
// the check below would pass on it while the gateway started without its secrets (503).
const demoArgs = ["-c", "wrangler.toml", "-c", "demo/wrangler.toml", ...(process.env.DEV_VARS_PATH ? ["--env-file", devVarsPath] : [])];
const configArgs = origin ? await configForOrigin(origin, wranglerArgs) : demoArgs;
await checkFirst(configArgs[1], wranglerArgs);
runWrangler(["dev", ...configArgs, ...wranglerArgs]);

/** `--origin <url>` or `--origin=<url>` is ours; everything else goes to wrangler dev. */
function takeOrigin(args) {
  const wranglerArgs = [];
  let origin = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--origin") {
      origin = args[++i];
      if (!origin) fail("dev: --origin needs a URL, e.g. --origin http://127.0.0.1:3000");
    } else if (args[i].startsWith("--origin=")) {
      origin = args[i].slice("--origin=".length);
    } else {
      wranglerArgs.push(args[i]);
    }
  }
  return { origin, wranglerArgs };
}

/** The gateway's wrangler.toml without the demo's ORIGIN binding, ORIGIN_URL set: a generated file. */
async function configForOrigin(origin, wranglerArgs) {
  const { experimental_readRawConfig } = await import("wrangler");
  const { rawConfig } = experimental_readRawConfig({ config: path.join(root, "wrangler.toml") });
  const services = (rawConfig.services ?? []).filter((service) => service.binding !== "ORIGIN");
  const config = {
    ...rawConfig,
    main: path.join(root, rawConfig.main),
    services,
    vars: { ...rawConfig.vars, ORIGIN_URL: origin },
  };
  const dir = path.join(root, ".wrangler", "dev-origin");
  mkdirSync(dir, { recursive: true });
  const configPath = path.join(dir, "wrangler.json");
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  // The user and password of a URL are masked as the gateway masks them in its own problems (R10).
  const shown = origin.replace(/^([a-z][a-z\d+.-]*:\/\/)[^\s/?#]*@/i, "$1***@");
  console.log(`dev: the gateway in front of ${shown} (config generated at ${path.relative(root, configPath)}; wrangler.toml unchanged)`);
  const args = ["-c", configPath, "--env-file", devVarsPath];
  if (!wranglerArgs.some((arg) => arg === "--persist-to" || arg.startsWith("--persist-to="))) args.push("--persist-to", path.join(root, ".wrangler", "state"));
  return args;
}

/** The Worker's own validator on what wrangler dev is about to start; stops on a problem. */
async function checkFirst(configPath, wranglerArgs) {
  const vars = [];
  for (let i = 0; i < wranglerArgs.length; i++) {
    if (wranglerArgs[i] === "--var") {
      // wrangler dev --var takes several KEY:VALUE after one flag.
      while (wranglerArgs[i + 1] && !wranglerArgs[i + 1].startsWith("-")) vars.push("--var", wranglerArgs[++i]);
    } else if (wranglerArgs[i].startsWith("--var=")) {
      vars.push("--var", wranglerArgs[i].slice("--var=".length));
    }
  }
  const { exitCode } = await checkConfig(["-c", configPath, "--dev-vars", devVarsPath, ...vars], { cwd: root });
  if (exitCode !== 0) fail("dev: not starting: fix the configuration above (`npm run check` checks it again)");
}

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
