/**
 * Route policy: which access a (method, host, path) needs and which origin serves it. Rules
 * are URLPattern pathnames, with an optional host pattern (policy/hosts.ts), matched in order
 * against the request's hostname and canonical path — the very path that is forwarded — first
 * match wins, and DEFAULT_ACCESS (deny by default) at the default origin applies otherwise.
 *
 * Once any rule names a host, a hostname that no rule names is not served by falling through:
 * only a rule without `host` that matches the request can take it (to its origin), and anything
 * else on that host is `null` — no app there (404). A gateway with several apps must not hand
 * an unknown hostname to the default app because nothing said otherwise.
 */

import type { PrincipalKind } from "../credentials/principal";
import { compileHostPattern, type HostPattern } from "./hosts";
import { USERS_ONLY, type Requirements } from "./requirements";
import { compileRulePattern, type PathTest } from "./rule-pattern";

export { compileRulePattern } from "./rule-pattern";

/** `"public"`, `"session"`, or an object of requirements (always with a session). */
export type Access =
  | { readonly kind: "public" }
  | { readonly kind: "session" }
  | { readonly kind: "requirements"; readonly requirements: Requirements };

/** The kinds of principal an access admits: none for public (nobody is needed), users for "session". */
export function admittedKinds(access: Access): readonly PrincipalKind[] {
  if (access.kind === "public") return [];
  if (access.kind === "session") return USERS_ONLY;
  return access.requirements.principals ?? USERS_ONLY;
}

/** Whether an access admits a principal that is not a user: a bearer credential is then read. */
export function admitsMachines(access: Access): boolean {
  return admittedKinds(access).some((kind) => kind !== "user");
}

export interface RouteRule {
  /** URLPattern hostname syntax: `admin.example.com`, `*.example.com`; absent: any host. */
  readonly host?: string;
  /** URLPattern pathname syntax: `/api/*`, `/users/:id`, `/admin{/*}?`. */
  readonly path: string;
  /** Upper-case HTTP methods; absent means every method. `HEAD` follows `GET`. */
  readonly methods?: readonly string[];
  readonly access: Access;
  /** A name in ORIGINS; absent: the default origin (ORIGIN_URL or the ORIGIN binding). */
  readonly origin?: string;
}

/** The origin a rule without `origin`, and DEFAULT_ACCESS, sends to. */
export const DEFAULT_ORIGIN = "default";

export interface RouteMatch {
  readonly access: Access;
  /** The name of the origin that serves it (DEFAULT_ORIGIN or a name in ORIGINS). */
  readonly origin: string;
  /** The rule as written, for metrics: `GET,POST admin.example.com/reports/*`, or `DEFAULT_ACCESS`. */
  readonly rule: string;
}

export interface RoutePolicyOptions {
  readonly rules: readonly RouteRule[];
  readonly defaultAccess: Access;
  /** Match ignoring case, for origins that ignore it. Default false. */
  readonly caseInsensitivePaths: boolean;
}

export interface RoutePolicy {
  /** The rule's access and origin; null: no app serves this host (only with host rules). */
  match(method: string, canonicalPath: string, hostname: string): RouteMatch | null;
  accessFor(method: string, canonicalPath: string, hostname: string): Access | null;
  /** Whether some method gets another access than `method` on this path (any method at all). */
  dependsOnMethod(method: string, canonicalPath: string, hostname: string): boolean;
  /** Whether some rule names a host (the gateway serves several apps by hostname). */
  readonly routesByHost: boolean;
  /** Whether a rule names this hostname; with no host rules, every hostname is served. */
  servesHost(hostname: string): boolean;
  /** Whether any rule (or DEFAULT_ACCESS) admits machines: else no request needs a bearer look. */
  readonly admitsMachines: boolean;
}

/** Methods that frameworks accept as an override (Rack::MethodOverride's list), plus one that no rule lists. */
const OVERRIDE_CANDIDATES = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "LINK", "UNLINK", "UNLISTED-METHOD"];

interface CompiledRule {
  readonly host: HostPattern | null;
  readonly test: PathTest;
  readonly methods: ReadonlySet<string> | null;
  readonly match: RouteMatch;
}

/**
 * Compiles the rules once. A rule path that does not end in `/` or `*` also matches the same
 * path with one trailing slash and with a format suffix (X-04; policy/rule-pattern.ts), in time
 * linear in the path (R4).
 */
export function compileRoutePolicy(options: RoutePolicyOptions): RoutePolicy {
  const compiled = options.rules.map((rule) => compileRule(rule, options.caseInsensitivePaths));
  const candidates = [...new Set([...OVERRIDE_CANDIDATES, ...options.rules.flatMap((rule) => rule.methods ?? [])])];
  const hosts = compiled.flatMap((rule) => (rule.host ? [rule.host] : []));
  const routesByHost = hosts.length > 0;
  const fallThrough: RouteMatch = { access: options.defaultAccess, origin: DEFAULT_ORIGIN, rule: "DEFAULT_ACCESS" };
  function match(method: string, canonicalPath: string, hostname: string): RouteMatch | null {
    for (const rule of compiled) {
      if (rule.methods && !methodListed(rule.methods, method)) continue;
      if (rule.host && !rule.host.test(hostname)) continue;
      if (rule.test(canonicalPath)) return rule.match;
    }
    return servesHost(hostname) ? fallThrough : null;
  }
  function servesHost(hostname: string): boolean {
    return !routesByHost || hosts.some((host) => host.test(hostname));
  }
  function accessFor(method: string, canonicalPath: string, hostname: string): Access | null {
    return match(method, canonicalPath, hostname)?.access ?? null;
  }
  return {
    match,
    accessFor,
    routesByHost,
    admitsMachines: admitsMachines(options.defaultAccess) || options.rules.some((rule) => admitsMachines(rule.access)),
    servesHost,
    dependsOnMethod(method, canonicalPath, hostname) {
      const access = accessFor(method, canonicalPath, hostname);
      return candidates.some((other) => !sameAccess(accessFor(other, canonicalPath, hostname), access));
    },
  };
}

function compileRule(rule: RouteRule, caseInsensitive: boolean): CompiledRule {
  return {
    host: rule.host === undefined ? null : compileHostPattern(rule.host),
    test: compileRulePattern(rule.path, caseInsensitive),
    methods: rule.methods ? new Set(rule.methods) : null,
    match: { access: rule.access, origin: rule.origin ?? DEFAULT_ORIGIN, rule: ruleLabel(rule) },
  };
}

function ruleLabel(rule: RouteRule): string {
  return `${rule.methods ? `${rule.methods.join(",")} ` : ""}${rule.host ?? ""}${rule.path}`;
}

function sameAccess(a: Access | null, b: Access | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (a.kind !== b.kind) return false;
  if (a.kind !== "requirements" || b.kind !== "requirements") return true;
  // Compiled once per rule, so only distinct rules get here; their lists keep the written order.
  return JSON.stringify(a.requirements, bigintAsString) === JSON.stringify(b.requirements, bigintAsString);
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

function methodListed(methods: ReadonlySet<string>, method: string): boolean {
  return methods.has(method) || (method === "HEAD" && methods.has("GET"));
}

/** Whether a canonical path matches any of the given URLPattern pathnames (LOGIN_ROUTES). */
export function compilePathSet(paths: readonly string[], caseInsensitive: boolean): (path: string) => boolean {
  const tests = paths.map((path) => compileRulePattern(path, caseInsensitive));
  return (path) => tests.some((test) => test(path));
}
