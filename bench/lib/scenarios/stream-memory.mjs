// Does memory grow with body size? For each variant, stream responses of 1 MiB and of 64 MiB
// (4 at a time) through the worker while sampling workerd's resident memory every 5 ms; a
// proxy that streams holds a few chunks per response whatever the body size, one that buffers
// holds the whole body.
import http from "node:http";
import { STREAM_BYTES } from "./compare.mjs";

const PARALLEL = 4;
export const LARGE_BYTES = 64 * 1024 * 1024;

export async function runStreamMemory({ urls, cookies, rssMiB }) {
  const results = {};
  for (const [variant, url] of Object.entries(urls)) {
    results[variant] = {};
    for (const bytes of [STREAM_BYTES, LARGE_BYTES]) {
      await fetchBytes(url, STREAM_BYTES, cookies[variant]); // warm the path
      const baseline = rssMiB();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 5);
      const started = process.hrtime.bigint();
      const received = await Promise.all(Array.from({ length: PARALLEL }, () => fetchBytes(url, bytes, cookies[variant])));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearInterval(sampler);
      peak = Math.max(peak, rssMiB());
      if (received.some((count) => count !== bytes)) throw new Error(`${variant}: short body streaming ${bytes} bytes`);
      results[variant][bytes] = { peakGrowthMiB: peak - baseline, mibPerSecond: (PARALLEL * bytes) / 1048576 / seconds };
    }
  }
  return { parallel: PARALLEL, sizes: [STREAM_BYTES, LARGE_BYTES], results };
}

/** GETs /bytes/<n> and counts the body as it arrives (never holding it). */
function fetchBytes(baseUrl, bytes, cookie) {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}/bytes/${bytes}`, { headers: cookie ? { cookie } : {} }, (response) => {
      let received = 0;
      response.on("data", (chunk) => (received += chunk.length));
      response.on("end", () => resolve(response.statusCode === 200 ? received : -response.statusCode));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}
