/**
 * Micro-benchmarks of the hot pure functions of every authenticated request, measured against
 * the WebCrypto HMAC-SHA-256 verify that verifyToken is built on. The same module runs inside
 * workerd (the default export: GET /?timeMs=…) and in Node 22 (bench/lib/micro.mjs imports the
 * bundle and calls runMicroBenchmarks), so the two runtimes can be compared.
 *
 * Each tinybench sample is a batch of calls lasting about SAMPLE_MS: inside workerd
 * `performance.now()` has a resolution of 1 ms, far coarser than one call.
 */
import { Bench } from "tinybench";
import { canonicalizePath } from "../../../src/http/canonical-path";
import { assertionPropagator } from "../../../src/identity/assertion";
import { assertionCache } from "../../../src/identity/assertion-cache";
import { stripIdentityHeaders } from "../../../src/identity/headers";
import type { IdentityPropagator } from "../../../src/identity/propagator";
import { userPrincipal } from "../../../src/credentials/principal";
import type { SessionView } from "../../../src/session/types";
import { importSessionKeys, mintToken, verifyToken } from "../../../src/session/token";

export interface MicroResult {
  name: string;
  /** Mean time per call in nanoseconds. */
  meanNs: number;
  /** Relative margin of error of the mean, in percent (95 % confidence). */
  rmePercent: number;
  /** Batches measured, and calls per batch. */
  samples: number;
  callsPerSample: number;
}

type Task = () => unknown;

/** Target duration of one sample (a batch of calls). */
const SAMPLE_MS = 10;

/** A browser's request headers, two of them forged identity headers. */
const REQUEST_HEADERS: [string, string][] = [
  ["host", "app.example.com"],
  ["user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"],
  ["accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
  ["accept-language", "en-GB,en;q=0.9"],
  ["accept-encoding", "gzip, deflate, br, zstd"],
  ["cookie", "__Host-session=AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; theme=dark"],
  ["sec-fetch-site", "same-origin"],
  ["sec-fetch-mode", "navigate"],
  ["cf-connecting-ip", "203.0.113.9"],
  ["x-request-id", "4f1c2e9a-8d8b-4c1e-9b0e-3f2a1d6c7b5e"],
  ["x-auth-user", "admin"],
  ["x_auth_roles", "admin"],
];

export async function runMicroBenchmarks(options: { timeMs: number }): Promise<MicroResult[]> {
  const encoder = new TextEncoder();
  const keys = await importSessionKeys(["bench-micro-signing-key-0123456789abcdef"]);
  const { token, publicId, secret } = await mintToken(keys);
  // Same shape, wrong MAC: the most expensive forged token (it reaches the HMAC verify).
  const forged = `${token.slice(0, -2)}${token.endsWith("AA") ? "AE" : "AA"}`;
  const data = encoder.encode(`v1:${publicId}.${secret}`);
  const mac = await crypto.subtle.sign("HMAC", keys.signing, data);
  // What the gateway copies and strips: a request's own Headers object.
  const requestHeaders = new Request("https://app.example.com/", { headers: REQUEST_HEADERS }).headers;
  const assertion = await assertionTasks();

  const tasks: [string, Task][] = [
    ["WebCrypto HMAC-SHA-256 verify (baseline)", () => crypto.subtle.verify("HMAC", keys.signing, mac, data)],
    ["verifyToken, valid token", async () => {
      if (!(await verifyToken(keys, token))) throw new Error("valid token refused");
    }],
    ["verifyToken, forged MAC", async () => {
      if (await verifyToken(keys, forged)) throw new Error("forged token accepted");
    }],
    ["canonicalizePath, plain path", () => canonicalizePath("/api/v1/users/42/profile")],
    ["canonicalizePath, escapes and dot segments", () => canonicalizePath("/static/%61ssets/./img/../%7Euser/logo%20small.png")],
    ["new Headers from 12 pairs (reference)", () => new Headers(REQUEST_HEADERS)],
    ["new Headers from a Headers, 12 entries (reference)", () => new Headers(requestHeaders)],
    ["stripIdentityHeaders on such a copy", () => stripIdentityHeaders(new Headers(requestHeaders))],
    ["X-Auth-Assertion, signed (ES256, cache miss)", assertion.signed],
    ["X-Auth-Assertion, re-used (cache hit)", assertion.reused],
  ];

  const bench = new Bench({ time: options.timeMs, iterations: 8, warmupTime: 0, warmupIterations: 2 });
  const batches = new Map<string, number>();
  for (const [name, task] of tasks) {
    const calls = await callsPerSample(task);
    batches.set(name, calls);
    bench.add(name, async () => {
      for (let i = 0; i < calls; i++) await task();
    });
  }
  await bench.run();

  return bench.tasks.map((benchTask) => {
    const result = benchTask.result;
    if (result.state !== "completed") throw new Error(`${benchTask.name}: ${result.state}`);
    const calls = batches.get(benchTask.name)!;
    return {
      name: benchTask.name,
      meanNs: (result.latency.mean * 1e6) / calls,
      rmePercent: result.latency.rme,
      samples: result.latency.samplesCount,
      callsPerSample: calls,
    };
  });
}

/** How many calls take about SAMPLE_MS (calibrated with the same await as the samples). */
async function callsPerSample(task: Task): Promise<number> {
  for (let calls = 16; ; calls *= 4) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) await task();
    const elapsedMs = performance.now() - started;
    if (elapsedMs >= 2 * SAMPLE_MS) return Math.max(1, Math.round((calls * SAMPLE_MS) / elapsedMs));
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const timeMs = Number(new URL(request.url).searchParams.get("timeMs") ?? "500");
    return Response.json(await runMicroBenchmarks({ timeMs }));
  },
} satisfies ExportedHandler;

/**
 * The signed assertion alone (the plain headers left out): signing a new one every time, and
 * handing out the one cached for an unchanged identity, as the gateway does while it has 30 s left.
 */
async function assertionTasks(): Promise<{ signed: Task; reused: Task }> {
  const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const signingKey = { kid: "bench", alg: "ES256" as const, privateKey };
  const none: IdentityPropagator = { prepare() {}, isOwnHeader: () => false };
  const session: SessionView = {
    id: "AAAAAAAAAAAAAAAAAAAAAA",
    user: { sub: "user-1", email: "user-1@example.com", name: "User One", roles: ["user"] },
    createdAt: new Date().toISOString(),
    authenticatedAt: new Date().toISOString(),
    lastSeenAt: new Date().toISOString(),
    idleExpiresAt: new Date().toISOString(),
    absoluteExpiresAt: new Date().toISOString(),
  };
  const url = new URL("https://app.example.com/");
  const context = { request: new Request(url), url, principal: userPrincipal(session), originName: "default" };
  const propagator = (maxEntries: number) => assertionPropagator(none, { signingKey, issuer: null, audience: null, cache: assertionCache({ maxEntries, minRemainingSeconds: 30 }) });
  // maxEntries 0: every entry is dropped as soon as it is stored, so every call signs.
  const uncached = propagator(0);
  const cached = propagator(16);
  return { signed: () => uncached.prepare(new Headers(), context), reused: () => cached.prepare(new Headers(), context) };
}
