/**
 * Route policy: which access a (method, path) needs. Rules are URLPattern pathnames, matched in
 * order against the canonical path — the very path that is forwarded — first match wins, and
 * DEFAULT_ACCESS (deny by default) applies otherwise.
 */

import type { Requirements } from "./requirements";

/** `"public"`, `"session"`, or an object of requirements (always with a session). */
export type Access =
  | { readonly kind: "public" }
  | { readonly kind: "session" }
  | { readonly kind: "requirements"; readonly requirements: Requirements };

export interface RouteRule {
  /** URLPattern pathname syntax: `/api/*`, `/users/:id`, `/admin{/*}?`. */
  readonly path: string;
  /** Upper-case HTTP methods; absent means every method. `HEAD` follows `GET`. */
  readonly methods?: readonly string[];
  readonly access: Access;
}

export interface RoutePolicyOptions {
  readonly rules: readonly RouteRule[];
  readonly defaultAccess: Access;
  /** Match ignoring case, for origins that ignore it. Default false. */
  readonly caseInsensitivePaths: boolean;
}

export interface RoutePolicy {
  accessFor(method: string, canonicalPath: string): Access;
  /** Whether some method gets another access than `method` on this path (any method at all). */
  dependsOnMethod(method: string, canonicalPath: string): boolean;
}

/** Methods that frameworks accept as an override (Rack::MethodOverride's list), plus one that no rule lists. */
const OVERRIDE_CANDIDATES = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "LINK", "UNLINK", "UNLISTED-METHOD"];

interface CompiledRule {
  readonly pattern: URLPattern;
  readonly methods: ReadonlySet<string> | null;
  readonly access: Access;
}

/**
 * Compiles the rules once. A rule path that does not end in `/` or `*` also matches the same
 * path with one trailing slash (`/admin` covers `/admin/`), because most origin routers treat
 * the two alike, and with a format suffix (`/admin` covers `/admin.json`, `/admin.`), because
 * Rails routes every path as `(.:format)` and Spring before 5.3 matched `.*` suffixes: a rule
 * must not be side-stepped by a slash or a dot (X-04).
 */
export function compileRoutePolicy(options: RoutePolicyOptions): RoutePolicy {
  const compiled = options.rules.map((rule) => compileRule(rule, options.caseInsensitivePaths));
  const candidates = [...new Set([...OVERRIDE_CANDIDATES, ...options.rules.flatMap((rule) => rule.methods ?? [])])];
  function accessFor(method: string, canonicalPath: string): Access {
    for (const rule of compiled) {
      if (rule.methods && !methodListed(rule.methods, method)) continue;
      if (rule.pattern.test({ pathname: canonicalPath })) return rule.access;
    }
    return options.defaultAccess;
  }
  return {
    accessFor,
    dependsOnMethod(method, canonicalPath) {
      const access = accessFor(method, canonicalPath);
      return candidates.some((other) => !sameAccess(accessFor(other, canonicalPath), access));
    },
  };
}

/** Throws a TypeError for a pattern URLPattern refuses; config.ts reports it. */
export function compileRulePattern(path: string, caseInsensitive: boolean): URLPattern {
  const tolerant = path.endsWith("/") || path.endsWith("*") ? path : `${path}{.:gatewayFormatSuffix}?{.}?{/}?`;
  return new URLPattern({ pathname: tolerant }, { ignoreCase: caseInsensitive });
}

function compileRule(rule: RouteRule, caseInsensitive: boolean): CompiledRule {
  return {
    pattern: compileRulePattern(rule.path, caseInsensitive),
    methods: rule.methods ? new Set(rule.methods) : null,
    access: rule.access,
  };
}

function sameAccess(a: Access, b: Access): boolean {
  if (a === b) return true;
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
  const patterns = paths.map((path) => compileRulePattern(path, caseInsensitive));
  return (path) => patterns.some((pattern) => pattern.test({ pathname: path }));
}
