/**
 * scripts/lint-imports.mjs, which `npm test` runs first, fails on a forbidden direction and on
 * an import circle, and passes on the repository itself.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SCRIPT = join(ROOT, "scripts/lint-imports.mjs");
let tree: string | null = null;

function lint(root: string) {
  return spawnSync(process.execPath, [SCRIPT, root], { encoding: "utf8" });
}

function treeOf(files: Record<string, string>): string {
  tree = mkdtempSync(join(tmpdir(), "lint-imports-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, "src", path)), { recursive: true });
    writeFileSync(join(tree, "src", path), text);
  }
  return tree;
}

afterEach(() => {
  if (tree) rmSync(tree, { recursive: true, force: true });
  tree = null;
});

describe("the import lint", () => {
  it("passes on the repository", () => {
    const result = lint(ROOT);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ["a Durable Object importing a login method", { "durable/session-object.ts": 'import { x } from "../auth/oidc/idp-index";\n', "auth/oidc/idp-index.ts": "export const x = 1;\n" }, /durable\/ may not import auth\/oidc\/idp-index/],
    ["a Durable Object importing another Durable Object class", { "durable/session-object.ts": 'import { IdpSessions } from "./idp-sessions";\n', "durable/idp-sessions.ts": "export class IdpSessions {}\n" }, /durable\/ may import only/],
    ["the pipeline importing a concrete terminal", { "pipeline/decide.ts": 'import { proxyTerminal } from "../upstream/proxy";\n', "upstream/proxy.ts": "export const proxyTerminal = 1;\n" }, /pipeline\/ may not import upstream\/proxy/],
    ["the policy importing a Durable Object client", { "policy/evaluate.ts": 'import { touchSession } from "../session/store";\n', "session/store.ts": "export const touchSession = 1;\n" }, /policy\/ imports no Durable Object client \(evaluate\(\) is pure\): session\/store/],
    ["the pipeline importing a concrete credential reader", { "pipeline/decide.ts": 'import { sessionCookieReader } from "../credentials/session-cookie";\n', "credentials/session-cookie.ts": "export const sessionCookieReader = 1;\n" }, /pipeline\/ may not import credentials\/session-cookie/],
    ["one login method importing another", { "auth/oidc/login.ts": 'import { x } from "../delegated/method";\n', "auth/delegated/method.ts": "export const x = 1;\n" }, /auth\/oidc imports another login method/],
    ["an import circle", { "http/a.ts": 'import { b } from "./b";\nexport const a = b;\n', "http/b.ts": 'import { a } from "./a";\nexport const b = a;\n' }, /import circle: http\/a → http\/b → http\/a/],
  ])("fails on %s", (_, files, message) => {
    const result = lint(treeOf(files));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });
});
