// Runs benchmark workers in one workerd process through Miniflare (the workerd binary that
// wrangler itself uses). Each worker is bundled exactly as `wrangler deploy` would bundle it
// (`wrangler deploy --dry-run --outdir`), configured from its own wrangler.toml, and served on
// its own loopback socket (a Miniflare "direct socket": no routing worker in front).
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { BIN_DIR, ROOT } from "./paths.mjs";

const run = promisify(execFile);

/**
 * Bundles a worker with `wrangler deploy --dry-run`; resolves to the directory holding index.js.
 * @param {string} configPath wrangler config, absolute or relative to the repository root
 * @param {string} outDir
 */
export async function buildWorker(configPath, outDir) {
  const env = {
    ...process.env,
    PATH: `${BIN_DIR}${path.delimiter}${process.env.PATH}`,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
  };
  await run(path.join(BIN_DIR, "wrangler"), ["deploy", "--dry-run", "--outdir", outDir, "-c", configPath], { cwd: ROOT, env });
  return outDir;
}

/**
 * Starts one workerd process with the given workers.
 * @param {{ workers: { name: string, configPath: string, buildDir: string, bindings?: Record<string, string> }[],
 *           persistDir: string, onLog?: (log: { level: string, message: string }) => void }} options
 */
export async function startRuntime({ workers, persistDir, onLog = () => {}, inspectorPort }) {
  const workerOptions = workers.map((worker) => {
    const { workerOptions: fromToml } = unstable_getMiniflareWorkerOptions(path.resolve(ROOT, worker.configPath));
    // Only what these workers' configs use: compatibility, [vars], Durable Objects, rate limits.
    return {
      name: worker.name,
      compatibilityDate: fromToml.compatibilityDate,
      compatibilityFlags: fromToml.compatibilityFlags,
      durableObjects: fromToml.durableObjects,
      ratelimits: fromToml.ratelimits,
      modules: true,
      scriptPath: path.join(worker.buildDir, "index.js"),
      modulesRoot: worker.buildDir,
      bindings: { ...fromToml.bindings, ...worker.bindings },
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    };
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.WARN),
      cf: false,
      ...(inspectorPort !== undefined ? { inspectorPort } : {}),
      // Worker logs (the gateway writes one JSON line per event) are counted, not printed.
      handleStructuredLogs: onLog,
      resourcePersistencePath: persistDir,
      workers: workerOptions,
    }),
  );
  await mf.ready;
  const urls = {};
  for (const worker of workers) urls[worker.name] = (await mf.unsafeGetDirectURL(worker.name)).href.replace(/\/$/, "");
  const pid = workerdPid();
  return {
    urls,
    pid,
    persistDir,
    rssMiB: () => rssMiB(pid),
    dispose: () => mf.dispose(),
  };
}

/** The workerd process that Miniflare started: our child whose command is workerd. */
function workerdPid() {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(afterName[1]) === process.pid && stat.includes("(workerd)")) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  if (found.length !== 1) throw new Error(`expected one workerd child process, found ${found.length}`);
  return found[0];
}

/** Resident memory of a process in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kib / 1024;
}
