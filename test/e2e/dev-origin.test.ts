/**
 * `npm run dev -- --origin <url>`: the gateway in front of your own local app, with the
 * tracked wrangler.toml unchanged — a login through that app and an identity it receives.
 * `npm run dev` in front of the demo origin, as README's quick start uses it. And `npm run
 * dev` checks the configuration before it starts wrangler.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_ADMIN_TOKEN, E2E_SECRET, FAST_TEMP_ROOT, freePort, loginAs, rawRequest, startEchoOrigin, type EchoOrigin } from "./harness";
import { sessionCookie, sessionSetCookies } from "./helpers";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules/.bin");

interface DevProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

function startDev(dir: string, args: string[]): DevProcess {
  const child = spawn(process.execPath, [join(ROOT, "scripts/dev.mjs"), ...args], {
    cwd: ROOT,
    // Its own process group, stopped as a group by its pid (dev.mjs and the wrangler it runs).
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, DEV_VARS_PATH: join(dir, ".dev.vars"), NO_COLOR: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  const output: string[] = [];
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  return { child, output, exited: new Promise((done) => child.once("exit", done)) };
}

async function stopDev(dev: DevProcess): Promise<void> {
  if (dev.child.exitCode !== null || dev.child.pid === undefined) return;
  process.kill(-dev.child.pid, "SIGTERM");
  const timer = setTimeout(() => dev.child.pid && process.kill(-dev.child.pid, "SIGKILL"), 5000);
  await dev.exited;
  clearTimeout(timer);
}

/**
 * `npm run dev <args>` on free loopback ports with its own `.dev.vars` and state in `dir`,
 * once wrangler says it is ready.
 */
async function startDevServer(dir: string, args: string[]): Promise<{ dev: DevProcess; port: number }> {
  writeFileSync(join(dir, ".dev.vars"), `SESSION_SECRET=${E2E_SECRET}\nADMIN_TOKEN=${E2E_ADMIN_TOKEN}\n`);
  const port = await freePort();
  const inspectorPort = await freePort();
  const dev = startDev(dir, [...args, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false"]);
  await waitForOutput(dev, `Ready on http://127.0.0.1:${port}`);
  return { dev, port };
}

async function waitForOutput(dev: DevProcess, text: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!dev.output.join("").includes(text)) {
    if (dev.child.exitCode !== null) throw new Error(`dev exited with ${dev.child.exitCode}:\n${dev.output.join("")}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" in time:\n${dev.output.join("")}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe("npm run dev -- --origin", () => {
  let dir: string;
  let origin: EchoOrigin;
  let dev: DevProcess;
  let port: number;
  const trackedConfig = readFileSync(join(ROOT, "wrangler.toml"), "utf8");

  beforeAll(async () => {
    dir = mkdtempSync(join(FAST_TEMP_ROOT, "gateway-dev-origin-"));
    origin = await startEchoOrigin();
    ({ dev, port } = await startDevServer(dir, ["--origin", origin.url]));
  }, 120_000);

  afterAll(async () => {
    if (dev) await stopDev(dev);
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("checked the configuration, then proxies a public route to that origin", async () => {
    expect(dev.output.join("")).toContain("check: the configuration is valid");
    const before = origin.received.length;
    const response = await rawRequest(port, "GET", "/health");
    expect(response.status).toBe(200);
    expect(origin.received.slice(before).map((record) => record.rawPath)).toEqual(["/health"]);
  });

  it("logs a user in through that origin's /login and hands it the identity", async () => {
    const { token } = await loginAs(port, { sub: "dev-origin-alice", roles: ["admin"] });
    const before = origin.received.length;
    const response = await rawRequest(port, "GET", "/admin/reports", { cookie: sessionCookie(token) });
    expect(response.status).toBe(200);
    const [record] = origin.received.slice(before);
    expect(record?.headers["x-auth-user"]).toBe("dev-origin-alice");
  });

  it("keeps the tracked wrangler.toml as it was, and generates a config without the demo binding", () => {
    expect(readFileSync(join(ROOT, "wrangler.toml"), "utf8")).toBe(trackedConfig);
    const generated = JSON.parse(readFileSync(join(ROOT, ".wrangler/dev-origin/wrangler.json"), "utf8")) as { services: { binding: string }[]; vars: Record<string, unknown> };
    expect(generated.services.map((service) => service.binding)).not.toContain("ORIGIN");
    expect(generated.vars.ORIGIN_URL).toBe(origin.url);
    // git itself agrees: nothing tracked changed.
    expect(execFileSync("git", ["status", "--porcelain", "--", "wrangler.toml"], { cwd: ROOT, encoding: "utf8" })).toBe("");
  });
});

describe("npm run dev (the demo origin, README's quick start)", () => {
  let dir: string;
  let dev: DevProcess;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(FAST_TEMP_ROOT, "gateway-dev-demo-"));
    ({ dev, port } = await startDevServer(dir, []));
  }, 120_000);

  afterAll(async () => {
    if (dev) await stopDev(dev);
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends a browser without a session to sign in, and lets anyone log in to the demo by name", async () => {
    const anonymous = await rawRequest(port, "GET", "/", { accept: "text/html" });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.location).toBe("/_gateway/login?return_to=%2F");
    expect((await rawRequest(port, "GET", "/echo")).status).toBe(401);

    // The quick start's curl: the demo's /login answers X-Gateway-Login for any name.
    const login = await rawRequest(port, "POST", "/login", { "content-type": "application/x-www-form-urlencoded" }, "name=quickstart-alice");
    const [session] = sessionSetCookies(login);
    expect(session?.value).toBeTruthy();
    const cookie = sessionCookie(session!.value);
    const echo = await rawRequest(port, "GET", "/echo", { cookie });
    expect(echo.status).toBe(200);
    expect(echo.body).toContain("quickstart-alice");

    expect((await rawRequest(port, "POST", "/_gateway/logout", { cookie })).status).toBe(204);
    expect((await rawRequest(port, "GET", "/echo", { cookie })).status).toBe(401);
  });
});

describe("npm run dev with a bad configuration", () => {
  it("prints the problem and exits 1 without starting wrangler", async () => {
    const dir = mkdtempSync(join(FAST_TEMP_ROOT, "gateway-dev-bad-"));
    try {
      writeFileSync(join(dir, ".dev.vars"), `SESSION_SECRET=${E2E_SECRET}\n`);
      const dev = startDev(dir, ["--origin", "http://deploy:hunter2@127.0.0.1:3000/app?tenant=1"]);
      try {
        // A dev that wrongly starts never exits: give up after 20 s and stop it (finally).
        const code = await Promise.race([dev.exited, new Promise((done) => setTimeout(() => done("still running after 20 s"), 20_000))]);
        const output = dev.output.join("");
        expect(code).toBe(1);
        expect(output).toContain('error: ORIGIN_URL ("http://***@127.0.0.1:3000/app?***") must be an absolute http(s) URL with no query');
        expect(output).not.toContain("hunter2");
        expect(output).toContain("dev: not starting");
        expect(output).not.toContain("Ready on");
      } finally {
        await stopDev(dev);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
