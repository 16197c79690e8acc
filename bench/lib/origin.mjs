// The loopback origin: plain node:http on 127.0.0.1 in its own worker thread, so the load
// generator's event loop does not slow it down. Routes:
//   POST /login        204 with X-Gateway-Login for a new user (`user-<n>`) each time, with the
//                      roles of `?roles=a,b` (default: user)
//   GET  /bytes/<n>    200, n bytes streamed in 64 KiB chunks (the 1 MiB streaming case)
//   GET  /_bench/assertions  how many requests so far carried an X-Auth-Assertion shaped like
//                      a JWS (asked directly, not through a variant: the run checks the
//                      assertion variant really sent them)
//   GET  /_bench/principals  how many requests so far came with each X-Auth-Principal (user,
//                      workload, service): the machine scenario's credentials really were those
//   anything else      200 "ok" (the tiny body every variant proxies)
//   a WebSocket upgrade on any path: every frame echoed (scenarios/live.mjs)
import http from "node:http";
import { WebSocketServer } from "ws";
import { isMainThread, parentPort, Worker } from "node:worker_threads";

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Starts the origin thread; resolves to { url, close() }. */
export async function startOrigin() {
  const worker = new Worker(new URL(import.meta.url));
  const port = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`origin thread exited with code ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await worker.terminate();
    },
  };
}

function serve() {
  let logins = 0;
  let assertions = 0;
  const principals = {};
  const server = http.createServer((req, res) => {
    if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(req.headers["x-auth-assertion"] ?? "")) assertions++;
    const principal = req.headers["x-auth-principal"];
    if (principal !== undefined) principals[principal] = (principals[principal] ?? 0) + 1;
    if (req.url === "/_bench/assertions" || req.url === "/_bench/principals") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(req.url === "/_bench/assertions" ? { assertions } : { principals }));
      return;
    }
    if (req.method === "POST" && req.url.startsWith("/login")) {
      req.resume();
      logins++;
      const roles = new URL(req.url, "http://origin").searchParams.get("roles")?.split(",") ?? ["user"];
      res.writeHead(204, { "X-Gateway-Login": JSON.stringify({ sub: `user-${logins}`, email: `user-${logins}@example.com`, roles }) });
      res.end();
      return;
    }
    const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? "");
    if (bytes) {
      streamBytes(res, Number(bytes[1]));
      return;
    }
    req.resume();
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "2" });
    res.end("ok");
  });
  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
}

/** Writes n bytes, waiting for 'drain' so the origin itself never buffers the body. */
function streamBytes(res, total) {
  res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(total) });
  let left = total;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

if (!isMainThread) serve();
