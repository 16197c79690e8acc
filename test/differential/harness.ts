/**
 * Runs the corpus through the gateway in front of one real origin router (started by
 * global-setup.mjs) and classifies each answer: which handler the origin ran, if any, and
 * whether the gateway itself answered (its own answers are `no-store` + `nosniff`, a JSON
 * body `{"error": ...}` or an HTML page).
 */
import { env } from "cloudflare:workers";
import { inject, type ProvidedContext } from "vitest";
import type { Env } from "../../src/env";
import { cookie, gatewayFetchIn, login, uniqueUser } from "../helpers";
import { HANDLER_REQUIRES, IDENTITIES, meets, PATHS, SUITE_ROUTES, VARIANTS, type Identity, type Variant } from "./corpus";

export interface OriginUnderTest {
  readonly name: string;
  /** The name global-setup.mjs provides its port under. */
  readonly port: OriginPortKey;
  /** Whether the origin ignores case, so the operator must set CASE_INSENSITIVE_PATHS. */
  readonly ignoresCase: boolean;
}

declare module "vitest" {
  export interface ProvidedContext {
    expressOriginPort: string;
    flaskOriginPort: string;
    railsOriginPort: string;
    javaLikeOriginPort: string;
    laravelOriginPort: string;
    symfonyOriginPort: string;
  }
}
type OriginPortKey = Extract<keyof ProvidedContext, `${string}OriginPort`>;

export const ORIGINS: readonly OriginUnderTest[] = [
  { name: "Express", port: "expressOriginPort", ignoresCase: true },
  { name: "Flask", port: "flaskOriginPort", ignoresCase: false },
  { name: "Rails", port: "railsOriginPort", ignoresCase: false },
  { name: "Java-like", port: "javaLikeOriginPort", ignoresCase: true },
  { name: "Laravel", port: "laravelOriginPort", ignoresCase: false },
  { name: "Symfony", port: "symfonyOriginPort", ignoresCase: false },
];

const testEnv = env as unknown as Env & Record<string, string | undefined>;

/**
 * One env object per origin, reused for every request: config.ts caches the validated
 * configuration per env object, and a fresh object per request would validate it each time.
 */
export function gatewayEnvFor(origin: OriginUnderTest): Env {
  const port = inject(origin.port);
  if (!port) throw new Error(`${origin.port} was not provided: is test/differential/global-setup.mjs in vitest.config.ts?`);
  return {
    ...testEnv,
    ORIGIN: undefined,
    ORIGIN_URL: `http://127.0.0.1:${port}`,
    ROUTES: JSON.stringify(SUITE_ROUTES),
    DEFAULT_ACCESS: "session",
    CASE_INSENSITIVE_PATHS: origin.ignoresCase ? "true" : "false",
  } as Env;
}

/** Session cookies for the identities; logins go through the default (echo origin) env. */
export async function identityCookies(): Promise<Record<Identity, string | null>> {
  const user = await login(uniqueUser({ roles: ["user"] }));
  const admin = await login(uniqueUser({ roles: ["admin"] }));
  return { anonymous: null, user: cookie(user.token), admin: cookie(admin.token) };
}

export interface Answer {
  readonly status: number;
  /** The handler the origin says it ran, or null. */
  readonly handler: string | null;
  /** The method the origin's framework ran it as. */
  readonly method: string | null;
  /** The gateway answered itself (refusal, error), the origin was not asked or not heard. */
  readonly fromGateway: boolean;
}

export async function send(bindings: Env, cookieHeader: string | null, path: string, init: RequestInit): Promise<Answer> {
  const headers = new Headers(init.headers);
  headers.set("accept", "application/json");
  if (cookieHeader) headers.set("cookie", cookieHeader);
  const response = await gatewayFetchIn(bindings, path, { ...init, headers });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: a framework's HTML 404 page, or the gateway's HTML page.
  }
  const record = json && typeof json === "object" ? (json as Record<string, unknown>) : null;
  const handler = typeof record?.handler === "string" ? record.handler : null;
  const ownHeaders = /no-store/.test(response.headers.get("cache-control") ?? "") && response.headers.get("x-content-type-options") === "nosniff";
  const ownBody = (record !== null && Object.keys(record).join() === "error") || /text\/html/.test(response.headers.get("content-type") ?? "");
  return {
    status: response.status,
    handler,
    method: typeof record?.method === "string" ? record.method : null,
    fromGateway: handler === null && ownHeaders && (ownBody || text === ""),
  };
}

export interface CaseResult {
  readonly identity: Identity;
  readonly path: string;
  readonly variant: string;
  readonly answer: Answer;
}

/**
 * Every (identity, path, variant) once, a few requests in flight at a time. The admin may use
 * every handler, so no answer to the admin is a bypass: the admin sends only the plain methods
 * (enough to see that no spelling makes the gateway itself fail), not the overrides.
 */
export async function runCorpus(bindings: Env, cookies: Record<Identity, string | null>, concurrency = 12): Promise<CaseResult[]> {
  const cases: { identity: Identity; path: string; variant: Variant }[] = [];
  for (const identity of IDENTITIES) {
    for (const path of PATHS) {
      for (const variant of VARIANTS) {
        if (variant.paths && !variant.paths.includes(path)) continue;
        if (identity !== "admin" || !variant.override) cases.push({ identity, path, variant });
      }
    }
  }
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < cases.length) {
      const index = next++;
      const { identity, path, variant } = cases[index]!;
      const request = await variant.build(path);
      const answer = await send(bindings, cookies[identity], request.path, request.init);
      results[index] = { identity, path, variant: variant.label, answer };
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** A handler ran that the identity may not use, or one the route table does not know. */
export function isBypass(result: CaseResult): boolean {
  const { handler } = result.answer;
  if (handler === null) return false;
  const requirement = HANDLER_REQUIRES[handler];
  return requirement === undefined || !meets(result.identity, requirement);
}

export function describeCase(origin: string, result: CaseResult): string {
  const { status, handler, method } = result.answer;
  const ran = handler ? `ran ${handler} as ${method}` : result.answer.fromGateway ? "gateway answered" : "origin answered";
  return `${origin}: ${result.identity} ${result.variant} ${result.path} → ${status}, ${ran}`;
}
