import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "../src/session/types";
import { COOKIE_NAME, cookie, fetchWithSession, gatewayFetch, gatewayFetchWith, sessionTokenFrom, uniqueUser } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

function loginWith(overrides: Record<string, unknown>, user: SessionUser, headers: Record<string, string> = {}) {
  return gatewayFetchWith(overrides, "/login", {
    method: "POST",
    headers: { ...headers, "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify(user) }) },
  }).then((response) => sessionTokenFrom(response)!);
}

async function durableObjectCount(): Promise<number> {
  return (await listDurableObjectIds(env.SESSIONS)).length + (await listDurableObjectIds(env.USER_SESSIONS)).length;
}

describe("MAX_SESSIONS_PER_USER", () => {
  it("revokes the user's oldest session when a login exceeds the cap", async () => {
    const user = uniqueUser();
    const settings = { MAX_SESSIONS_PER_USER: "2" };
    const first = await loginWith(settings, user);
    const second = await loginWith(settings, user);
    const third = await loginWith(settings, user);
    expect((await fetchWithSession(first, "/anything")).status).toBe(401);
    expect((await fetchWithSession(second, "/anything")).status).toBe(200);
    expect((await fetchWithSession(third, "/anything")).status).toBe(200);
  });

  it("caps at 10 by default and never touches other users' sessions", async () => {
    const user = uniqueUser();
    const bystander = await loginWith({}, uniqueUser());
    const tokens: string[] = [];
    for (let i = 0; i < 11; i++) tokens.push(await loginWith({}, user));
    const statuses = await Promise.all(tokens.map(async (token) => (await fetchWithSession(token, "/anything")).status));
    expect(statuses).toEqual([401, ...Array(10).fill(200)]);
    expect((await fetchWithSession(bystander, "/anything")).status).toBe(200);
  });

  it("allows any number with 0", async () => {
    const user = uniqueUser();
    const tokens: string[] = [];
    for (let i = 0; i < 12; i++) tokens.push(await loginWith({ MAX_SESSIONS_PER_USER: "0" }, user));
    for (const token of tokens) expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });
});

describe("forged-cookie floods", () => {
  it("answers 429 past the limit, per client address, without any Durable Object call", { timeout: 30_000 }, async () => {
    // The limiter's windows are whole clock minutes: 130 requests that straddle a minute's end
    // would see the count reset, so start with at least 15 s left in the window.
    const secondsLeft = 60 - (Date.now() / 1000) % 60;
    if (secondsLeft < 15) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 100));
    const before = await durableObjectCount();
    const attacker = { "cf-connecting-ip": "198.51.100.66" };
    const statuses: number[] = [];
    for (let i = 0; i < 130; i++) {
      const response = await gatewayFetch("/anything", { headers: { ...attacker, cookie: `${COOKIE_NAME}=forged-${i}` } });
      statuses.push(response.status);
    }
    // wrangler.toml: 100 per 60 s.
    expect(statuses.slice(0, 100).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(100).every((status) => status === 429)).toBe(true);
    const limited = await gatewayFetch("/anything", { headers: { ...attacker, cookie: `${COOKIE_NAME}=forged-again` } });
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(await limited.json()).toEqual({ error: "rate_limited" });

    const someoneElse = await gatewayFetch("/anything", { headers: { "cf-connecting-ip": "198.51.100.67", cookie: `${COOKIE_NAME}=forged` } });
    expect(someoneElse.status).toBe(401);
    expect(await durableObjectCount()).toBe(before);
  });
});

describe("forged service-token floods", () => {
  it("count against the same limit as forged cookies: 429 past it, per client address, without any Durable Object call", { timeout: 30_000 }, async () => {
    const secondsLeft = 60 - (Date.now() / 1000) % 60;
    if (secondsLeft < 15) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 100));
    const settings = { ROUTES: JSON.stringify([{ path: "/api/*", access: { principals: ["service"], roles: ["deployer"] } }]) };
    const before = await durableObjectCount();
    const services = (await listDurableObjectIds(env.SERVICES)).length;
    const attacker = { "cf-connecting-ip": "198.51.100.77" };
    const statuses: number[] = [];
    for (let i = 0; i < 110; i++) {
      const forged = `gws_${crypto.randomUUID().replaceAll("-", "").padEnd(89, "A")}`;
      statuses.push((await gatewayFetchWith(settings, "/api/x", { headers: { ...attacker, authorization: `Bearer ${forged}` } })).status);
    }
    expect(statuses.slice(0, 100).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(100).every((status) => status === 429)).toBe(true);
    expect(await durableObjectCount()).toBe(before);
    expect((await listDurableObjectIds(env.SERVICES)).length).toBe(services);
  });
});

describe("anonymous requests", () => {
  it("create no Durable Object, however many login starts arrive", { timeout: 60_000 }, async () => {
    const before = await durableObjectCount();
    for (let batch = 0; batch < 10; batch++) {
      const starts = await Promise.all(Array.from({ length: 20 }, (_, i) => gatewayFetch(`/_gateway/login?return_to=/x${batch}-${i}`)));
      expect(starts.map((response) => response.status)).toEqual(Array(20).fill(302));
    }
    expect((await gatewayFetch("/_gateway/session")).status).toBe(401);
    expect((await gatewayFetch("/_gateway/logout", { method: "POST" })).status).toBe(204);
    expect(await durableObjectCount()).toBe(before);
  });
});

describe("client binding", () => {
  it("records the login's address and User-Agent and logs when they change", async () => {
    const log = vi.spyOn(console, "log");
    const user = uniqueUser();
    const token = await loginWith({}, user, { "cf-connecting-ip": "203.0.113.1", "user-agent": "Browser/1" });
    const ok = await gatewayFetch("/anything", { headers: { cookie: cookie(token), "cf-connecting-ip": "203.0.113.1", "user-agent": "Browser/1" } });
    expect(ok.status).toBe(200);
    const moved = await gatewayFetch("/anything", {
      headers: { cookie: cookie(token), "cf-connecting-ip": "198.51.100.2", "user-agent": "Browser/1", "x-forwarded-for": "203.0.113.1" },
    });
    expect(moved.status).toBe(200);
    const events = log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(events.find((event) => event.event === "session.created")).toMatchObject({ sub: user.sub, ip: "203.0.113.1" });
    const changes = events.filter((event) => event.event === "session.client_changed");
    expect(changes).toEqual([expect.objectContaining({ ipChanged: true, userAgentChanged: false, ip: "198.51.100.2" })]);
  });

  it("ends the session on a User-Agent change when END_SESSION_ON_USER_AGENT_CHANGE is set", async () => {
    const settings = { END_SESSION_ON_USER_AGENT_CHANGE: "true" };
    const token = await loginWith(settings, uniqueUser(), { "user-agent": "Browser/1" });
    const same = await gatewayFetchWith(settings, "/anything", { headers: { cookie: cookie(token), "user-agent": "Browser/1" } });
    expect(same.status).toBe(200);
    const other = await gatewayFetchWith(settings, "/anything", { headers: { cookie: cookie(token), "user-agent": "Stolen/2" } });
    expect(other.status).toBe(401);
    const back = await gatewayFetchWith(settings, "/anything", { headers: { cookie: cookie(token), "user-agent": "Browser/1" } });
    expect(back.status).toBe(401);
  });

  it("keeps the session on a User-Agent change by default", async () => {
    const token = await loginWith({}, uniqueUser(), { "user-agent": "Browser/1" });
    const other = await gatewayFetch("/anything", { headers: { cookie: cookie(token), "user-agent": "Browser/2" } });
    expect(other.status).toBe(200);
  });
});
