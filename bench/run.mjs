// `npm run bench [-- options]`: the gateway against a bare proxy and a client-side session in
// one run, on one machine. See bench/RESULTS.md for what it measures and how.
//
//   --connections N     concurrent connections per load run (default 10)
//   --duration S        seconds per measured run (default 3)
//   --warmup S          seconds of unrecorded warm-up before each measured run (default 0.5)
//   --rounds N          rounds of the A B C comparison (default 3)
//   --scale LIST        live-session steps for the scale test (default 1000,10000,20000)
//   --micro-time MS     time per micro-benchmark task (default 1000)
//   --revoke-trials N   revocations to time (default 20)
//   --out DIR           where RESULTS.md, chart.svg and results.json go (default bench/)
//   --smoke             a few seconds of everything, results to a temporary directory
//   --render FILE       only rewrite RESULTS.md and chart.svg (in --out) from a results.json
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { connectInspector } from "./lib/inspector.mjs";
import { startIssuer } from "./lib/issuer.mjs";
import { startOrigin } from "./lib/origin.mjs";
import { BENCH_DIR } from "./lib/paths.mjs";
import { writeGatewayConfig } from "./lib/gateway-config.mjs";
import { renderChart } from "./lib/chart.mjs";
import { environment, renderResults, targets } from "./lib/report.mjs";
import { buildWorker, startRuntime } from "./lib/runtime.mjs";
import { CREDENTIAL_VARIANTS, runComparison } from "./lib/scenarios/compare.mjs";
import { runLive } from "./lib/scenarios/live.mjs";
import { runRevoke } from "./lib/scenarios/revoke.mjs";
import { runScale } from "./lib/scenarios/scale.mjs";
import { countSessionWrites } from "./lib/scenarios/storage-writes.mjs";
import { runStreamMemory } from "./lib/scenarios/stream-memory.mjs";
import { CONFIGS, login, newSecrets, serviceBearers, SHORT_IDLE_TIMEOUT_SECONDS, VARIANTS, workerDefinitions, workloadBearers } from "./lib/variants.mjs";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "10" },
    duration: { type: "string", default: "3" },
    warmup: { type: "string", default: "0.5" },
    rounds: { type: "string", default: "3" },
    scale: { type: "string", default: "1000,10000,20000" },
    "micro-time": { type: "string", default: "1000" },
    "revoke-trials": { type: "string", default: "20" },
    out: { type: "string" },
    smoke: { type: "boolean", default: false },
    render: { type: "string" },
  },
});

if (args.render) {
  const results = JSON.parse(readFileSync(args.render, "utf8"));
  const dir = args.out ? path.resolve(args.out) : path.dirname(path.resolve(args.render));
  writeFileSync(path.join(dir, "chart.svg"), renderChart(results));
  writeFileSync(path.join(dir, "RESULTS.md"), renderResults(results));
  console.log(`[bench] rendered ${path.join(dir, "RESULTS.md")} and chart.svg from ${args.render}`);
  process.exit(0);
}

raiseOpenFileLimit();

const settings = args.smoke
  ? { connections: 4, durationSeconds: 0.3, warmupSeconds: 0.1, rounds: 1, scaleSteps: [50, 100], microTimeMs: 50, revokeTrials: 2, writesSpreadSeconds: 1.5, liveTrials: 3, liveRoundTrips: 20, liveSocketCounts: [10] }
  : {
      connections: positive("connections", Number(args.connections)),
      durationSeconds: positive("duration", Number(args.duration)),
      warmupSeconds: Number(args.warmup),
      rounds: positive("rounds", Number(args.rounds)),
      scaleSteps: args.scale.split(",").map((step) => positive("scale", Number(step))).sort((a, b) => a - b),
      microTimeMs: positive("micro-time", Number(args["micro-time"])),
      revokeTrials: positive("revoke-trials", Number(args["revoke-trials"])),
      writesSpreadSeconds: 5,
      liveTrials: Math.max(50, positive("revoke-trials", Number(args["revoke-trials"]))),
      liveRoundTrips: 500,
      liveSocketCounts: [100, 1000],
    };
const outDir = args.out ? path.resolve(args.out) : args.smoke ? mkdtempSync(path.join(os.tmpdir(), "bench-smoke-")) : BENCH_DIR;

const workDir = path.join(BENCH_DIR, ".tmp", `run-${process.pid}`);
// Durable Object storage on tmpfs when there is one: the local runtime fsyncs every new
// object's SQLite file, and a shared VM's disk would otherwise set the login rate.
const storageRoot = mkdtempSync(path.join(writableDir("/dev/shm") ? "/dev/shm" : os.tmpdir(), "gateway-bench-"));
const cleanups = [];
let interrupted = false;
process.on("SIGINT", () => {
  interrupted = true;
  console.error("\ninterrupted: cleaning up");
  void cleanup().then(() => process.exit(130));
});

const started = Date.now();
const log = (line) => console.log(`[bench] ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);

try {
  const results = await main();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, "chart.svg"), renderChart(results));
  writeFileSync(path.join(outDir, "RESULTS.md"), renderResults(results));
  log(`wrote ${path.join(outDir, "RESULTS.md")}, chart.svg and results.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const problems = functionalProblems(results);
  for (const problem of problems) console.error(`[bench] FAILED: ${problem}`);
  for (const target of targets(results)) log(`target ${target.met ? "met   " : "MISSED"} ${target.name}: ${target.measured}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
} catch (error) {
  if (!interrupted) {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  await cleanup();
}

async function main() {
  const env = environment({ settings, smoke: args.smoke });
  log(`building workers (wrangler deploy --dry-run) into ${path.relative(process.cwd(), workDir)}`);
  // The workload tokens' issuer, which the gateway's config names (TRUSTED_ISSUERS).
  const issuer = await startIssuer();
  cleanups.push(() => issuer.close());
  const trustedIssuers = [issuer.trustedIssuer];
  const configDir = path.join(workDir, "gateway-config");
  const configs = { ...CONFIGS, gateway: writeGatewayConfig(configDir, { trustedIssuers }) };
  const builds = Object.fromEntries(
    await Promise.all(
      Object.entries(configs).map(async ([name, config]) => [name, await buildWorker(config, path.join(workDir, name))]),
    ),
  );
  configs["gateway-no-limiter"] = writeGatewayConfig(configDir, { name: "gateway-no-limiter", trustedIssuers, withoutRateLimits: true });
  const origin = await startOrigin();
  cleanups.push(() => origin.close());
  const secrets = newSecrets();
  const results = { env, settings };

  // ---- one workerd with every worker, started afresh for each round and for the rest ----
  let runtime = null;
  const disposeRuntime = async () => {
    const current = runtime;
    runtime = null;
    await current?.dispose();
  };
  cleanups.push(disposeRuntime);
  const freshRuntime = async () => {
    await disposeRuntime();
    runtime = await startRuntime({
      persistDir: path.join(storageRoot, "compare"),
      workers: [
        ...workerDefinitions({
          originUrl: origin.url,
          secrets,
          builds,
          configs,
          names: [...VARIANTS, "rpc-floor", "gateway-no-limiter", "gateway-short-window", "gateway-assertion", "gateway-policy"],
        }),
        { name: "micro", configPath: configs.micro, buildDir: builds.micro, bindings: {} },
      ],
    });
    log(`workerd pid ${runtime.pid} started, origin ${origin.url}`);
    return runtime;
  };

  let serviceTokens = null;
  results.comparison = await runComparison({
    startRound: async () => {
      const { urls } = await freshRuntime();
      return Object.fromEntries([...VARIANTS, "rpc-floor", "gateway-no-limiter", "gateway-assertion", "gateway-policy"].map((name) => [name, urls[name]]));
    },
    // Workload tokens signed afresh each round, so that none expires however long the run; the
    // service credentials made in the first round, kept in the storage every round starts on.
    bearers: async (urls) => ({
      workload: await workloadBearers(issuer, settings.connections),
      service: (serviceTokens ??= await serviceBearers(urls.gateway, secrets.ADMIN_TOKEN, settings.connections)),
    }),
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    rounds: settings.rounds,
    progress: log,
  });
  results.comparison.assertionsAtOrigin = (await (await fetch(`${origin.url}/_bench/assertions`)).json()).assertions;
  results.comparison.principalsAtOrigin = (await (await fetch(`${origin.url}/_bench/principals`)).json()).principals;

  await freshRuntime();
  const variantUrls = Object.fromEntries(VARIANTS.map((name) => [name, runtime.urls[name]]));
  const streamCookies = {
    bare: null,
    "client-side": await login(variantUrls["client-side"]),
    gateway: await login(variantUrls.gateway),
  };
  results.streamMemory = await runStreamMemory({ urls: variantUrls, cookies: streamCookies, rssMiB: runtime.rssMiB });
  log(`stream memory: ${JSON.stringify(results.streamMemory.results)}`);

  results.revoke = await runRevoke({
    gatewayUrl: variantUrls.gateway,
    clientSideUrl: variantUrls["client-side"],
    adminToken: secrets.ADMIN_TOKEN,
    trials: settings.revokeTrials,
  });
  log(`revoke: ${JSON.stringify(results.revoke)}`);

  results.live = await runLive({
    gatewayUrl: variantUrls.gateway,
    originUrl: origin.url,
    adminToken: secrets.ADMIN_TOKEN,
    trials: settings.liveTrials,
    roundTrips: settings.liveRoundTrips,
    socketCounts: settings.liveSocketCounts,
    rssMiB: runtime.rssMiB,
  });
  log(`live connections: ${JSON.stringify(results.live)}`);

  const namespaceDir = (worker) => path.join(runtime.persistDir, "do", `${worker}-SessionObject`);
  results.storageWrites = {
    burst: await countSessionWrites({
      url: runtime.urls.gateway,
      namespaceDir: namespaceDir("gateway"),
      // As the project configures it (wrangler.toml [vars]), else config.ts's default.
      idleTimeoutSeconds: Number(JSON.parse(readFileSync(configs.gateway, "utf8")).vars?.IDLE_TIMEOUT_SECONDS ?? 1800),
    }),
    spread: await countSessionWrites({
      url: runtime.urls["gateway-short-window"],
      namespaceDir: namespaceDir("gateway-short-window"),
      idleTimeoutSeconds: SHORT_IDLE_TIMEOUT_SECONDS,
      durationSeconds: settings.writesSpreadSeconds,
    }),
  };
  log(`storage writes: ${JSON.stringify(results.storageWrites)}`);

  const microResponse = await fetch(`${runtime.urls.micro}/?timeMs=${settings.microTimeMs}`);
  if (!microResponse.ok) throw new Error(`micro-benchmarks in workerd answered ${microResponse.status}`);
  const microInWorkerd = await microResponse.json();
  const { runMicroBenchmarks } = await import(pathToFileURL(path.join(builds.micro, "index.js")).href);
  results.micro = { workerd: microInWorkerd, node: await runMicroBenchmarks({ timeMs: settings.microTimeMs }) };
  log("micro-benchmarks done");
  await disposeRuntime();

  // ---- the gateway alone in its own workerd, restarted at each step, for the scale test ----
  const scaleStorage = path.join(storageRoot, "scale");
  const startGateway = async () => {
    const inspectorPort = await freePort();
    const gateway = await startRuntime({
      persistDir: scaleStorage,
      inspectorPort,
      workers: workerDefinitions({ originUrl: origin.url, secrets, builds, configs, names: ["gateway"] }),
    });
    // An unknown /_gateway/ path: answered 404 by the gateway itself, no origin, no session.
    const nudge = async () => void (await (await fetch(`${gateway.urls.gateway}/_gateway/bench-nudge`)).arrayBuffer());
    const inspector = await connectInspector(inspectorPort, "gateway", nudge);
    const dispose = async () => {
      inspector.close();
      await gateway.dispose();
    };
    cleanups.push(dispose);
    return {
      url: gateway.urls.gateway,
      rssMiB: gateway.rssMiB,
      namespaceDir: path.join(scaleStorage, "do", "gateway-SessionObject"),
      heapAfterGcMiB: () => inspector.heapAfterGcMiB(),
      async dispose() {
        cleanups.splice(cleanups.indexOf(dispose), 1);
        await dispose();
      },
    };
  };
  results.scale = await runScale({
    steps: settings.scaleSteps,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    startGateway,
    progress: log,
  });
  results.env.finishedAt = new Date().toISOString();
  results.env.loadAverageAtEnd = os.loadavg();
  return results;
}

/** What must hold whatever the timings: these fail the run (and CI's smoke run). */
function functionalProblems(results) {
  const problems = [];
  for (const [scenario, variants] of Object.entries(results.comparison.summary)) {
    for (const [variant, figures] of Object.entries(variants)) {
      if (figures.requestsPerSecond === 0) problems.push(`${scenario}/${variant}: no expected response at all`);
      if (figures.unexpected > 0.01 * figures.total) {
        problems.push(`${scenario}/${variant}: ${figures.unexpected} of ${figures.total} responses unexpected or failed`);
      }
    }
  }
  for (const run of results.comparison.runs) {
    const accepted = run.statuses[200] ?? 0;
    if (run.scenario === "forged" && run.variant !== "bare" && accepted > 0) problems.push(`${run.variant} accepted ${accepted} forged cookies`);
  }
  if (!(results.comparison.assertionsAtOrigin > 0)) problems.push("gateway-assertion: the origin received no X-Auth-Assertion");
  // The machine scenario's bearer variants: their requests reached the origin as that kind.
  for (const variant of Object.keys(results.comparison.summary.machine ?? {})) {
    const kind = CREDENTIAL_VARIANTS[variant]?.bearer;
    if (kind && !(results.comparison.principalsAtOrigin?.[kind] > 0)) problems.push(`machine/${variant}: the origin received no request with X-Auth-Principal: ${kind}`);
  }
  if (results.revoke.acceptedAfterAnswer > 0) problems.push(`${results.revoke.acceptedAfterAnswer} requests accepted after a revoke answered`);
  if (results.live.stillOpenAfterOneSecond > 0) problems.push(`${results.live.stillOpenAfterOneSecond} WebSockets still open 1 s after their session's revoke answered`);
  const { burst, spread } = results.storageWrites;
  if (burst.commits > burst.windowsSpanned) problems.push(`storage: ${burst.commits} writes in ${burst.windowsSpanned} coalescing window(s)`);
  if (spread.commits > spread.windowsSpanned) problems.push(`storage: ${spread.commits} writes in ${spread.windowsSpanned} coalescing windows`);
  if (burst.refused + spread.refused > 0) problems.push("storage: requests of the measured session were refused");
  for (const row of results.scale.steps) {
    if (row.auth.refused > 0) problems.push(`scale ${row.target}: ${row.auth.refused} authenticated requests refused`);
    if (row.fillFailures + row.loginFailures > 0) problems.push(`scale ${row.target}: ${row.fillFailures + row.loginFailures} logins failed`);
  }
  return problems;
}

async function cleanup() {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`[bench] cleanup: ${error}`);
    }
  }
  rmSync(storageRoot, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
}

/**
 * The local runtime holds three file descriptors per recently used Durable Object (see
 * scenarios/scale.mjs), so a low soft limit (often 1024) makes logins fail under load. Raise it
 * to the hard limit, which needs no privilege, by running this script again under `ulimit -n`.
 */
function raiseOpenFileLimit() {
  const limits = readFileSync("/proc/self/limits", "utf8").match(/^Max open files\s+(\d+)\s+(\d+|unlimited)/m);
  if (!limits || process.env.BENCH_OPEN_FILES_RAISED) return;
  const soft = Number(limits[1]);
  const hard = limits[2] === "unlimited" ? 1 << 20 : Number(limits[2]);
  const wanted = Math.min(hard, 1 << 20);
  if (soft >= wanted) return;
  const rerun = spawnSync("sh", ["-c", `ulimit -n ${wanted} && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, BENCH_OPEN_FILES_RAISED: "1" },
  });
  process.exit(rerun.status ?? 1);
}

function positive(name, value) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function writableDir(dir) {
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
