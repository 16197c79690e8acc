// Scale: the gateway alone in its own workerd process, filled step by step with live sessions
// (real logins through the origin). At each step the process is restarted on the same storage,
// so that memory reflects the sessions that exist rather than the garbage of the logins that
// made them; then, with the same workload at every step: authenticated requests over a random
// sample of the live sessions (each touched once first and not recorded, so every step
// measures the same warm set and only the total number of sessions differs), logins per
// second, workerd's VmRSS, and the gateway isolate's V8 heap after a forced GC.
//
// Filling is throttled: the local runtime keeps each Durable Object's SQLite database open
// (3 descriptors) until the object has been idle for about 10 s, and a login wakes two objects,
// so sustained logins hold about 60 descriptors per login/s; past the process's open-file
// limit, opening a database fails and logins get 503.
import { readdirSync, readFileSync } from "node:fs";
import { load } from "../load.mjs";

const SAMPLE_SESSIONS = 1000;
const DESCRIPTORS_PER_LOGIN_PER_SECOND = 2 * 3 * 10;

/** The login rate that keeps the runtime under 75 % of this process's open-file limit. */
export function fillRateForOpenFileLimit() {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const openFiles = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? 1024);
  return { openFiles, loginsPerSecond: Math.max(1, Math.floor((0.75 * openFiles) / DESCRIPTORS_PER_LOGIN_PER_SECOND)) };
}

/**
 * @param {{ steps: number[], connections: number, durationSeconds: number,
 *           startGateway: () => Promise<{ url: string, rssMiB: () => number, namespaceDir: string,
 *             heapAfterGcMiB: () => Promise<{ usedMiB: number }>, dispose: () => Promise<void> }>,
 *           progress: (line: string) => void }} options
 */
export async function runScale({ steps, connections, durationSeconds, startGateway, progress }) {
  const fillLimit = fillRateForOpenFileLimit();
  const cookies = [];
  const collect = (status, headers) => {
    if (status !== 204) return;
    const name = Object.keys(headers).find((key) => key.toLowerCase() === "set-cookie");
    const setCookie = name === undefined ? undefined : headers[name];
    const line = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (line) cookies.push(line.split(";")[0]);
  };
  const logins = (url, limit) => ({
    url,
    method: "POST",
    path: "/login",
    expectStatus: 204,
    connections,
    onResponse: collect,
    ...limit,
  });

  const results = [];
  let gateway = null;
  try {
    for (const step of steps) {
      // A fresh process for the fill: the previous step's logins still hold files open.
      gateway = await startGateway();
      const missing = step - cookies.length;
      // The previous step's login run also left sessions, so a few may be missing: autocannon
      // refuses fewer requests than connections.
      const fill = missing > 0 ? await load(logins(gateway.url, { amount: missing, connections: Math.min(connections, missing), overallRate: fillLimit.loginsPerSecond })) : null;
      await gateway.dispose();
      gateway = await startGateway();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const rssAtStartMiB = gateway.rssMiB();

      const liveSessions = cookies.length;
      const sessionDatabases = readdirSync(gateway.namespaceDir).filter((file) => file.endsWith(".sqlite") && file !== "metadata.sqlite").length;
      const sample = sampleOf(cookies, SAMPLE_SESSIONS);
      const request = { url: gateway.url, path: "/api/data", expectStatus: 200, connections, cookies: sample, rotateCookies: true };
      const warmup = await load({ ...request, amount: sample.length });
      const auth = await load({ ...request, durationSeconds });
      const loginRun = await load(logins(gateway.url, { durationSeconds }));
      const heap = await gateway.heapAfterGcMiB();
      const row = {
        target: step,
        liveSessions,
        sessionDatabases,
        fillLoginsPerSecond: fill?.requestsPerSecond ?? null,
        fillFailures: fill ? fill.unexpected + fill.errors : 0,
        rssAtStartMiB,
        firstTouch: { p50Ms: warmup.p50Ms, p99Ms: warmup.p99Ms },
        auth: { requestsPerSecond: auth.requestsPerSecond, p50Ms: auth.p50Ms, p99Ms: auth.p99Ms, refused: auth.unexpected + auth.errors + warmup.unexpected + warmup.errors },
        loginsPerSecond: loginRun.requestsPerSecond,
        loginFailures: loginRun.unexpected + loginRun.errors,
        rssMiB: gateway.rssMiB(),
        heapUsedMiB: heap.usedMiB,
      };
      results.push(row);
      progress(
        `scale ${String(step).padStart(7)} sessions: auth p50 ${auth.p50Ms.toFixed(2)} ms p99 ${auth.p99Ms.toFixed(2)} ms ` +
          `${auth.requestsPerSecond.toFixed(0)} req/s, logins ${loginRun.requestsPerSecond.toFixed(0)}/s` +
          (fill ? ` (fill ${fill.requestsPerSecond.toFixed(0)}/s)` : "") +
          `, RSS ${row.rssAtStartMiB.toFixed(0)} MiB at start, ${row.rssMiB.toFixed(0)} MiB after, heap ${heap.usedMiB.toFixed(1)} MiB`,
      );
      await gateway.dispose();
      gateway = null;
    }
  } finally {
    await gateway?.dispose();
  }
  return { fillLimit, steps: results };
}

function sampleOf(items, count) {
  if (items.length <= count) return [...items];
  const picked = new Set();
  while (picked.size < count) picked.add(Math.floor(Math.random() * items.length));
  return [...picked].map((index) => items[index]);
}
