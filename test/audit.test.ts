/** Audit events (issue 4, item 7; checklist ): one JSON line per event, public ids only. */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { sessionStub } from "../src/session/stubs";
import { adminFetch, fetchWithSession, gatewayFetch, login, uniqueUser } from "./helpers";

type Event = Record<string, unknown> & { event: string; time: string };

let spies: MockInstance[] = [];
beforeEach(() => {
  spies = [vi.spyOn(console, "log"), vi.spyOn(console, "warn"), vi.spyOn(console, "error")];
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function lines(): string[] {
  return spies.flatMap((spy) => spy.mock.calls.map(([line]) => String(line)));
}

function events(): Event[] {
  return lines().map((line) => JSON.parse(line) as Event);
}

function expectNoSecrets(tokens: string[]): void {
  const all = lines().join("\n");
  for (const token of tokens) {
    const [, secret, mac] = token.split(".");
    expect(all).not.toContain(token);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(mac);
  }
}

describe("audit log", () => {
  it("writes every line as JSON with an ISO 8601 UTC time", async () => {
    const { token } = await login(uniqueUser());
    await fetchWithSession(token, "/_gateway/logout", { method: "POST" });
    expect(lines().length).toBeGreaterThan(0);
    for (const event of events()) expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("logs creation, logout and the refusal of the revoked session by public id, never the token", async () => {
    const user = uniqueUser();
    const { token } = await login(user);
    const id = token.split(".")[0];
    await fetchWithSession(token, "/_gateway/logout", { method: "POST" });
    await fetchWithSession(token, "/anything");
    expect(events()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "session.created", session: id, sub: user.sub }),
        expect.objectContaining({ event: "login.succeeded", session: id }),
        expect.objectContaining({ event: "session.revoked", session: id, reason: "logout" }),
        expect.objectContaining({ event: "logout", session: id, by: "user" }),
        expect.objectContaining({ event: "session.refused", session: id, reason: "revoked" }),
      ]),
    );
    expectNoSecrets([token]);
  });

  it("logs admin actions with the revoked sessions' reasons", async () => {
    const user = uniqueUser();
    const one = (await login(user)).token;
    const two = (await login(user)).token;
    await adminFetch(`/sessions/${one.split(".")[0]}`, { method: "DELETE" });
    await adminFetch(`/users/${encodeURIComponent(user.sub)}/sessions`, { method: "DELETE" });
    await gatewayFetch("/_gateway/admin/users/x/sessions", { headers: { authorization: "Bearer wrong" } });
    expect(events()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "session.revoked", session: one.split(".")[0], reason: "admin" }),
        expect.objectContaining({ event: "admin.session_revoked", session: one.split(".")[0], wasLive: true }),
        expect.objectContaining({ event: "session.revoked", session: two.split(".")[0], reason: "admin-user" }),
        expect.objectContaining({ event: "admin.user_sessions_revoked", sub: user.sub, revoked: 1 }),
        expect.objectContaining({ event: "admin.unauthorized" }),
      ]),
    );
    expectNoSecrets([one, two]);
    expect(lines().join("\n")).not.toContain("Bearer");
  });

  it("logs expiry with its reason, from the request and from the alarm", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now() + 30 * 24 * 3600 * 1000; // future: real alarms must not fire
    vi.setSystemTime(start);
    const first = (await login(uniqueUser())).token;
    const second = (await login(uniqueUser())).token;
    vi.setSystemTime(start + 600_000);
    await fetchWithSession(first, "/anything");
    await runDurableObjectAlarm(sessionStub(env, second.split(".")[0]!));
    expect(events()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "session.expired", session: first.split(".")[0], reason: "idle-timeout" }),
        expect.objectContaining({ event: "session.refused", session: first.split(".")[0], reason: "idle-timeout" }),
        expect.objectContaining({ event: "session.expired", session: second.split(".")[0], reason: "idle-timeout" }),
      ]),
    );
  });

  it("logs a refused login, a forbidden request and an invalid cookie", async () => {
    await gatewayFetch("/login", { method: "POST", headers: { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": '{"sub":""}' }) } });
    const { token } = await login(uniqueUser({ roles: ["user"] }));
    await fetchWithSession(token, "/admin");
    await gatewayFetch("/anything", { headers: { cookie: "__Host-session=forged", "cf-connecting-ip": "192.0.2.44" } });
    expect(events()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "login.refused" }),
        expect.objectContaining({ event: "access.forbidden", session: token.split(".")[0], path: "/admin" }),
        expect.objectContaining({ event: "session.cookie_invalid", ip: "192.0.2.44" }),
      ]),
    );
    expectNoSecrets([token]);
  });
});
