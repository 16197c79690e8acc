// Live connections (docs/live-connections.md): what holding a WebSocket under its session costs
// and how fast a revoke ends it.
//   - revoke to close: a socket through the gateway with its own session; an admin revokes the
//     session; the time from the revoke's answer to the socket's close (negative: the close came
//     first, as the gateway closes live connections before the revoke answers).
//   - round trip: sequential echo round trips through the gateway's relay, and straight to the
//     origin's socket, in the same run.
//   - memory: workerd's resident memory growth per open relayed socket, at two counts.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { median, percentile } from "../load.mjs";
import { login } from "../variants.mjs";

export async function runLive({ gatewayUrl, originUrl, adminToken, trials, roundTrips, socketCounts, rssMiB }) {
  const closes = [];
  let stillOpenAfterOneSecond = 0;
  for (let trial = 0; trial < trials; trial++) {
    const cookie = await login(gatewayUrl);
    const socket = await open(gatewayUrl, cookie);
    await roundTrip(socket, "warm");
    const closedAt = new Promise((resolve) => socket.once("close", (code) => resolve({ at: performance.now(), code })));
    const publicId = cookie.slice(cookie.indexOf("=") + 1).split(".")[0];
    const revoke = await fetch(`${gatewayUrl}/_gateway/admin/sessions/${publicId}`, { method: "DELETE", headers: { authorization: `Bearer ${adminToken}` } });
    const answeredAt = performance.now();
    if (revoke.status !== 204) throw new Error(`revoke answered ${revoke.status}`);
    const closed = await Promise.race([closedAt, sleep(1000).then(() => null)]);
    if (!closed || closed.code !== 1008) {
      stillOpenAfterOneSecond++;
      socket.terminate();
      continue;
    }
    closes.push(closed.at - answeredAt);
  }
  closes.sort((a, b) => a - b);

  const cookie = await login(gatewayUrl);
  const relayed = await open(gatewayUrl, cookie);
  const direct = await open(originUrl, null);
  const relayedMs = await timeRoundTrips(relayed, roundTrips);
  const directMs = await timeRoundTrips(direct, roundTrips);
  relayed.close();
  direct.close();

  const memory = [];
  for (const count of socketCounts) {
    await sleep(200);
    const before = rssMiB();
    const sockets = [];
    // Ten sockets per session, as several tabs of one browser would hold.
    for (let i = 0; i < count; i += 10) {
      const sessionCookie = await login(gatewayUrl);
      const opened = await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => open(gatewayUrl, sessionCookie)));
      sockets.push(...opened);
    }
    await Promise.all(sockets.map((socket) => roundTrip(socket, "x")));
    await sleep(200);
    const after = rssMiB();
    memory.push({ sockets: count, rssGrowthMiB: after - before, kibPerSocket: ((after - before) * 1024) / count });
    await Promise.all(sockets.map((socket) => closeAndWait(socket)));
  }

  return {
    trials,
    closed: closes.length,
    stillOpenAfterOneSecond,
    revokeToCloseMs: closes.length > 0 ? { median: median(closes), p99: percentile(closes, 0.99), max: closes.at(-1) } : null,
    roundTrip: { count: roundTrips, relayedMedianMs: median(relayedMs), directMedianMs: median(directMs), relayedP99Ms: percentile(relayedMs, 0.99) },
    memory,
  };
}

function open(baseUrl, cookie) {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws`, cookie ? { headers: { cookie } } : {});
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (_request, response) => reject(new Error(`handshake answered ${response.statusCode}`)));
    socket.once("error", reject);
  });
}

function roundTrip(socket, text) {
  return new Promise((resolve) => {
    socket.once("message", resolve);
    socket.send(text);
  });
}

async function timeRoundTrips(socket, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await roundTrip(socket, `rt ${i}`);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

function closeAndWait(socket) {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once("close", resolve);
    socket.close();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
