/**
 * `npm run check` (scripts/check-config.mjs): the Worker's own validator on wrangler.toml plus
 * `.dev.vars` or `--var`s, before anything runs. Every problem printed, unknown names with and
 * without a suggestion, exit 1 on a problem.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { checkConfig } from "../../scripts/check-config.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const GOOD_SECRETS = "SESSION_SECRET=check-test-signing-key-0123456789abcdef\nADMIN_TOKEN=check-test-admin-token-0123456789abcdef\n";
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory holding a wrangler.toml (and a .dev.vars when given). */
function project(toml: string, devVars?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "gateway-check-"));
  dirs.push(dir);
  writeFileSync(join(dir, "wrangler.toml"), toml);
  if (devVars !== undefined) writeFileSync(join(dir, ".dev.vars"), devVars);
  return dir;
}

async function check(dir: string, ...argv: string[]) {
  const lines: string[] = [];
  const result = await checkConfig(argv, { cwd: dir, out: (line) => lines.push(line), err: (line) => lines.push(line) });
  return { ...result, output: lines.join("\n") };
}

const BASE = `name = "check-test"
main = "src/index.ts"
compatibility_date = "2026-08-01"
`;

describe("npm run check", () => {
  it("passes the shipped wrangler.toml with a .dev.vars beside it, without a warning", async () => {
    const dir = project("", GOOD_SECRETS);
    copyFileSync(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
    const result = await check(dir);
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain("check: the configuration is valid");
  });

  it("prints every problem of a bad configuration, each naming its setting, and exits 1", async () => {
    const dir = project(
      `${BASE}
[vars]
ORIGIN_URL = "ftp://origin.example/app"
IDLE_TIMEOUT_SECONDS = "abc"
COOKIE_NAME = "session"
AUTH_MODE = "magic"
ROUTES = [
  { path = "/a", acess = "public" },
  { path = "b", access = "public" },
  { path = "/c/(", access = "public" },
]
`,
      "SESSION_SECRET=short\nADMIN_TOKEN=also-short\n",
    );
    const result = await check(dir);
    expect(result.exitCode).toBe(1);
    const expected = [
      'IDLE_TIMEOUT_SECONDS ("abc")',
      'COOKIE_NAME ("session")',
      'AUTH_MODE ("magic")',
      'ROUTES[0] ({"path":"/a","acess":"public"}) has an unknown key "acess" (did you mean "access"?)',
      'ROUTES[1].path ("b") must start with /',
      'ROUTES[2].path ("/c/(") is not a valid URLPattern pathname',
      'ORIGIN_URL ("ftp://origin.example/app") must be an absolute http(s) URL',
      "SESSION_SECRET keys must be at least 32 characters",
      "ADMIN_TOKEN must be at least 32 characters",
    ];
    for (const text of expected) {
      expect(result.problems.filter((problem) => problem.includes(text)), text).toHaveLength(1);
      expect(result.output).toContain(`  error: ${result.problems.find((problem) => problem.includes(text))}`);
    }
    expect(result.problems).toHaveLength(expected.length);
    expect(result.output).toContain("check: 9 problems, 0 warnings: the gateway would answer 503 to every request");
    // A secret's value is never printed.
    expect(result.output).not.toContain("also-short");
  });

  it("warns about unknown names, with a suggestion when one is close, and both origins set", async () => {
    const dir = project(
      `${BASE}
[[services]]
binding = "ORIGIN"
service = "demo-origin"

[vars]
ORIGIN_URL = "http://127.0.0.1:3000"
MAX_SESSION_PER_USER = 3
SOMETHING_ELSE = "x"
`,
      `${GOOD_SECRETS}idle_timeout_seconds=60\n`,
    );
    const result = await check(dir);
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([
      "MAX_SESSION_PER_USER is not a setting of the gateway and is ignored (did you mean MAX_SESSIONS_PER_USER?)",
      "SOMETHING_ELSE is not a setting of the gateway and is ignored",
      "idle_timeout_seconds is not a setting of the gateway and is ignored (did you mean IDLE_TIMEOUT_SECONDS?)",
      expect.stringMatching(/^ORIGIN_URL is ignored: the ORIGIN service binding is set/),
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain("  warning: MAX_SESSION_PER_USER is not a setting");
    expect(result.output).toContain("check: the configuration is valid, with 4 warnings");
  });

  it("masks credentials in ORIGIN_URL and ORIGINS in every line it prints (R10)", async () => {
    const dir = project(
      `${BASE}\n[vars]\nORIGIN_URL = "https://deploy:hunter2-secret@origin.example/app"\nORIGINS = '{"blog": "https://blog:hunter2-other@blog.example/?token=hunter2-key"}'\n`,
      GOOD_SECRETS,
    );
    const result = await check(dir);
    expect(result.exitCode).toBe(1);
    expect(result.problems).toHaveLength(2);
    expect(result.output).toContain('ORIGIN_URL ("https://***@origin.example/app")');
    expect(result.output).not.toContain("hunter2");
  });

  it("refuses an ORIGIN given as a variable instead of a service binding", async () => {
    const dir = project(`${BASE}\n[vars]\nORIGIN = "http://127.0.0.1:3000"\n`, GOOD_SECRETS);
    const result = await check(dir);
    expect(result.problems).toEqual([expect.stringContaining("ORIGIN (\"http://127.0.0.1:3000\") must be a service binding")]);
    expect(result.exitCode).toBe(1);
  });

  it("takes --var over the files, reads no .dev.vars with --no-dev-vars, and assumes secrets with --without-secrets", async () => {
    const dir = project(`${BASE}\n[vars]\nORIGIN_URL = "not a url"\n`, GOOD_SECRETS);
    const fixed = await check(dir, "--var", "ORIGIN_URL:http://127.0.0.1:3000");
    expect([fixed.exitCode, fixed.problems]).toEqual([0, []]);

    const noSecrets = await check(dir, "--var", "ORIGIN_URL:http://127.0.0.1:3000", "--no-dev-vars");
    expect(noSecrets.problems).toEqual([expect.stringMatching(/^SESSION_SECRET is not set/)]);

    const deploy = await check(dir, "--var", "ORIGIN_URL:http://127.0.0.1:3000", "--no-dev-vars", "--without-secrets");
    expect([deploy.exitCode, deploy.problems]).toEqual([0, []]);
    expect(deploy.output).toContain("note: SESSION_SECRET not read here (wrangler secret put): assumed set");
  });

  it("checks an environment as wrangler builds it: [env.NAME] vars replace the top-level ones", async () => {
    const dir = project(
      `${BASE}\n[vars]\nORIGIN_URL = "http://127.0.0.1:3000"\n\n[env.staging.vars]\nORIGIN_URL = "https://staging.example/path?x=1"\n`,
      GOOD_SECRETS,
    );
    expect((await check(dir)).exitCode).toBe(0);
    const staging = await check(dir, "--env", "staging");
    expect(staging.problems).toEqual([expect.stringContaining('ORIGIN_URL ("https://staging.example/path?***")')]);
    expect(staging.output).toContain("check: wrangler.toml [env.staging] + .dev.vars");
  });

  it("says so when wrangler.toml is not valid TOML", async () => {
    const dir = project(`${BASE}\n[vars\nX = 1\n`);
    const result = await check(dir);
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/check: wrangler\.toml could not be read/);
  });

  it("exits 1 as a command, printing the problem", async () => {
    const dir = project(`${BASE}\n[vars]\nORIGIN_URL = "http://127.0.0.1:3000"\nCOOKIE_NAME = "session"\n`, GOOD_SECRETS);
    const run = promisify(execFile)(process.execPath, [join(ROOT, "scripts/check-config.mjs")], { cwd: dir });
    const failure = (await run.then(() => null, (error: unknown) => error)) as { code: number; stdout: string } | null;
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain('  error: COOKIE_NAME ("session") must be a cookie-name token starting with "__Host-"');
  });
});
