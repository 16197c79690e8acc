// `npm run bench:profile [-- options]`: CPU profiles of the gateway's request paths, taken in
// workerd through its V8 inspector while autocannon drives one path at a time. For each path it
// prints the requests served, the isolate's CPU time per request (the profile's non-idle
// samples; the Durable Objects run in the same isolate, so their work is included), and the
// functions with the most self time. Timings are for comparing two versions in one session on
// one machine, like `npm run bench`'s ratios; the profiles (.cpuprofile, for DevTools) go to
// --out.
//
//   --seconds S      seconds of load per path (default 5)
//   --connections N  concurrent connections (default 10)
//   --top N          functions listed per path (default 15)
//   --out DIR        where the .cpuprofile files go (default a temporary directory)
//   --paths LIST     auth,public,login,forged,workload,service (default all). workload and
//                    service: the GET of auth with a workload token (an ES256 JWT of the
//                    bench's loopback issuer) or a service token (gws_…, a credential made
//                    through the admin API), on /machine/data, a rule admitting users and
//                    machines with the role bench
//   --variant NAME   gateway (default), or bare / rpc-floor for the floor's own profile (auth only)
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { connectInspector } from "./lib/inspector.mjs";
import { startIssuer } from "./lib/issuer.mjs";
import { load } from "./lib/load.mjs";
import { startOrigin } from "./lib/origin.mjs";
import { BENCH_DIR } from "./lib/paths.mjs";
import { writeGatewayConfig } from "./lib/gateway-config.mjs";
import { buildWorker, startRuntime } from "./lib/runtime.mjs";
import { CONFIGS, forgedCookie, login, newSecrets, serviceBearers, workerDefinitions, workloadBearers } from "./lib/variants.mjs";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "10" },
    top: { type: "string", default: "15" },
    out: { type: "string" },
    paths: { type: "string", default: "auth,public,login,forged,workload,service" },
    variant: { type: "string", default: "gateway" },
  },
});

const PATHS = {
  auth: { label: "authenticated GET", path: "/api/data", expectStatus: 200, cookies: "session" },
  public: { label: "public route, no cookie", path: "/public/data", expectStatus: 200 },
  login: { label: "login (POST /login, new session)", path: "/login", method: "POST", expectStatus: 204 },
  forged: { label: "forged cookie", path: "/api/data", expectStatus: 401, cookies: "forged", headers: { accept: "application/json" } },
  workload: { label: "workload-token GET (ES256 JWT)", path: "/machine/data", expectStatus: 200, bearer: "workload" },
  service: { label: "service-token GET", path: "/machine/data", expectStatus: 200, bearer: "service" },
};

const workDir = mkdtempSync(path.join(BENCH_DIR, ".tmp-profile-"));
// Durable Object storage on tmpfs when there is one, as npm run bench does (SQLite fsyncs per object).
const storage = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "gateway-profile-"));
const outDir = args.out ? path.resolve(args.out) : mkdtempSync(path.join(os.tmpdir(), "gateway-profiles-"));
mkdirSync(outDir, { recursive: true });
const cleanups = [];
try {
  const variant = args.variant;
  const issuer = await startIssuer();
  cleanups.push(() => issuer.close());
  const configPath = variant === "gateway" ? writeGatewayConfig(path.join(workDir, "config"), { trustedIssuers: [issuer.trustedIssuer] }) : CONFIGS[variant];
  if (!configPath) throw new Error(`unknown variant ${variant}: gateway, bare or rpc-floor`);
  const build = await buildWorker(configPath, path.join(workDir, variant));
  const origin = await startOrigin();
  cleanups.push(() => origin.close());
  const inspectorPort = await freePort();
  const secrets = newSecrets();
  const runtime = await startRuntime({
    persistDir: storage,
    inspectorPort,
    workers: workerDefinitions({ originUrl: origin.url, secrets, builds: { [variant]: build }, configs: { [variant]: configPath }, names: [variant] }),
  });
  cleanups.push(() => runtime.dispose());
  const url = runtime.urls[variant];
  const nudge = async () => void (await (await fetch(`${url}/_gateway/bench-nudge`)).arrayBuffer());
  const inspector = await connectInspector(inspectorPort, variant, nudge);
  cleanups.push(() => inspector.close());
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });

  const cookies = {
    session: variant === "gateway" ? await Promise.all(Array.from({ length: Number(args.connections) }, () => login(url))) : [],
    forged: await Promise.all(Array.from({ length: Number(args.connections) }, () => forgedCookie("gateway"))),
  };
  // One credential per connection, as one session per connection for auth.
  const wanted = args.paths.split(",");
  const bearers = {
    workload: await workloadBearers(issuer, Number(args.connections)),
    service: variant === "gateway" && wanted.includes("service") ? await serviceBearers(url, secrets.ADMIN_TOKEN, Number(args.connections)) : [],
  };
  for (const name of wanted) {
    const scenario = PATHS[name];
    if (!scenario) throw new Error(`unknown path ${name}: one of ${Object.keys(PATHS).join(", ")}`);
    const options = {
      url,
      path: scenario.path,
      method: scenario.method,
      expectStatus: scenario.expectStatus,
      connections: Number(args.connections),
      headers: scenario.headers,
      cookies: scenario.cookies ? cookies[scenario.cookies] : [],
      authorizations: scenario.bearer ? bearers[scenario.bearer] : [],
    };
    await load({ ...options, durationSeconds: 1 }); // warm-up, unprofiled
    await inspector.send("Profiler.start");
    const result = await load({ ...options, durationSeconds: Number(args.seconds) });
    const { profile } = await inspector.send("Profiler.stop");
    writeFileSync(path.join(outDir, `${name}.cpuprofile`), JSON.stringify(profile));
    report(scenario.label, result, profile, Number(args.top));
  }
  console.log(`\nprofiles: ${outDir}`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(workDir, { recursive: true, force: true });
  rmSync(storage, { recursive: true, force: true });
}

/** Requests, CPU per request, and the top self-time functions of one profile. */
function report(label, result, profile, top) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  const deltas = profile.timeDeltas;
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index];
    // Each delta is the time before its sample: attribute it to that sample's node.
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (deltas[index] ?? 0));
  }
  const byFunction = new Map();
  let busy = 0;
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id).callFrame;
    total += micros;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") continue;
    busy += micros;
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : "";
    const key = `${frame.functionName || "(anonymous)"} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  }
  const requests = result.expected + result.unexpected;
  console.log(`\n## ${label}`);
  console.log(`${requests} requests in ${(total / 1e6).toFixed(1)} s profiled; isolate busy ${(100 * busy / total).toFixed(0)} %, ${(busy / Math.max(requests, 1)).toFixed(0)} µs CPU per request`);
  console.log("| self µs/request | share of busy | function |");
  console.log("|---:|---:|---|");
  for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${(micros / Math.max(requests, 1)).toFixed(1)} | ${(100 * micros / busy).toFixed(1)} % | \`${key}\` |`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
