// Turns a run's results into bench/RESULTS.md: the targets, ratios to bare first, absolute
// figures second, then each measurement, the machine and the method.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "./load.mjs";
import { SCENARIOS } from "./scenarios/compare.mjs";
import { REQUESTS } from "./scenarios/storage-writes.mjs";
import { METHOD, notes } from "./interpretation.mjs";
import { count, ms, number, signed, times } from "./format.mjs";
import { ROOT } from "./paths.mjs";

const VARIANT_LABELS = {
  bare: "bare",
  "client-side": "client-side",
  gateway: "gateway",
  "rpc-floor": "bare + no-op Durable Object RPC (floor)",
  "gateway-no-limiter": "gateway without COOKIE_FAILURE_LIMITER",
  "gateway-assertion": "gateway with X-Auth-Assertion (ES256)",
  "gateway-policy": "gateway with a realistic access policy",
  "gateway-workload": "gateway, workload token (ES256 JWT)",
  "gateway-service": "gateway, service token",
};

/** A variant's label in a scenario's rows: the scenario's own (`labels`), else the common one. */
const labelOf = (scenario, variant) => scenario.labels?.[variant] ?? VARIANT_LABELS[variant];

/**
 * One variant against another in the same scenario: the median over rounds of each round's
 * ratio (both ran in the same round, one after the other).
 */
export function pairRatio(results, scenario, variant, against) {
  const { runs } = results.comparison;
  const ratios = runs
    .filter((run) => run.scenario === scenario && run.variant === variant)
    .map((run) => {
      const other = runs.find((candidate) => candidate.scenario === scenario && candidate.variant === against && candidate.round === run.round);
      return { throughput: run.requestsPerSecond / other.requestsPerSecond, p50: run.p50Ms / other.p50Ms, p99: run.p99Ms / other.p99Ms };
    });
  const medianOf = (key) => median(ratios.map((ratio) => ratio[key]));
  return { throughput: medianOf("throughput"), p50: medianOf("p50"), p99: medianOf("p99"), perRound: ratios.map((ratio) => ratio.throughput) };
}

/** The gateway with assertions against the gateway without, in the authenticated GET. */
export const assertionRatio = (results) => pairRatio(results, "auth", "gateway-assertion", "gateway");

/**
 * The machine scenario's bearer variants against its session GET (the same gateway, rule and
 * round): `{ variant: pairRatio }`, empty for a run without the scenario (an older results.json).
 */
export function machineRatios(results) {
  const variants = Object.keys(results.comparison.summary.machine ?? {}).filter((variant) => variant.startsWith("gateway-"));
  return Object.fromEntries(variants.map((variant) => [variant, pairRatio(results, "machine", variant, "gateway")]));
}

/** What a machine credential is called in targets and prose. */
export const MACHINE_CREDENTIALS = { "gateway-workload": "workload-token", "gateway-service": "service-token" };

export function environment({ settings, smoke }) {
  const version = (name) => JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  return {
    startedAt: new Date().toISOString(),
    command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
    smoke,
    settings,
    machine: {
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.cpus().length,
      memoryGiB: os.totalmem() / 2 ** 30,
      os: `${os.type()} ${os.release()}`,
    },
    versions: {
      workerd: version("workerd"),
      miniflare: version("miniflare"),
      wrangler: version("wrangler"),
      node: process.version,
      hono: version("hono"),
      "@hono/session": version("@hono/session"),
      autocannon: version("autocannon"),
      tinybench: version("tinybench"),
    },
    compatibilityDate: "2026-08-01",
    gitRevision: gitRevision(),
    loadAverageAtStart: os.loadavg(),
  };
}

function gitRevision() {
  try {
    const git = (...args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = git("status", "--porcelain", "--", "src").length > 0;
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? " with uncommitted changes in src/" : ""}`;
  } catch {
    return "unknown";
  }
}

/**
 * Issue 10: a realistic policy costs the authenticated ratio at most a few percent. Compared
 * within the same scenario (same rounds, same request), so drift between scenarios is out.
 */
function policyTarget(scenario) {
  const drop = 1 - scenario["gateway-policy"].ratio.throughput / scenario.gateway.ratio.throughput;
  return {
    name: "a realistic access policy costs ≤ 5 % of the authenticated throughput ratio",
    measured: `${times(scenario["gateway-policy"].ratio.throughput)} with the policy vs ${times(scenario.gateway.ratio.throughput)} without (${signed(-drop)})`,
    met: drop <= 0.05,
  };
}

/** The issue's targets, each with what was measured and whether it is met. */
export function targets(results) {
  const { summary } = results.comparison;
  const gateway = summary.auth.gateway.ratio;
  const forged = summary.forged.gateway.ratio;
  const forgedNoLimiter = summary.forged["gateway-no-limiter"].ratio;
  const { burst, spread } = results.storageWrites;
  const first = results.scale.steps[0];
  const last = results.scale.steps.at(-1);
  const within = (a, b) => b / a - 1;
  const assertion = assertionRatio(results);
  return [
    { name: "authenticated throughput ≥ 0.75 × bare", measured: times(gateway.throughput), met: gateway.throughput >= 0.75 },
    { name: "authenticated p99 ≤ 1.5 × bare", measured: times(gateway.p99), met: gateway.p99 <= 1.5 },
    policyTarget(summary["auth-policy"]),
    {
      name: "authenticated throughput with the signed assertion ≥ 0.9 × without",
      measured: `${times(assertion.throughput)} (rounds: ${assertion.perRound.map(times).join(", ")}); p50 ${times(assertion.p50)}, p99 ${times(assertion.p99)}`,
      met: assertion.throughput >= 0.9,
    },
    ...Object.entries(machineRatios(results)).map(([variant, ratio]) => ({
      name: `${MACHINE_CREDENTIALS[variant]} GET throughput ≥ 0.9 × the session GET's (same rule and role)`,
      measured: `${times(ratio.throughput)} (rounds: ${ratio.perRound.map(times).join(", ")}); p50 ${times(ratio.p50)}, p99 ${times(ratio.p99)}`,
      met: ratio.throughput >= 0.9,
    })),
    {
      name: "forged-cookie rejection throughput ≥ 1.0 × bare",
      measured: `${times(forged.throughput)} as configured (COOKIE_FAILURE_LIMITER on); ${times(forgedNoLimiter.throughput)} without the limiter`,
      met: forged.throughput >= 1,
    },
    {
      name: "≤ 1 storage write per session per coalescing window",
      measured:
        `${burst.commits} write(s) in ${burst.windowsSpanned} window (${burst.windowSeconds} s); ` +
        `${spread.commits} in ${spread.windowsSpanned} windows (${spread.windowSeconds} s)`,
      met: burst.commits <= burst.windowsSpanned && spread.commits <= spread.windowsSpanned,
    },
    {
      name: `${count(last.liveSessions)} live sessions: latency within 20 % of ${count(first.liveSessions)}`,
      measured: `p50 ${signed(within(first.auth.p50Ms, last.auth.p50Ms))}, p99 ${signed(within(first.auth.p99Ms, last.auth.p99Ms))}`,
      met: within(first.auth.p50Ms, last.auth.p50Ms) <= 0.2 && within(first.auth.p99Ms, last.auth.p99Ms) <= 0.2,
    },
    {
      name: `${count(last.liveSessions)} live sessions: memory within 20 % of ${count(first.liveSessions)}`,
      measured:
        `RSS after the workload ${signed(within(first.rssMiB, last.rssMiB))}, RSS at start ${signed(within(first.rssAtStartMiB, last.rssAtStartMiB))}, ` +
        `V8 heap after GC ${signed(within(first.heapUsedMiB, last.heapUsedMiB))}`,
      met: [within(first.rssMiB, last.rssMiB), within(first.rssAtStartMiB, last.rssAtStartMiB), within(first.heapUsedMiB, last.heapUsedMiB)].every(
        (growth) => growth <= 0.2,
      ),
    },
  ];
}

export function renderResults(results) {
  const { env, settings, comparison, streamMemory, revoke, live, storageWrites, scale, micro } = results;
  const { summary } = comparison;
  const title = (id) => SCENARIOS.find((scenario) => scenario.id === id).title;
  const lines = [];
  const add = (...more) => lines.push(...more);

  add(
    "# Benchmark results",
    "",
    `Generated by \`${env.command}\` (bench/run.mjs) on ${env.startedAt.slice(0, 10)}. Rerun it rather than editing`,
    "this file. Every figure comes from one run on one machine; compare ratios, not absolute",
    "figures, with other machines. How each figure is measured: [Method](#method).",
    "",
    "![Throughput and p99 latency per variant](chart.svg)",
    "",
    "## Targets",
    "",
    "| target | measured | |",
    "|---|---|---|",
    ...targets(results).map((target) => `| ${target.name} | ${target.measured} | ${target.met ? "met" : "**missed**"} |`),
    "",
    "## Ratios to the bare proxy",
    "",
    `Median over ${settings.rounds} round(s) of each round's ratio to the bare run of the same round.`,
    "Throughput above 1 is faster than bare; latency above 1 is slower.",
    "",
    "| scenario | variant | throughput | p50 latency | p99 latency |",
    "|---|---|---|---|---|",
  );
  for (const scenario of SCENARIOS.filter((scenario) => summary[scenario.id])) {
    for (const [variant, figures] of Object.entries(summary[scenario.id])) {
      if (variant === "bare") continue;
      const { ratio } = figures;
      add(`| ${scenario.title} | ${labelOf(scenario, variant)} | ${times(ratio.throughput)} | ${times(ratio.p50)} | ${times(ratio.p99)} |`);
    }
  }
  add(
    "",
    "## Absolute figures",
    "",
    `${settings.connections} connections, ${settings.durationSeconds} s per measured run after ${settings.warmupSeconds} s of`,
    "unrecorded warm-up; median over the rounds. Latency is per request, measured by the client",
    "(autocannon) from every response.",
    "",
    "| scenario | variant | requests/s | p50 ms | p99 ms | body MiB/s | unexpected |",
    "|---|---|---|---|---|---|---|",
  );
  for (const scenario of SCENARIOS.filter((scenario) => summary[scenario.id])) {
    for (const [variant, figures] of Object.entries(summary[scenario.id])) {
      const mib = scenario.id === "stream" ? number(figures.bytesPerSecond / 1048576, 0) : "";
      add(
        `| ${scenario.title} | ${labelOf(scenario, variant)} | ${number(figures.requestsPerSecond, 0)} | ${number(figures.p50Ms, 2)} | ` +
          `${number(figures.p99Ms, 2)} | ${mib} | ${figures.unexpected} of ${figures.total} |`,
      );
    }
  }
  add(
    "",
    "<details><summary>Every measured run, in the order it ran</summary>",
    "",
    "| round | scenario | variant | requests/s | p50 ms | p99 ms | statuses |",
    "|---|---|---|---|---|---|---|",
    ...comparison.runs.map(
      (run) =>
        `| ${run.round} | ${run.scenario} | ${run.variant} | ${number(run.requestsPerSecond, 0)} | ${number(run.p50Ms, 2)} | ` +
        `${number(run.p99Ms, 2)} | ${Object.entries(run.statuses).map(([status, n]) => `${status}: ${n}`).join(", ")} |`,
    ),
    "",
    "</details>",
    "",
  );

  const machines = machineRatios(results);
  if (Object.keys(machines).length > 0) {
    const machine = summary.machine;
    const us = (figures) => 1e6 / figures.requestsPerSecond;
    add(
      "## Machine credentials against the session",
      "",
      "The same GET on `/machine/*`, a rule that admits users, workloads and services with the role",
      "`bench`, on the same gateway in the same rounds, each connection with its own credential: a",
      "session cookie (a session with that role), a workload token (an ES256 JWT of a loopback issuer",
      "in `TRUSTED_ISSUERS`, verified on every request), a service token (`gws_…`, checked at the edge",
      "and by its credential's Durable Object). Ratios: the median of each round's ratio to the",
      "session GET of the same round (target ≥ 0.9×). Machine time per request: 1 / throughput at",
      "saturation, medians over the rounds; `npm run bench:profile -- --paths auth,workload,service`",
      "measures the isolate's CPU per request directly.",
      "",
      "| credential | throughput / session | p50 / session | p99 / session | per round | machine time per request |",
      "|---|---|---|---|---|---|",
      `| session cookie | 1× | 1× | 1× | – | ${number(us(machine.gateway), 0)} µs |`,
      ...Object.entries(machines).map(
        ([variant, ratio]) =>
          `| ${MACHINE_CREDENTIALS[variant]} | ${times(ratio.throughput)} | ${times(ratio.p50)} | ${times(ratio.p99)} | ${ratio.perRound.map(times).join(", ")} | ` +
          `${number(us(machine[variant]), 0)} µs (${signed(us(machine[variant]) / us(machine.gateway) - 1)}) |`,
      ),
      "",
    );
  }

  add(
    "## Revocation",
    "",
    `${revoke.trials} trials. In each, ${4} connections send requests with one session while an admin`,
    "revokes it (`DELETE /_gateway/admin/sessions/:id`); the connections go on for 150 ms after the",
    "revoke has answered.",
    "",
    "| | gateway | client-side |",
    "|---|---|---|",
    `| requests sent after the revoke answered | ${revoke.sentAfterAnswer} | – |`,
    `| of which accepted | **${revoke.acceptedAfterAnswer}** | – |`,
    `| first refused response, after the revoke's answer | median ${ms(revoke.firstRefusalAfterAnswerMs.median)}, max ${ms(revoke.firstRefusalAfterAnswerMs.max)} | never |`,
    `| revoke call answered in (median) | ${ms(revoke.revokeLatencyMs)} | – |`,
    `| cookie replayed after logout: accepted | – | **${revoke.clientSide.accepted} of ${revoke.clientSide.replays}** |`,
    "",
    "A negative time means a request already in flight was refused before the revoke's answer",
    "reached the client: the Durable Object had dropped the session before answering. The",
    "client-side session has no server-side state to revoke: a logout asks the browser to forget",
    "the cookie, and a copy of it stays valid until it expires (30 min idle, 8 h absolute here).",
    "",
  );

  if (live) {
    const close = live.revokeToCloseMs;
    add(
      "## Live connections",
      "",
      `${live.trials} trials. In each, a WebSocket through the gateway with its own session; an admin`,
      "revokes the session; the time from the revoke's answer to the socket's close (`1008`). A",
      "negative time means the close reached the client first: the gateway ends a session's live",
      "connections before the revoke answers (docs/live-connections.md).",
      "",
      "| | figure |",
      "|---|---|",
      `| closed with 1008 | **${live.closed} of ${live.trials}**; still open 1 s after the answer: **${live.stillOpenAfterOneSecond}** |`,
      close ? `| revoke answer → close | median ${ms(close.median)}, p99 ${ms(close.p99)}, max ${ms(close.max)} |` : "| revoke answer → close | – |",
      `| echo round trip through the relay (median of ${live.roundTrip.count}) | ${ms(live.roundTrip.relayedMedianMs)} (p99 ${ms(live.roundTrip.relayedP99Ms)}) |`,
      `| echo round trip straight to the origin (median) | ${ms(live.roundTrip.directMedianMs)} |`,
      ...live.memory.map((row) => `| memory with ${row.sockets} open sockets | ${number(row.rssGrowthMiB, 1)} MiB of workerd RSS, ${number(row.kibPerSocket, 1)} KiB per socket |`),
      "",
      "Memory per socket counts the relay's two sockets and the watch's (the Worker's end and the",
      "session object's), ten sockets per session.",
      "",
    );
  }

  const writesRow = (label, run) =>
    `| ${label} | ${run.idleTimeoutSeconds} s / ${run.windowSeconds} s | ${run.requests} in ${number(run.elapsedSeconds, 1)} s | ` +
    `${run.windowsSpanned} | ${run.commitsAtLogin} | **${run.commits}** | ${run.pages} | ${run.alarmIndexCommits} |`;
  add(
    `## Storage writes per ${count(REQUESTS)} authenticated requests of one session`,
    "",
    "| run | idle timeout / coalescing window | requests | windows spanned | commits at login | commits during the requests | WAL pages written | alarm-index commits |",
    "|---|---|---|---|---|---|---|---|",
    writesRow("gateway as configured, requests back to back", storageWrites.burst),
    writesRow(`gateway with a ${storageWrites.spread.idleTimeoutSeconds} s idle timeout, requests spread evenly`, storageWrites.spread),
    "",
    "Counted in the session's own SQLite database (see [Method](#method)): one commit is one",
    "write transaction of the Durable Object, here `put(\"session\")` and `setAlarm()` together",
    "(two WAL pages: the record and the alarm). The alarm-index column is the namespace's alarm",
    "schedule, which the local runtime updates when an alarm moves.",
    "",
  );

  add(
    "## 1 MiB response streamed through",
    "",
    `Throughput is in the tables above. Memory: ${streamMemory.parallel} responses at a time, workerd's resident memory sampled`,
    "every 5 ms; growth is the peak over the value just before.",
    "",
    "| variant | RSS growth, 1 MiB bodies | RSS growth, 64 MiB bodies | MiB/s, 64 MiB bodies |",
    "|---|---|---|---|",
    ...Object.entries(streamMemory.results).map(([variant, bySize]) => {
      const [small, large] = streamMemory.sizes.map((size) => bySize[size]);
      return `| ${variant} | ${number(small.peakGrowthMiB, 1)} MiB | ${number(large.peakGrowthMiB, 1)} MiB | ${number(large.mibPerSecond, 0)} |`;
    }),
    "",
    `A proxy that buffered the body would grow by about ${streamMemory.parallel} × 64 = ${streamMemory.parallel * 64} MiB on the large bodies.`,
    "",
  );

  add(
    "## Scale: live sessions",
    "",
    "The gateway alone in its own workerd process, filled with real logins. At each step the",
    "process is restarted on the same storage (so that memory shows what the live sessions cost,",
    "not the garbage of the logins that created them) and runs the same workload: one unrecorded",
    "touch of each of up to 1,000 randomly sampled live sessions (their objects load from storage:",
    "*first touch*), authenticated requests over that warm sample, then logins. Memory: workerd's",
    "VmRSS one second after the restart and after the workload, and the gateway isolate's V8 heap",
    "after a forced full GC (through the inspector).",
    "",
    "| live sessions | session objects on disk | first touch p50 / p99 ms | auth p50 ms | auth p99 ms | auth req/s | logins/s | VmRSS at start MiB | VmRSS after workload MiB | V8 heap after GC MiB |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...scale.steps.map(
      (row) =>
        `| ${count(row.liveSessions)} | ${count(row.sessionDatabases)} | ${number(row.firstTouch.p50Ms, 2)} / ${number(row.firstTouch.p99Ms, 2)} | ` +
        `${number(row.auth.p50Ms, 2)} | ${number(row.auth.p99Ms, 2)} | ${number(row.auth.requestsPerSecond, 0)} | ${number(row.loginsPerSecond, 0)} | ` +
        `${number(row.rssAtStartMiB, 0)} | ${number(row.rssMiB, 0)} | ${number(row.heapUsedMiB, 1)} |`,
    ),
    "",
    `Live sessions are the logins whose cookie the client holds (every login of the run); the objects on`,
    "disk are counted in the storage directory. Filling was throttled to",
    `${scale.fillLimit.loginsPerSecond} logins/s: the local runtime keeps each Durable Object's SQLite database open (3 file`,
    "descriptors) until the object has been idle for about 10 s, a login wakes two objects, and with",
    `this process's limit of ${count(scale.fillLimit.openFiles)} open files a faster sustained rate makes opening databases fail`,
    "(the gateway then answers 503, failing closed). That limit is the local runtime's, not Cloudflare's.",
    "",
    `Steps: ${settings.scaleSteps.map(count).join(", ")}. 100,000 sessions would take about ${minutes(100000, scale.fillLimit.loginsPerSecond)} of logins at`,
    "that rate, so the default run stops at the largest step that fits in a few minutes;",
    "`npm run bench -- --scale 1000,10000,100000` runs the full test.",
    "",
  );

  const baseline = (rows) => rows[0].meanNs;
  add(
    "## Micro-benchmarks",
    "",
    "The hot pure functions of an authenticated request (src/session/token.ts, src/canonical-path.ts,",
    "src/gateway/identity.ts), with tinybench, in both runtimes from the same bundle. Each sample",
    "is a batch of calls (workerd's clock has 1 ms resolution); ratio is to the WebCrypto HMAC",
    "verify that `verifyToken` is built on, in the same runtime.",
    "",
    "| function | workerd ns/call | ratio | ± | Node 22 ns/call | ratio | ± |",
    "|---|---|---|---|---|---|---|",
    ...micro.workerd.map((row, index) => {
      const node = micro.node[index];
      return (
        `| ${row.name} | ${number(row.meanNs, 0)} | ${times(row.meanNs / baseline(micro.workerd))} | ${number(row.rmePercent, 0)} % | ` +
        `${number(node.meanNs, 0)} | ${times(node.meanNs / baseline(micro.node))} | ${number(node.rmePercent, 0)} % |`
      );
    }),
    "",
  );

  add(...notes(results), "");

  add(
    "## Machine and runtime",
    "",
    `- Date: ${env.startedAt} to ${env.finishedAt}`,
    `- Machine: ${env.machine.cpu}, ${env.machine.cores} cores, ${number(env.machine.memoryGiB, 0)} GiB, ${env.machine.os}`,
    `- Load average (1, 5, 15 min) at start ${env.loadAverageAtStart.map((n) => n.toFixed(2)).join(", ")}, at end ${env.loadAverageAtEnd.map((n) => n.toFixed(2)).join(", ")}`,
    `- Runtime: workerd ${env.versions.workerd} (through miniflare ${env.versions.miniflare}, as wrangler ${env.versions.wrangler} runs it), compatibility date ${env.compatibilityDate}`,
    `- Node ${env.versions.node}; hono ${env.versions.hono}, @hono/session ${env.versions["@hono/session"]}, autocannon ${env.versions.autocannon}, tinybench ${env.versions.tinybench}`,
    `- Gateway source: ${env.gitRevision}`,
    `- Settings: ${JSON.stringify(settings)}`,
    "",
  );

  add(...METHOD, "");
  return `${lines.join("\n")}\n`;
}

/** Time to log in n users at a rate. */
function minutes(n, loginsPerSecond) {
  const seconds = n / loginsPerSecond;
  return seconds >= 90 ? `${number(seconds / 60, 0)} minutes` : `${number(seconds, 0)} seconds`;
}

