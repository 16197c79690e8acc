import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminFetch, cookie, fetchWithSession, gatewayFetch, gatewayFetchWith, login, uniqueUser } from "./helpers";

describe("admin authentication", () => {
  it("answers 401 without a token, with a wrong one, or with a user's session cookie alone", async () => {
    const { token } = await login(uniqueUser({ roles: ["admin"] }));
    const id = token.split(".")[0]!;
    const attempts: RequestInit[] = [
      {},
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } },
      { headers: { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` } },
      { headers: { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` } },
      { headers: { authorization: ADMIN_TOKEN } },
      { headers: { cookie: cookie(token) } },
    ];
    for (const init of attempts) {
      const response = await gatewayFetch(`/_gateway/admin/sessions/${id}`, init);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: "unauthenticated" });
    }
  });

  it("answers 404 for every admin call when no ADMIN_TOKEN is configured", async () => {
    const response = await gatewayFetchWith({ ADMIN_TOKEN: undefined }, "/_gateway/admin/users/alice/sessions", {
      headers: { authorization: "Bearer anything" },
    });
    expect(response.status).toBe(404);
  });

  it("accepts the right token", async () => {
    const response = await adminFetch(`/users/${uniqueUser().sub}/sessions`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sessions: [] });
  });
});

describe("one session", () => {
  it("shows a live session's metadata and never its token", async () => {
    const user = uniqueUser();
    const { token } = await login(user);
    const [id, secret] = token.split(".") as [string, string];
    const response = await adminFetch(`/sessions/${id}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ id, user });
    expect(text).not.toContain(secret);
  });

  it("answers 404 for an unknown session and 400 for a malformed id", async () => {
    expect((await adminFetch(`/sessions/${"A".repeat(22)}`)).status).toBe(404);
    expect((await adminFetch("/sessions/not-an-id")).status).toBe(400);
  });

  it("revokes a session with effect on the very next request, idempotently", async () => {
    const { token } = await login(uniqueUser());
    const id = token.split(".")[0]!;
    expect((await adminFetch(`/sessions/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
    expect((await adminFetch(`/sessions/${id}`)).status).toBe(404);
    expect((await adminFetch(`/sessions/${id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("a user's sessions", () => {
  it("lists the user's live sessions by public id", async () => {
    const user = uniqueUser();
    const tokens = [(await login(user)).token, (await login(user)).token, (await login(user)).token];
    await login(uniqueUser()); // someone else
    const { sessions } = await (await adminFetch(`/users/${encodeURIComponent(user.sub)}/sessions`)).json<{ sessions: { id: string }[] }>();
    expect(sessions.map((session) => session.id).sort()).toEqual(tokens.map((token) => token.split(".")[0]).sort());
  });

  it("revokes all of them before answering", async () => {
    const user = uniqueUser();
    const tokens = await Promise.all([login(user), login(user), login(user)]).then((logins) => logins.map((l) => l.token));
    const bystander = (await login(uniqueUser())).token;
    expect((await adminFetch(`/users/${encodeURIComponent(user.sub)}/sessions`, { method: "DELETE" })).status).toBe(204);
    for (const token of tokens) expect((await fetchWithSession(token, "/anything")).status).toBe(401);
    expect((await fetchWithSession(bystander, "/anything")).status).toBe(200);
    expect(await (await adminFetch(`/users/${encodeURIComponent(user.sub)}/sessions`)).json()).toEqual({ sessions: [] });
  });

  // Item 11 of the attack review: ids no path segment can carry survive as a query parameter.
  it.each([".", "..", "a/b", "a%41", "team/../admin", "%2e%2e"])("lists and revokes the sessions of the user %j with ?user=", async (sub) => {
    const { token } = await login(uniqueUser({ sub }));
    const listed = await (await adminFetch(`/sessions?user=${encodeURIComponent(sub)}`)).json<{ sessions: { id: string; user: { sub: string } }[] }>();
    expect(listed.sessions.map((session) => [session.id, session.user.sub])).toEqual([[token.split(".")[0], sub]]);
    expect((await adminFetch(`/sessions?user=${encodeURIComponent(sub)}`, { method: "DELETE" })).status).toBe(204);
    expect(await (await adminFetch(`/sessions?user=${encodeURIComponent(sub)}`)).json()).toEqual({ sessions: [] });
  });

  it("answers 400 to ?user= missing or empty", async () => {
    expect((await adminFetch("/sessions")).status).toBe(400);
    expect((await adminFetch("/sessions?user=")).status).toBe(400);
    expect((await adminFetch("/sessions?user=", { method: "DELETE" })).status).toBe(400);
  });

  it("finds a subject with characters that need encoding", async () => {
    const user = uniqueUser({ sub: "auth0|alice@example.com é+%" });
    const { token } = await login(user);
    const { sessions } = await (await adminFetch(`/users/${encodeURIComponent(user.sub)}/sessions`)).json<{ sessions: { id: string }[] }>();
    expect(sessions.map((session) => session.id)).toEqual([token.split(".")[0]]);
  });
});
