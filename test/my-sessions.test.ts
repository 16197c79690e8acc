import { describe, expect, it } from "vitest";
import { COOKIE_NAME, fetchWithSession, gatewayFetch, login, uniqueUser } from "./helpers";

interface Listing {
  current: string;
  sessions: { id: string; user: { sub: string } }[];
}

const idOf = (token: string) => token.split(".")[0]!;

describe("a user's own sessions", () => {
  it("lists the caller's live sessions by public id, marking the current one", async () => {
    const user = uniqueUser();
    const laptop = (await login(user)).token;
    const phone = (await login(user)).token;
    await login(uniqueUser()); // someone else's
    const response = await fetchWithSession(laptop, "/_gateway/sessions");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    const listing = JSON.parse(text) as Listing;
    expect(listing.current).toBe(idOf(laptop));
    expect(listing.sessions.map((session) => session.id).sort()).toEqual([idOf(laptop), idOf(phone)].sort());
    for (const token of [laptop, phone]) expect(text).not.toContain(token.split(".")[1]);
  });

  it("answers 401 without a session", async () => {
    expect((await gatewayFetch("/_gateway/sessions")).status).toBe(401);
    expect((await gatewayFetch(`/_gateway/sessions/${"A".repeat(22)}`, { method: "DELETE" })).status).toBe(401);
  });

  it("ends another of the caller's sessions, which is refused from the very next request", async () => {
    const user = uniqueUser();
    const laptop = (await login(user)).token;
    const forgotten = (await login(user)).token;
    const response = await fetchWithSession(laptop, `/_gateway/sessions/${idOf(forgotten)}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await fetchWithSession(forgotten, "/anything")).status).toBe(401);
    expect((await fetchWithSession(laptop, "/anything")).status).toBe(200);
  });

  it("clears the cookie when the caller ends its own current session", async () => {
    const token = (await login(uniqueUser())).token;
    const response = await fetchWithSession(token, `/_gateway/sessions/${idOf(token)}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()[0]).toMatch(new RegExp(`^${COOKIE_NAME}=; Max-Age=0`));
    // Ending the session this browser uses is a sign-out like any other.
    expect(response.headers.get("clear-site-data")).toBe('"cache", "storage"');
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });

  it("never ends someone else's session: 404, and it lives on", async () => {
    const mine = (await login(uniqueUser())).token;
    const theirs = (await login(uniqueUser())).token;
    const response = await fetchWithSession(mine, `/_gateway/sessions/${idOf(theirs)}`, { method: "DELETE" });
    expect(response.status).toBe(404);
    expect((await fetchWithSession(theirs, "/anything")).status).toBe(200);
    expect((await fetchWithSession(mine, "/_gateway/sessions/not-an-id", { method: "DELETE" })).status).toBe(404);
  });

  it("signs the user out everywhere", async () => {
    const user = uniqueUser();
    const tokens = [(await login(user)).token, (await login(user)).token, (await login(user)).token];
    const bystander = (await login(uniqueUser())).token;
    const response = await fetchWithSession(tokens[0]!, "/_gateway/sessions", { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.headers.get("clear-site-data")).toBe('"cache", "storage"');
    expect(response.headers.getSetCookie()[0]).toMatch(new RegExp(`^${COOKIE_NAME}=; Max-Age=0`));
    for (const token of tokens) expect((await fetchWithSession(token, "/anything")).status).toBe(401);
    expect((await fetchWithSession(bystander, "/anything")).status).toBe(200);
  });

  it.each([
    ["Sec-Fetch-Site cross-site", { "sec-fetch-site": "cross-site" }],
    ["a foreign Origin", { origin: "https://evil.example" }],
  ])("refuses to end sessions for a cross-site request (%s)", async (_, headers) => {
    const user = uniqueUser();
    const token = (await login(user)).token;
    expect((await fetchWithSession(token, "/_gateway/sessions", { method: "DELETE", headers })).status).toBe(403);
    expect((await fetchWithSession(token, `/_gateway/sessions/${idOf(token)}`, { method: "DELETE", headers })).status).toBe(403);
    expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });
});
