// Revocation: while several connections keep sending requests with one session, an admin
// revokes it (DELETE /_gateway/admin/sessions/:id). Every request *sent* after the revoke has
// answered must be refused; we also time the first refusal relative to that answer. For the
// client-side variant the closest thing is a logout, after which a copy of the cookie is
// replayed.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { median } from "../load.mjs";
import { login } from "../variants.mjs";

const LOOPS = 4;
const TRAFFIC_BEFORE_MS = 100;
const TRAFFIC_AFTER_MS = 150;

export async function runRevoke({ gatewayUrl, clientSideUrl, adminToken, trials }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS + 1 });
  try {
    const gatewayTrials = [];
    for (let trial = 0; trial < trials; trial++) gatewayTrials.push(await revokeTrial(agent, gatewayUrl, adminToken));
    const clientSide = await logoutReplay(agent, clientSideUrl);
    return {
      trials: gatewayTrials.length,
      acceptedAfterAnswer: gatewayTrials.reduce((sum, t) => sum + t.acceptedAfterAnswer, 0),
      sentAfterAnswer: gatewayTrials.reduce((sum, t) => sum + t.sentAfterAnswer, 0),
      firstRefusalAfterAnswerMs: {
        median: median(gatewayTrials.map((t) => t.firstRefusalAfterAnswerMs)),
        max: Math.max(...gatewayTrials.map((t) => t.firstRefusalAfterAnswerMs)),
      },
      revokeLatencyMs: median(gatewayTrials.map((t) => t.revokeLatencyMs)),
      clientSide,
    };
  } finally {
    agent.destroy();
  }
}

async function revokeTrial(agent, baseUrl, adminToken) {
  const cookie = await login(baseUrl);
  const publicId = cookie.slice(cookie.indexOf("=") + 1).split(".")[0];
  const events = [];
  let stopAt = Number.POSITIVE_INFINITY;
  const loops = Array.from({ length: LOOPS }, async () => {
    while (performance.now() < stopAt) {
      const sentAt = performance.now();
      const { status } = await send(agent, `${baseUrl}/api/data`, { headers: { cookie } });
      events.push({ sentAt, receivedAt: performance.now(), status });
    }
  });
  await sleep(TRAFFIC_BEFORE_MS);
  const revokeSentAt = performance.now();
  const revoke = await send(agent, `${baseUrl}/_gateway/admin/sessions/${publicId}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${adminToken}` },
  });
  const answeredAt = performance.now();
  if (revoke.status !== 204) throw new Error(`revoke answered ${revoke.status}`);
  stopAt = answeredAt + TRAFFIC_AFTER_MS;
  await Promise.all(loops);

  const after = events.filter((event) => event.sentAt > answeredAt);
  const refusals = events.filter((event) => event.status === 401).map((event) => event.receivedAt);
  if (events.some((event) => event.status !== 200 && event.status !== 401)) {
    throw new Error(`unexpected statuses during revoke: ${[...new Set(events.map((e) => e.status))]}`);
  }
  return {
    sentAfterAnswer: after.length,
    acceptedAfterAnswer: after.filter((event) => event.status === 200).length,
    // Negative: a request in flight was already refused before the revoke's answer arrived.
    firstRefusalAfterAnswerMs: Math.min(...refusals) - answeredAt,
    revokeLatencyMs: answeredAt - revokeSentAt,
  };
}

/** Client-side: log out, then replay the cookie the browser was told to forget. */
async function logoutReplay(agent, baseUrl) {
  const cookie = await login(baseUrl);
  const logout = await send(agent, `${baseUrl}/logout`, { method: "POST", headers: { cookie } });
  if (logout.status !== 204) throw new Error(`client-side logout answered ${logout.status}`);
  const replays = 100;
  let accepted = 0;
  for (let i = 0; i < replays; i++) {
    if ((await send(agent, `${baseUrl}/api/data`, { headers: { cookie } })).status === 200) accepted++;
  }
  return { replays, accepted };
}

function send(agent, url, { method = "GET", headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
