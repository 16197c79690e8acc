// Drives a worker with autocannon. Latency percentiles are computed from every response's
// exact time (autocannon's own histogram rounds to whole milliseconds, too coarse on loopback).
import autocannon from "autocannon";

/**
 * One autocannon run: `connections` keep-alive connections for `durationSeconds`.
 * @param {{ url: string, method?: string, path: string, expectStatus: number | number[],
 *           connections: number, durationSeconds?: number, amount?: number, overallRate?: number,
 *           cookies?: string[], rotateCookies?: boolean, authorizations?: string[], headers?: Record<string, string>,
 *           onResponse?: (status: number, headers: Record<string, string | string[]>) => void }} options
 *   cookies: one per connection (a browser per connection), or rotated per request with
 *   rotateCookies; authorizations: an Authorization header per connection (`Bearer …`), like
 *   cookies; onResponse sees every response's headers (slower: only for logins).
 */
export async function load(options) {
  const { cookies = [], rotateCookies = false, authorizations = [] } = options;
  let nextAuthorization = 0;
  let nextCookie = 0;
  const cookieFor = () => cookies[nextCookie++ % cookies.length];
  const request = {
    method: options.method ?? "GET",
    path: options.path,
    ...(rotateCookies
      ? { setupRequest: (req) => ({ ...req, headers: { ...req.headers, cookie: cookieFor() } }) }
      : {}),
    ...(options.onResponse
      ? { onResponse: (status, _body, _context, headers) => options.onResponse(status, headers) }
      : {}),
  };
  const expectedStatuses = [options.expectStatus].flat();
  const latencies = [];
  const statuses = {};
  let expected = 0;
  let bytes = 0;
  let startedAt = process.hrtime.bigint();
  let lastAt = 0;
  const durationNs = options.amount ? Number.POSITIVE_INFINITY : options.durationSeconds * 1e9;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationSeconds }),
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [request],
    setupClient: (client) => {
      // setHeaders replaces a client's headers, so the scenario's extra headers go with the cookie.
      const cookie = cookies.length > 0 && !rotateCookies ? { cookie: cookieFor() } : {};
      const authorization = authorizations.length > 0 ? { authorization: authorizations[nextAuthorization++ % authorizations.length] } : {};
      if (options.headers || cookie.cookie || authorization.authorization) client.setHeaders({ ...options.headers, ...cookie, ...authorization });
    },
    timeout: 30,
    // autocannon ends a run at its next sampling tick; sample often so runs end on time.
    sampleInt: 100,
    skipAggregateResult: true,
  });
  instance.on("start", () => (startedAt = process.hrtime.bigint()));
  instance.on("response", (_client, status, resBytes, responseTimeMs) => {
    const elapsedNs = Number(process.hrtime.bigint() - startedAt);
    if (elapsedNs > durationNs) return; // after the measured window
    lastAt = elapsedNs;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!expectedStatuses.includes(status)) return;
    expected++;
    bytes += resBytes;
    latencies.push(responseTimeMs);
  });
  const result = await instance;
  const seconds = (options.amount ? lastAt : durationNs) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: expected / seconds,
    bytesPerSecond: bytes / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    expected,
    unexpected: Object.entries(statuses)
      .filter(([status]) => !expectedStatuses.includes(Number(status)))
      .reduce((sum, [, count]) => sum + count, 0),
    statuses,
    errors: result.errors + result.timeouts,
    seconds,
  };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
