/**
 * The origins an allowed request can go to: the default one (the `ORIGIN` service binding, or
 * ORIGIN_URL) and the named ones of ORIGINS, each a base URL (a path prefix allowed) or
 * `{ service = "BINDING" }` (or `{ url = "…" }`), a table with an optional `audience`: the
 * signed assertion's `aud` for that origin (identity/assertion.ts). A rule's `origin` must name
 * one of them; every mistake is a configuration problem, reported with the others.
 */
import * as v from "valibot";
import type { Env } from "../env";
import { DEFAULT_ORIGIN } from "../policy/routes";
import type { OriginSetting } from "../upstream/origin";
import { ClaimValue, ORIGIN_NAME, parseSetting, quote, valueOrJson } from "./schemas";

const URL_RULE = "must be an absolute http(s) URL with no query, fragment or credentials (a path prefix is allowed)";

// An entry in its table form may name the audience of the assertions made for it (R6).
const OriginEntry = v.union(
  [
    v.string(),
    v.strictObject({ service: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)), audience: v.optional(ClaimValue) }),
    v.strictObject({ url: v.string(), audience: v.optional(ClaimValue) }),
  ],
  `must be a base URL ("https://app-internal.example.com/prefix"), { url = "…" } or { service = "BINDING" }, each table with an optional audience = "…" (printable ASCII, at most 512 characters)`,
);

const OriginsSetting = v.pipe(valueOrJson, v.record(v.string(), OriginEntry, "must be a table of origin names to base URLs or { service = \"BINDING\" }"));

/** Every origin by name, DEFAULT_ORIGIN included; null when one of them is wrong. */
export function resolveOrigins(problems: string[], env: Env): ReadonlyMap<string, OriginSetting> | null {
  const before = problems.length;
  const origins = new Map<string, OriginSetting>();
  const fallback = resolveDefaultOrigin(problems, env);
  if (fallback) origins.set(DEFAULT_ORIGIN, fallback);
  const named = parseSetting(problems, "ORIGINS", env.ORIGINS, OriginsSetting, {});
  for (const [name, entry] of Object.entries(named)) {
    const where = `ORIGINS.${name}`;
    if (name === DEFAULT_ORIGIN) {
      problems.push(`${where} is reserved: the default origin is ORIGIN_URL or the ORIGIN binding`);
      continue;
    }
    if (!ORIGIN_NAME.test(name)) {
      problems.push(`${where} is not an origin name: a lower-case letter, then letters, digits, _ or - (at most 64)`);
      continue;
    }
    const origin = typeof entry === "string" ? urlOrigin(problems, where, entry) : "url" in entry ? urlOrigin(problems, `${where}.url`, entry.url) : bindingOrigin(problems, where, env, entry.service);
    if (origin) origins.set(name, origin);
  }
  return problems.length > before ? null : origins;
}

/** Rules that name an origin ORIGINS does not have. */
export function unknownOriginProblems(rules: readonly { readonly origin?: string }[], origins: ReadonlyMap<string, OriginSetting>): string[] {
  return rules.flatMap((rule, index) =>
    rule.origin === undefined || origins.has(rule.origin)
      ? []
      : [`ROUTES[${index}].origin (${quote(rule.origin)}) is not an origin: name one of ${[...origins.keys()].map((name) => `"${name}"`).join(", ")} (ORIGINS)`],
  );
}

function resolveDefaultOrigin(problems: string[], env: Env): OriginSetting | null {
  if (env.ORIGIN) {
    // A `[vars]` or `.dev.vars` entry named ORIGIN would otherwise be taken for the binding.
    if (isFetcher(env.ORIGIN)) return { kind: "binding", binding: "ORIGIN" };
    problems.push(`ORIGIN (${quote(env.ORIGIN)}) must be a service binding ([[services]] binding = "ORIGIN"), not a variable: did you mean ORIGIN_URL?`);
    return null;
  }
  if (!env.ORIGIN_URL) {
    problems.push("ORIGIN_URL is not set and there is no ORIGIN service binding: one of them must name the origin");
    return null;
  }
  return urlOrigin(problems, "ORIGIN_URL", env.ORIGIN_URL);
}

function urlOrigin(problems: string[], where: string, value: unknown): OriginSetting | null {
  let url: URL;
  try {
    if (typeof value !== "string") throw new TypeError("not a string");
    url = new URL(value);
  } catch {
    problems.push(`${where} (${quote(value)}) ${URL_RULE}`);
    return null;
  }
  // `?` or `#` with nothing after them leave url.search/hash empty, so the text is checked too.
  if (!["http:", "https:"].includes(url.protocol) || url.username || url.password || url.search || url.hash || /[?#]/.test(value as string)) {
    problems.push(`${where} (${quote(value)}) ${URL_RULE}`);
    return null;
  }
  // The canonical path is appended to the prefix: `/app` and `/app/` both give `/app/x`.
  const pathPrefix = url.pathname.replace(/\/+$/, "");
  return { kind: "url", url: new URL(url.origin), pathPrefix };
}

function bindingOrigin(problems: string[], where: string, env: Env, binding: string): OriginSetting | null {
  const fetcher = (env as unknown as Record<string, unknown>)[binding];
  if (isFetcher(fetcher)) return { kind: "binding", binding };
  problems.push(`${where} names the service binding ${binding}, which the Worker does not have: add [[services]] binding = "${binding}" to wrangler.toml`);
  return null;
}

function isFetcher(value: unknown): value is Fetcher {
  return typeof (value as Partial<Fetcher> | undefined)?.fetch === "function";
}

/** The binding names ORIGINS refers to: they are not unknown settings (warnings.ts). */
export function originBindingNames(env: Env): string[] {
  const result = v.safeParse(OriginsSetting, env.ORIGINS ?? {});
  if (!result.success) return [];
  return Object.values(result.output).flatMap((entry) => (typeof entry === "string" || !("service" in entry) ? [] : [entry.service]));
}

/** Every named origin, with the audience its entry names or null (resolveOrigins reports a bad entry). */
export function originAudiences(env: Env): ReadonlyMap<string, string | null> {
  const result = v.safeParse(OriginsSetting, env.ORIGINS ?? {});
  if (!result.success) return new Map();
  return new Map(Object.entries(result.output).map(([name, entry]) => [name, typeof entry === "string" ? null : (entry.audience ?? null)]));
}
