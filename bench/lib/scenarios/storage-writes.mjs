// Durable Object storage writes per 1,000 authenticated requests of one session, counted in
// the session's own SQLite database (workerd keeps one per object, in WAL mode, under the
// Miniflare persistence directory). The WAL index (`<db>-shm`) header holds `iChange`, which
// SQLite increments on every committed write transaction, and `mxFrame`, the number of pages
// in the WAL: read before and after, they count the object's real storage commits and pages,
// whatever API call caused them, without touching the gateway's code.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { load } from "../load.mjs";
import { login } from "../variants.mjs";

export const REQUESTS = 1000;

/**
 * @param {{ url: string, namespaceDir: string, idleTimeoutSeconds: number, durationSeconds?: number }} options
 *   namespaceDir: the SessionObject storage directory of that worker; durationSeconds spreads the
 *   requests evenly over that long (else as fast as possible).
 */
export async function countSessionWrites({ url, namespaceDir, idleTimeoutSeconds, durationSeconds }) {
  const before = new Set(databases(namespaceDir));
  const cookie = await login(url);
  const created = databases(namespaceDir).filter((file) => !before.has(file));
  if (created.length !== 1) throw new Error(`expected one new session database, found ${created.length}`);
  const database = path.join(namespaceDir, created[0]);
  const alarmIndex = path.join(namespaceDir, "metadata.sqlite");

  const atLogin = walCounters(database);
  const alarmIndexBefore = walCounters(alarmIndex);
  const started = performance.now();
  const result = await load({
    url,
    path: "/api/data",
    expectStatus: 200,
    connections: 4,
    amount: REQUESTS,
    ...(durationSeconds ? { overallRate: REQUESTS / durationSeconds } : {}),
    cookies: [cookie],
  });
  const elapsedSeconds = (performance.now() - started) / 1000;
  const after = walCounters(database);
  const alarmIndexAfter = walCounters(alarmIndex);
  const windowSeconds = idleTimeoutSeconds / 10;
  return {
    idleTimeoutSeconds,
    windowSeconds,
    requests: result.expected,
    refused: result.unexpected + result.errors,
    elapsedSeconds,
    /** Coalescing windows the requests spanned: at most one write each. */
    windowsSpanned: Math.ceil(elapsedSeconds / windowSeconds),
    commitsAtLogin: atLogin.commits,
    commits: after.commits - atLogin.commits,
    pages: after.pages - atLogin.pages,
    alarmIndexCommits: alarmIndexAfter.commits - alarmIndexBefore.commits,
  };
}

function databases(dir) {
  return readdirSync(dir).filter((file) => file.endsWith(".sqlite") && file !== "metadata.sqlite");
}

/**
 * SQLite WAL-index header (https://sqlite.org/walformat.html §2.1, native byte order):
 * offset 8 iChange (incremented by each write transaction), offset 16 mxFrame.
 */
function walCounters(database) {
  const header = readFileSync(`${database}-shm`).subarray(0, 48);
  return { commits: header.readUInt32LE(8), pages: header.readUInt32LE(16) };
}
