/**
 * The optional Analytics Engine binding (GATEWAY_METRICS): one data point per access decision
 * and per session event, seen at the binding's boundary — a stand-in whose writeDataPoint
 * records what the Worker wrote.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { asciiJson, cookie, gatewayFetchIn, sessionTokenFrom, uniqueUser } from "./helpers";

function recordingDataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, dataset: { writeDataPoint: (point?: AnalyticsEngineDataPoint) => void points.push(point!) } as AnalyticsEngineDataset };
}

/** [kind, outcome, reason, rule, method, asks] of each point, and whether its latency is a number ≥ 0. */
function summary(points: AnalyticsEngineDataPoint[]) {
  return points.map((point) => {
    expect(point.indexes).toEqual([point.blobs![0]]);
    expect(point.doubles).toHaveLength(1);
    expect(point.doubles![0]).toBeGreaterThanOrEqual(0);
    return point.blobs;
  });
}

describe("metrics (GATEWAY_METRICS)", () => {
  it("writes one data point per decision and per session event, with outcome, reason, rule, method and what the rule asks", async () => {
    const { points, dataset } = recordingDataset();
    const bindings = { ...(env as unknown as Env), GATEWAY_METRICS: dataset } as Env;
    const take = () => summary(points.splice(0));

    await gatewayFetchIn(bindings, "/public/x");
    expect(take()).toEqual([["decision", "allowed", "public", "/public/*", "GET", "public"]]);

    await gatewayFetchIn(bindings, "/private", { headers: { accept: "application/json" } });
    expect(take()).toEqual([["decision", "unauthenticated", "no-session", "DEFAULT_ACCESS", "GET", "session"]]);

    const user = uniqueUser({ roles: ["user"] });
    const login = await gatewayFetchIn(bindings, "/login", { method: "POST", headers: { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": asciiJson(user) }) } });
    const token = sessionTokenFrom(login)!;
    expect(token).toBeTruthy();
    expect(take()).toEqual([
      ["decision", "allowed", "public", "/login", "POST", "public"],
      ["session", "login", "origin", "", "POST", ""],
    ]);

    await gatewayFetchIn(bindings, "/admin", { headers: { cookie: cookie(token) } });
    expect(take()).toEqual([["decision", "forbidden", "roles", "/admin{/*}?", "GET", "roles=admin"]]);

    await gatewayFetchIn(bindings, "/reports/q1", { headers: { cookie: cookie(token) } });
    expect(take()).toEqual([["decision", "forbidden", "roles", "GET /reports/*", "GET", "roles=analyst|admin"]]);

    await gatewayFetchIn(bindings, "/private", { headers: { cookie: cookie(token) } });
    expect(take()).toEqual([["decision", "allowed", "session", "DEFAULT_ACCESS", "GET", "session"]]);

    const logout = await gatewayFetchIn(bindings, "/_gateway/logout", { method: "POST", headers: { cookie: cookie(token) } });
    expect(logout.status).toBe(204);
    expect(take()).toEqual([["session", "logout", "user", "", "POST", ""]]);

    await gatewayFetchIn(bindings, "/private", { headers: { cookie: cookie(token), accept: "application/json" } });
    expect(take()).toEqual([
      ["session", "refused", "ended", "", "GET", ""],
      ["decision", "unauthenticated", "no-session", "DEFAULT_ACCESS", "GET", "session"],
    ]);
  });

  it("writes nothing that names a user or a session", async () => {
    const { points, dataset } = recordingDataset();
    const bindings = { ...(env as unknown as Env), GATEWAY_METRICS: dataset } as Env;
    const user = uniqueUser();
    const login = await gatewayFetchIn(bindings, "/login", { method: "POST", headers: { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": asciiJson(user) }) } });
    const token = sessionTokenFrom(login)!;
    await gatewayFetchIn(bindings, "/private", { headers: { cookie: cookie(token) } });
    const written = JSON.stringify(points);
    expect(points.length).toBeGreaterThan(0);
    for (const secret of [user.sub, user.email!, token, token.split(".")[0]!]) expect(written).not.toContain(secret);
  });
});
