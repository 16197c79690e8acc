/**
 * Differential test (X-03, X-04, R2): the gateway in front of real origin routers — Express,
 * Flask (Werkzeug), Rails routing with Rack::MethodOverride, Laravel's and Symfony's requests
 * under PHP's built-in server, and a Java-servlet-like router — all serving one route table and
 * naming the handler they ran. Whatever spelling of a path or
 * method a router maps onto a handler, the gateway must have required what that handler
 * requires: a case where an origin ran a handler the caller may not use is a bypass.
 *
 * Run alone: npx vitest run --project workers test/differential
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { PLAIN_CASES, SPELLING_PATHS, SPELLINGS, type Identity } from "./corpus";
import { describeCase, gatewayEnvFor, identityCookies, isBypass, ORIGINS, runCorpus, send, type CaseResult } from "./harness";

let cookies: Record<Identity, string | null>;
const bindingsOf = new Map<string, Env>();
const resultsOf = new Map<string, CaseResult[]>();

// The four corpora run at once: each origin is its own process, so the two cores are shared
// between the gateway's isolate and the origins (about half the time of one after another).
beforeAll(async () => {
  cookies = await identityCookies();
  for (const origin of ORIGINS) bindingsOf.set(origin.name, gatewayEnvFor(origin));
  const all = await Promise.all(ORIGINS.map((origin) => runCorpus(bindingsOf.get(origin.name)!, cookies)));
  ORIGINS.forEach((origin, index) => resultsOf.set(origin.name, all[index]!));
}, 60_000);

describe.each(ORIGINS)("the gateway in front of $name", (origin) => {
  let bindings: Env;
  let results: CaseResult[];

  beforeAll(() => {
    bindings = bindingsOf.get(origin.name)!;
    results = resultsOf.get(origin.name)!;
  });

  // The origin really serves the table, so the suite cannot pass on a wall of 404s.
  it.each(PLAIN_CASES)(`runs %s %s as %s for the admin: ${origin.name}`, async (method, path, handler) => {
    const answer = await send(bindings, cookies.admin, path, { method, body: method === "POST" ? "" : null });
    expect(answer, `${origin.name}: ${method} ${path}`).toMatchObject({ status: 200, handler, method });
  });

  it(`never runs a handler the caller may not use: ${origin.name}`, () => {
    const bypasses = results.filter(isBypass).map((result) => describeCase(origin.name, result));
    expect(bypasses, `bypasses through the gateway in front of ${origin.name}`).toEqual([]);
  });

  // R2: whether or not this origin honours a spelling, the gateway decides it as DELETE (403 for
  // a plain user) or refuses to guess how it would be read (400); it never forwards it.
  it(`refuses every spelling of a DELETE override from a plain user: ${origin.name}`, () => {
    const labels = new Set(SPELLINGS.map((variant) => variant.label));
    const spelled = results.filter((result) => result.identity === "user" && labels.has(result.variant));
    expect(spelled.length).toBe(SPELLINGS.length * SPELLING_PATHS.length);
    const forwarded = spelled.filter(({ answer }) => !(answer.fromGateway && (answer.status === 403 || answer.status === 400)));
    expect(forwarded.map((result) => describeCase(origin.name, result))).toEqual([]);
  });

  it(`never fails with a 5xx of its own: ${origin.name}`, async ({ annotate }) => {
    const own = results.filter((r) => r.answer.fromGateway && r.answer.status >= 500);
    expect(own.map((result) => describeCase(origin.name, result))).toEqual([]);
    // An origin's own 5xx is the origin's business, but worth seeing.
    const fromOrigin = results.filter((r) => !r.answer.fromGateway && r.answer.status >= 500);
    if (fromOrigin.length > 0) {
      await annotate(`origin 5xx answers:\n${fromOrigin.map((result) => describeCase(origin.name, result)).join("\n")}`, "warning");
    }
  });

  it(`reaches an origin handler on part of the corpus: ${origin.name}`, () => {
    expect(results.filter((result) => result.answer.handler !== null).length).toBeGreaterThan(0);
  });
});
