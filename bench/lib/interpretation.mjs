// The prose of RESULTS.md: "Reading the results", computed from the numbers so that it stays
// true when they change, and "Method".
import { count, number, signed, times } from "./format.mjs";

/** Reading the results: what the numbers say, computed from them, so they stay true. */
export function notes(results) {
  const { summary } = results.comparison;
  const auth = summary.auth.gateway;
  const pub = summary.public.gateway;
  const forged = summary.forged.gateway;
  const login = summary.login.gateway;
  const floor = summary.auth["rpc-floor"];
  const us = (figures) => 1e6 / figures.requestsPerSecond;
  const bareAuthUs = us(summary.auth.bare);
  const gatewayAuthUs = us(auth);
  const floorUs = us(floor);
  const gatewayPublicUs = us(pub);
  const barePublicUs = us(summary.public.bare);
  const first = results.scale.steps[0];
  const last = results.scale.steps.at(-1);
  const largestStreamGrowth = Math.max(
    ...Object.values(results.streamMemory.results).flatMap((bySize) => Object.values(bySize).map((size) => size.peakGrowthMiB)),
  );
  const maxRss = Math.max(...results.scale.steps.map((step) => step.rssMiB));
  return [
    "## Reading the results",
    "",
    `- **Where an authenticated request's time goes.** At saturation (1 / throughput) the bare proxy`,
    `  costs about ${number(bareAuthUs, 0)} µs of the machine per request and the gateway ${number(gatewayAuthUs, 0)} µs.`,
    `  The bare proxy plus one Durable Object RPC that does nothing costs ${number(floorUs, 0)} µs`,
    `  (${times(floor.ratio.throughput)} bare): that is the floor for any design that asks a Durable Object on every`,
    `  request, on this runtime. On a public route without a cookie the gateway costs ${number(gatewayPublicUs, 0)} µs`,
    `  (bare: ${number(barePublicUs, 0)} µs), so its request pipeline — config, canonical path, route policy,`,
    `  header strip and inject, origin control headers — adds ${number(gatewayPublicUs - barePublicUs, 0)} µs, and the session —`,
    "  cookie, HMAC verify, SHA-256 of the secret, the `SessionObject.touch()` RPC and the object's",
    `  work — the other ${number(gatewayAuthUs - gatewayPublicUs, 0)} µs, of which the bare RPC is ${number(floorUs - bareAuthUs, 0)} µs.`,
    "  Locally the Durable Object runs in the same workerd process, on the same thread as the",
    "  Worker, so its CPU is added to every request; on Cloudflare it runs elsewhere and adds a",
    "  network round trip to latency instead, and none of its CPU to the edge Worker's.",
    "  Which functions the time goes to, before and after the performance work: the CPU profiles",
    "  in [PROFILE.md](PROFILE.md) (`npm run bench:profile`).",
    `- **Forged cookies** never reach a Durable Object. Without a rate limiter the gateway refuses them at`,
    `  ${times(summary.forged["gateway-no-limiter"].ratio.throughput)} the bare proxy's throughput: one HMAC verify instead of a trip to the origin. As`,
    "  configured, each refusal also calls the project's COOKIE_FAILURE_LIMITER rate-limiting binding",
    `  (the whole flood comes from one address, so past the limit it gets 429), which brings it to ${times(forged.ratio.throughput)}.`,
    "  Locally that binding is Miniflare's simulation, a call into another service of the process;",
    "  Cloudflare's is a different implementation, so its cost has to be measured there. The",
    "  client-side variant pays a JWE decryption, and @hono/session also logs each failure with a",
    "  stack and seals a fresh empty session cookie for every refused request.",
    `- **Logins** create two Durable Objects (the session and the user's index; each a new SQLite`,
    `  database locally) and several RPCs between them: ${number(login.requestsPerSecond, 0)}/s, ${times(login.ratio.throughput)} bare. This is the`,
    "  price of the exact per-user index and of strong consistency at login, paid once per session.",
    `- **1 MiB responses** stream through every variant: with ${results.streamMemory.parallel} bodies in flight, of 1 MiB or of 64 MiB,`,
    `  workerd's resident memory grew by at most ${number(largestStreamGrowth, 1)} MiB (table above). The gateway's ${times(summary.stream.gateway.ratio.throughput)} there is its`,
    "  per-request cost, which a 1 MiB body does not hide on loopback.",
    "- **Latency tails** on this 2-core machine are mostly waiting: the load generator, the origin",
    "  and workerd share two cores, and workerd pauses now and then for tens of milliseconds,",
    "  stalling every open connection at once, for every variant (garbage collection and memory",
    `  management in a process that reaches ${number(maxRss, 0)} MiB resident while it creates and evicts thousands`,
    "  of Durable Objects). A variant that serves fewer requests per second has more of its",
    "  requests caught in each pause. On a freshly started process (scale test) the gateway's p99",
    `  is ${number(last.auth.p99Ms / last.auth.p50Ms, 1)} times its p50.`,
    `- **Memory with many sessions.** From ${count(first.liveSessions)} to ${count(last.liveSessions)} live sessions, resident memory after the same`,
    `  workload changes by ${signed(last.rssMiB / first.rssMiB - 1)} and the gateway's heap after GC by ${signed(last.heapUsedMiB / first.heapUsedMiB - 1)}. The idle`,
    "  process, right after a restart, grows by about",
    `  ${number(scaleSlopeKiB(results), 1)} KiB per live session: workerd's local alarm scheduler keeps every pending alarm in memory`,
    "  (a separate check with objects that did and did not set an alarm gave about 2.4 KiB per",
    "  alarm, none without), and each session sets one (its idle deadline) and so does each",
    "  user's index (its clean-up). On Cloudflare alarms are kept by the platform, not in the",
    "  Worker's process.",
    ...machineNote(summary.machine, us),
  ];
}

export const METHOD = [
  "## Method",
  "",
  "- **Runtime.** One `workerd` process started through Miniflare (the binary wrangler uses),",
  "  serving every worker on its own loopback socket; a fresh process (on the same storage) for",
  "  each round and for the measurements after the rounds. Every worker is bundled by",
  "  `wrangler deploy --dry-run`: bare, client-side and the diagnostics from their own",
  "  wrangler.toml in `bench/workers/`, the gateway from the project's wrangler.toml",
  "  (`bench/lib/gateway-config.mjs`: the same Durable Objects, rate limits and settings, with",
  "  `main` = `src/index.ts` unchanged, no `ORIGIN` service binding, `ORIGIN_URL` = the loopback",
  "  origin, `/login` and `/public/*` as public routes, `/machine/*` admitting users, workloads and",
  "  services with the role `bench`, and `TRUSTED_ISSUERS` naming the bench's loopback issuer,",
  "  `bench/lib/issuer.mjs`: a discovery document and a JWKS of one ES256 key made for the run;",
  "  the gateway fetches them once per process). Durable Object storage lives on tmpfs",
  "  (`/dev/shm`) when the machine has it: the local runtime syncs every new object's SQLite file",
  "  to disk, which on a shared VM measures the disk, not the gateway.",
  "- **Diagnostics.** *bare + no-op Durable Object RPC* (`bench/workers/rpc-floor`) is the floor of",
  "  any design that calls an object on every request; *gateway without COOKIE_FAILURE_LIMITER*",
  "  is the same gateway without its rate-limiting binding; the public route times the gateway's",
  "  pipeline without a session; *gateway with X-Auth-Assertion* is the gateway with",
  "  `ASSERTION_KEYS` (one ES256 key), run next to the gateway in each round (after it in odd",
  "  rounds, before it in even ones): its target is the median of each round's ratio between the two. It re-uses a session's assertion while it",
  "  has 30 s left, so most requests sign nothing; the micro-benchmarks time a signature alone.",
  "- **Origin.** `node:http` on 127.0.0.1 in its own thread: `ok` (2 bytes) for any GET, 204 with",
  "  `X-Gateway-Login` for `POST /login` (a new user each time, with the roles of `?roles=`, else",
  "  `user`), `/bytes/<n>` streamed in 64 KiB chunks. It counts the `X-Auth-Principal` kinds it",
  "  receives: a run fails if a machine variant's requests did not arrive as that kind.",
  "- **Machine credentials.** The machine scenario sends the same GET to the `gateway` worker",
  "  three ways, the only difference being the credential: a session cookie (sessions logged in",
  "  with the role `bench`), `Authorization: Bearer <workload token>` (ES256, signed with jose in",
  "  Node for each connection's own subject at the start of each round, `exp` an hour ahead, the",
  "  role in a `roles` claim), and `Authorization: Bearer gws_…` (a service credential per connection",
  "  with the role `bench`, made through `POST /_gateway/admin/services`). The three run one after",
  "  the other in each round, their order rotated from round to round.",
  "- **Variants.** *bare*: `hono/proxy` to the origin, nothing else. *client-side*: the same proxy",
  "  with `@hono/session` (identity sealed in a JWE cookie, dir/A256GCM, 30 min idle / 8 h",
  "  absolute), the same identity headers injected. *gateway*: this project. Each connection carries",
  "  its own session, as one browser would. Forged cookies are well-formed and fail only at the",
  "  cryptographic check (a random MAC; a JWE sealed with another key).",
  "- **Load.** autocannon, keep-alive connections, each measured run preceded by an unrecorded",
  "  warm-up of the same scenario; rounds alternate bare, client-side, gateway so that drift on the",
  "  machine hits all three alike. Latency percentiles are exact, computed from every response's",
  "  time (autocannon's histogram keeps whole milliseconds only).",
  "- **Storage writes.** workerd gives each SQLite-backed Durable Object its own database file",
  "  (`<persist>/do/<worker>-SessionObject/<id>.sqlite`) in WAL mode. The WAL index header",
  "  (`<id>.sqlite-shm`, [walformat §2.1](https://sqlite.org/walformat.html)) holds `iChange`, which",
  "  SQLite increments on every write transaction, and `mxFrame`, the pages in the WAL; read before",
  "  and after the requests they count the object's real commits, whatever API call caused them,",
  "  with the gateway's code untouched. The session's file is the one that appears at its login.",
  "- **Memory.** VmRSS from `/proc/<workerd pid>/status`. V8 grows its heap lazily while memory is",
  "  plentiful, so RSS also tracks recent garbage (any variant's); the scale test therefore also",
  "  reports the gateway isolate's heap after a forced full GC (`HeapProfiler.collectGarbage` over",
  "  workerd's inspector), which is what the gateway keeps alive.",
  "- **Micro-benchmarks.** bench/workers/micro bundles the functions from src/ with tinybench; the",
  "  bundle runs once inside workerd (a request to the micro worker) and once in Node 22.",
];

/**
 * The machine scenario in words: each machine credential's time per request against the
 * session's on the same rule. Nothing for a run without the scenario (an older results.json).
 */
function machineNote(machine, us) {
  if (!machine) return [];
  const session = us(machine.gateway);
  const against = (variant) =>
    machine[variant] ? `${number(us(machine[variant]), 0)} µs (${signed(us(machine[variant]) / session - 1)})` : "not measured";
  return [
    `- **Machine credentials.** On the same rule, at saturation, the session GET costs ${number(session, 0)} µs of the`,
    `  machine per request, the workload-token GET ${against("gateway-workload")} and the service-token GET`,
    `  ${against("gateway-service")}. A workload token asks no Durable Object, but its ES256 signature is`,
    "  verified on every request (the keys are cached, verified tokens are not). A service token is",
    "  checked like a session cookie: a MAC at the edge, then one call to its credential's Durable",
    "  Object. [Machine credentials against the session](#machine-credentials-against-the-session)",
    "  has the ratios per round.",
  ];
}

/** Growth of the idle process's RSS per live session, first to last scale step, in KiB. */
function scaleSlopeKiB(results) {
  const steps = results.scale.steps;
  const first = steps[0];
  const last = steps.at(-1);
  return ((last.rssAtStartMiB - first.rssAtStartMiB) * 1024) / (last.liveSessions - first.liveSessions);
}
