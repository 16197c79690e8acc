#!/usr/bin/env node
/**
 * The import rules of src/ (docs/architecture.md), checked by `npm test`: which folder may
 * import which, and no import circle. Exits 1 with one line per violation.
 *
 *   node scripts/lint-imports.mjs [root]     (root defaults to the repository)
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(process.argv[2] ?? join(import.meta.dirname, ".."));
const SRC = join(ROOT, "src");

/**
 * Who may import whom, by the importer's area (its first folder under src/, or the file name
 * for top-level files). A target is allowed when its area is listed, or its path (without
 * `.ts`) is. Imports inside one area are always allowed, except where `sameArea` says no.
 */
const RULES = {
  // The Durable Object classes know no HTTP, no login method, no pipeline: a session record
  // says which indexes it belongs to. They never import one another's classes.
  durable: { allow: ["session/types", "session/stubs", "services/types", "log", "http/timing-safe", "env"], sameArea: ["durable/expiry", "durable/index-table", "durable/session-index", "durable/watch-terms", "durable/watch-admission", "durable/watch-release"] },
  // Protocol helpers with no gateway knowledge.
  http: { allow: ["log"] },
  // The Worker-side client of the Durable Objects.
  session: { allow: ["env", "http", "log"] },
  // Service credentials: their token and the Worker's client of their Durable Objects, built on session/'s.
  services: { allow: ["env", "http", "log", "session", "config/schemas"] },
  // Rules compiled once; no request handling. evaluate() is pure: a principal is a plain
  // value, and no Durable Object client (session/, durable/) may be reached from here.
  policy: { allow: ["http", "log", "credentials/principal"], deny: { areas: ["session", "durable"], why: "policy/ imports no Durable Object client (evaluate() is pure)" } },
  // Credential readers: a request → what its credential turned out to be (a principal or not);
  // a bearer credential's verification (workload tokens) reads its setting with config/'s
  // schema helpers, and no pipeline.
  credentials: { allow: ["env", "http", "log", "session", "services", "pipeline/types", "config/schemas"] },
  // The one renderer: a decision or an error → the answer (page, JSON, 401, 302, 403, 404).
  answers: { allow: ["http", "log", "pages", "pipeline/types", "policy/evaluate", "policy/routes", "credentials/credential"] },
  // The spine: interfaces only, never a concrete login method, credential reader, propagator or terminal.
  pipeline: { allow: ["env", "http", "log", "policy", "session", "auth/method", "identity/propagator", "credentials/credential", "credentials/principal", "credentials/bearer", "answers/render"] },
  identity: { allow: ["http", "log", "session/types", "credentials/principal", "identity"] },
  upstream: { allow: ["env", "http", "log", "session", "pipeline/types", "credentials/credential", "identity/propagator", "auth/method", "upstream"] },
  // Live connections held under a watch on their session; the terminal knows only the interface.
  live: { allow: ["env", "http", "log", "session", "pipeline/types", "credentials/credential", "credentials/principal", "live"] },
  endpoints: { allow: ["env", "http", "log", "session", "services", "pipeline", "credentials/credential", "answers/render", "auth/method", "auth/begin-session", "policy", "pages"] },
  // A login method imports shared auth code, never another method.
  auth: { allow: ["env", "http", "log", "session", "pipeline/types", "credentials/credential", "policy/requirements", "policy/hosts", "config/schemas", "config/settings", "durable/idp-sessions", "durable/logout-token-replay", "pages/brand", "pages/error-pages"], methods: ["auth/delegated", "auth/oidc"] },
  // Metrics: data points from what the pipeline learnt; no request handling of their own.
  observability: { allow: ["env", "http", "log", "policy/routes", "policy/evaluate", "pipeline/types", "credentials/credential", "auth/method", "observability"] },
  config: { allow: ["env", "http", "log", "policy", "session", "auth", "identity", "upstream", "config", "pages/brand", "credentials/trusted-issuers"] },
  // The gateway's own pages: one template, escaped by hono/html.
  pages: { allow: ["http", "log", "session/types", "services/types", "pipeline/types", "pages"] },
  // Only the composition root and the entry name concrete parts.
  app: { allow: ["*"] },
  index: { allow: ["app", "durable"] },
  env: { allow: ["durable", "config/settings"] },
  log: { allow: [] },
};

function sourceFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** `src/a/b.ts` → `a/b`; the area is `a` (or `b` for a top-level file). */
const moduleName = (file) => relative(SRC, file).replace(/\.ts$/, "").replaceAll("\\", "/");
const areaOf = (name) => (name.includes("/") ? name.slice(0, name.indexOf("/")) : name);
/** `auth/oidc/login` → `auth/oidc`, the login method it belongs to (or null). */
const methodOf = (name) => /^auth\/([^/]+)\//.exec(name)?.[0].slice(0, -1) ?? null;

function importsOf(file) {
  const text = readFileSync(file, "utf8");
  const found = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/gms)) {
    const typeOnly = Boolean(match[2]);
    const target = resolve(dirname(file), match[3]);
    const path = [target, `${target}.ts`, join(target, "index.ts")].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    if (path) found.push({ target: moduleName(path), typeOnly });
  }
  return found;
}

function allowed(from, to) {
  const fromArea = areaOf(from);
  const toArea = areaOf(to);
  const rule = RULES[fromArea];
  if (!rule) return `no rule for the area ${fromArea}/`;
  const fromMethod = methodOf(from);
  const toMethod = methodOf(to);
  if (fromMethod && toMethod && fromMethod !== toMethod) return `${fromMethod} imports another login method (${toMethod})`;
  // A denial holds even where `allow` would let the import through (a later, wider allow).
  if (rule.deny && rule.deny.areas.some((area) => toArea === area)) return `${rule.deny.why}: ${to}`;
  if (fromArea === toArea) {
    if (rule.sameArea && !rule.sameArea.includes(to)) return `${fromArea}/ may import only ${rule.sameArea.join(", ")} of its own folder`;
    if (fromArea === "auth" && toMethod && !fromMethod) return `shared auth code imports a concrete login method (${toMethod})`;
    return null;
  }
  if (rule.allow.includes("*")) return null;
  const ok = rule.allow.some((entry) => entry === toArea || entry === to || to.startsWith(`${entry}/`));
  return ok ? null : `${fromArea}/ may not import ${to}`;
}

const files = sourceFiles(SRC);
const graph = new Map();
const problems = [];
for (const file of files) {
  const from = moduleName(file);
  const edges = importsOf(file);
  graph.set(from, edges);
  for (const { target } of edges) {
    const why = allowed(from, target);
    if (why) problems.push(`${from} → ${target}: ${why}`);
  }
}

// Circles, leaving out the one allowed kind: type-only imports of env.ts (its binding types
// name the Durable Object classes, which import the Env type back).
const state = new Map();
const stack = [];
function visit(node) {
  state.set(node, "open");
  stack.push(node);
  for (const { target, typeOnly } of graph.get(node) ?? []) {
    if (typeOnly && (target === "env" || node === "env")) continue;
    if (state.get(target) === "open") problems.push(`import circle: ${[...stack.slice(stack.indexOf(target)), target].join(" → ")}`);
    else if (!state.has(target)) visit(target);
  }
  stack.pop();
  state.set(node, "done");
}
for (const node of graph.keys()) if (!state.has(node)) visit(node);

if (problems.length > 0) {
  console.error(`lint-imports: ${problems.length} problem(s) in ${relative(process.cwd(), SRC) || "src"}/`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`lint-imports: ${files.length} files, ${[...graph.values()].reduce((n, edges) => n + edges.length, 0)} imports, rules hold`);
