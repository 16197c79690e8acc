// The side-by-side load scenarios, run in rounds that alternate the variants (A B C A B C …)
// so that drift on a shared machine hits every variant alike. Each round starts a fresh
// workerd on the same storage, and each measured run follows an unrecorded warm-up run.
import { MACHINE_ROLE } from "../gateway-config.mjs";
import { load, median } from "../load.mjs";
import { forgedCookie, login } from "../variants.mjs";

export const STREAM_BYTES = 1024 * 1024;

/**
 * Variants that are another variant's worker with another credential: the machine scenario's
 * workload-token and service-token GETs go to the `gateway` worker itself (the same build, the
 * same process, the same round), with `Authorization: Bearer …` from runComparison's `bearers`
 * instead of a cookie.
 */
export const CREDENTIAL_VARIANTS = {
  "gateway-workload": { worker: "gateway", bearer: "workload" },
  "gateway-service": { worker: "gateway", bearer: "service" },
};

/** Scenario definitions: which variants run it, the request, the status that counts. */
export const SCENARIOS = [
  {
    id: "auth",
    title: "Authenticated GET",
    // rpc-floor: bare + one no-op Durable Object RPC, the floor of any one-call-per-request design.
    // gateway-assertion: the gateway signing X-Auth-Assertion too (the same run, so its ratio to
    // the gateway without assertions compares like with like).
    variants: ["bare", "client-side", "gateway", "gateway-assertion", "rpc-floor"],
    // Run in the other order in even rounds, so going second (after the other's load) is not
    // always the same variant's lot.
    alternate: ["gateway", "gateway-assertion"],
    request: { path: "/api/data" },
    cookies: "session",
    expectStatus: () => 200,
  },
  {
    id: "auth-policy",
    title: "Authenticated GET, realistic access policy on",
    // gateway-policy: ALLOWED_USERS and a DEFAULT_ACCESS with roles, emailDomains, ips and
    // maxAuthAgeSeconds (variants.mjs POLICY), every key of which holds for these requests.
    variants: ["bare", "gateway", "gateway-policy"],
    request: { path: "/api/data", headers: { "cf-connecting-ip": "192.0.2.10" } },
    cookies: "session",
    expectStatus: () => 200,
  },
  {
    id: "machine",
    title: "GET by a user, a workload and a service on one rule",
    // /machine/* admits users, workloads and services with MACHINE_ROLE (gateway-config.mjs), so
    // the three requests differ only in their credential: a session cookie (a session with that
    // role), a workload token (ES256 JWT of the bench's issuer, issuer.mjs), a service token.
    // Each connection has its own credential, as each has its own session elsewhere.
    variants: ["bare", "gateway", "gateway-workload", "gateway-service"],
    alternate: ["gateway", "gateway-workload", "gateway-service"],
    labels: { gateway: "gateway, session cookie" },
    request: { path: "/machine/data" },
    cookies: "machine",
    expectStatus: () => 200,
  },
  {
    id: "forged",
    title: "Forged-cookie flood",
    variants: ["bare", "client-side", "gateway", "gateway-no-limiter"],
    request: { path: "/api/data" },
    cookies: "forged",
    // The bare proxy checks nothing: it forwards the request, which is its limit. The gateway
    // answers 401, or 429 once the project's COOKIE_FAILURE_LIMITER has seen too many from
    // one address (all of the flood comes from one here); neither calls a Durable Object.
    expectStatus: (variant) => (variant === "bare" ? 200 : variant === "gateway" ? [401, 429] : 401),
  },
  {
    id: "stream",
    title: "1 MiB response streamed through",
    variants: ["bare", "client-side", "gateway"],
    request: { path: `/bytes/${STREAM_BYTES}` },
    cookies: "session",
    expectStatus: () => 200,
  },
  {
    id: "public",
    title: "GET on a public route, no cookie (pipeline without session)",
    variants: ["bare", "gateway"],
    request: { path: "/public/data" },
    cookies: "none",
    expectStatus: () => 200,
  },
  // Last in each round: logins leave thousands of objects behind in the runtime, which then
  // starts the next round afresh.
  {
    id: "login",
    title: "Login (POST /login, new session)",
    variants: ["bare", "client-side", "gateway"],
    request: { path: "/login", method: "POST" },
    cookies: "none",
    expectStatus: () => 204,
  },
];

/**
 * @param {{ startRound: () => Promise<Record<string, string>>, bearers: (urls: Record<string, string>) => Promise<Record<string, string[]>>,
 *           connections: number, durationSeconds: number, warmupSeconds: number, rounds: number, progress: (line: string) => void }} options
 *   startRound: (re)starts the runtime; resolves to each variant's URL.
 *   bearers: called at the start of each round, with that round's URLs: `connections`
 *   Authorization values per credential kind of CREDENTIAL_VARIANTS (`workload`, `service`).
 */
export async function runComparison({ startRound, bearers, connections, durationSeconds, warmupSeconds, rounds, progress }) {
  let urls = await startRound();
  const sessionsOf = (variant, roles) => Promise.all(Array.from({ length: connections }, () => login(urls[variant], { roles })));
  // One session (and one forged cookie) per connection: a connection is one browser.
  const cookies = {};
  for (const variant of Object.keys(urls)) {
    const forged = await Promise.all(Array.from({ length: connections }, () => forgedCookie(variant)));
    // bare and rpc-floor check no cookie; gateway-no-limiter only runs the forged flood
    const checksNoCookie = variant === "bare" || variant === "rpc-floor" || variant === "gateway-no-limiter";
    const runsMachine = SCENARIOS.some((scenario) => scenario.cookies === "machine" && scenario.variants.includes(variant));
    cookies[variant] = {
      session: checksNoCookie ? forged : await sessionsOf(variant),
      // Sessions with the machine rule's role, for the machine scenario.
      machine: checksNoCookie ? forged : runsMachine ? await sessionsOf(variant, [MACHINE_ROLE]) : [],
      forged,
      none: [],
    };
  }

  const runs = []; // { round, scenario, variant, ...load result }
  for (let round = 1; round <= rounds; round++) {
    if (round > 1) urls = await startRound();
    const roundBearers = await bearers(urls);
    for (const scenario of SCENARIOS) {
      for (const variant of roundOrder(scenario, round)) {
        const credential = CREDENTIAL_VARIANTS[variant];
        const options = {
          url: urls[credential?.worker ?? variant],
          ...scenario.request,
          expectStatus: scenario.expectStatus(variant),
          connections,
          cookies: credential ? [] : cookies[variant][scenario.cookies],
          authorizations: credential ? roundBearers[credential.bearer] : [],
        };
        if (warmupSeconds > 0) await load({ ...options, durationSeconds: warmupSeconds });
        const result = await load({ ...options, durationSeconds });
        runs.push({ round, scenario: scenario.id, variant, ...result });
        progress(
          `round ${round}/${rounds} ${scenario.id.padEnd(7)} ${variant.padEnd(16)} ` +
            `${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms` +
            (result.unexpected + result.errors > 0 ? `  (unexpected ${JSON.stringify(result.statuses)}, errors ${result.errors})` : ""),
        );
      }
    }
  }
  return { runs, summary: summarize(runs) };
}

/**
 * The scenario's variants in the order of this round: its `alternate` ones rotated by one place
 * each round (a pair swaps in even rounds), the others where they are.
 */
function roundOrder(scenario, round) {
  const { alternate } = scenario;
  if (!alternate) return scenario.variants;
  const shift = (round - 1) % alternate.length;
  const rotated = [...alternate.slice(shift), ...alternate.slice(0, shift)];
  return scenario.variants.map((variant) => (alternate.includes(variant) ? rotated[alternate.indexOf(variant)] : variant));
}

/**
 * Per scenario and variant: the median over rounds of each figure, and of each round's ratio to
 * the bare run of the same round (so a slow round does not skew the ratio).
 */
function summarize(runs) {
  const summary = {};
  for (const scenario of SCENARIOS) {
    summary[scenario.id] = {};
    for (const variant of scenario.variants) {
      const mine = runs.filter((run) => run.scenario === scenario.id && run.variant === variant);
      const ratios = mine.map((run) => {
        const bare = runs.find((other) => other.scenario === scenario.id && other.variant === "bare" && other.round === run.round);
        return {
          throughput: run.requestsPerSecond / bare.requestsPerSecond,
          p50: run.p50Ms / bare.p50Ms,
          p99: run.p99Ms / bare.p99Ms,
        };
      });
      summary[scenario.id][variant] = {
        requestsPerSecond: median(mine.map((run) => run.requestsPerSecond)),
        bytesPerSecond: median(mine.map((run) => run.bytesPerSecond)),
        p50Ms: median(mine.map((run) => run.p50Ms)),
        p99Ms: median(mine.map((run) => run.p99Ms)),
        unexpected: mine.reduce((sum, run) => sum + run.unexpected + run.errors, 0),
        total: mine.reduce((sum, run) => sum + run.expected + run.unexpected, 0),
        ratio: {
          throughput: median(ratios.map((ratio) => ratio.throughput)),
          p50: median(ratios.map((ratio) => ratio.p50)),
          p99: median(ratios.map((ratio) => ratio.p99)),
        },
      };
    }
  }
  return summary;
}
