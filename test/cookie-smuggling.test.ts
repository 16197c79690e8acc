/**
 * the Cookie header is read as browsers send it, pairs split on `;` only. A session
 * cookie tossed inside another cookie's value (a sibling subdomain can set `x=a,__Host-session=
 * <attacker token>` with Domain= the parent) is never honoured, never destroys the real one,
 * and a logout ends every session cookie that verifies.
 */
import { describe, expect, it } from "vitest";
import { COOKIE_NAME, cookie, echoHeader, type EchoBody, gatewayFetch, login, uniqueUser } from "./helpers";

function withCookie(header: string, path = "/anything", init: RequestInit = {}): Promise<Response> {
  return gatewayFetch(path, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), cookie: header } });
}

async function subjectSeen(response: Response): Promise<string | null> {
  if (response.status !== 200) return null;
  return echoHeader(await response.json<EchoBody>(), "x-auth-user");
}

describe("a session cookie after a comma (X-02)", () => {
  it("is no session of its own: the victim keeps browsing as the victim", async () => {
    const victim = uniqueUser();
    const { token: victimToken } = await login(victim);
    const { token: attackerToken } = await login(uniqueUser());
    const response = await withCookie(`x=a,${cookie(attackerToken)}; ${cookie(victimToken)}`);
    expect(await subjectSeen(response)).toBe(victim.sub);
  });

  it("gives no session when it is the only copy, and clears nothing", async () => {
    const { token } = await login(uniqueUser());
    const response = await withCookie(`x=a,${cookie(token)}`);
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("never reaches the origin, while the origin's own comma values pass intact", async () => {
    const { token } = await login(uniqueUser());
    const { token: tossed } = await login(uniqueUser());
    const response = await withCookie(`prefs=a,b; x=a,${cookie(tossed)}; ${cookie(token)}; theme=dark`);
    const body = await response.json<EchoBody>();
    expect(echoHeader(body, "cookie")).toBe("prefs=a,b; theme=dark");
    expect(JSON.stringify(body)).not.toContain(tossed);
  });

  it("cannot make a logout revoke nothing", async () => {
    const { token } = await login(uniqueUser());
    const { token: tossed } = await login(uniqueUser());
    const response = await withCookie(`x=a,${cookie(tossed)}; ${cookie(token)}`, "/_gateway/logout", { method: "POST" });
    expect(response.status).toBe(204);
    expect((await withCookie(cookie(token))).status).toBe(401);
  });
});

describe("two session cookies in one request", () => {
  it("give no session and clear neither cookie", async () => {
    const { token: first } = await login(uniqueUser());
    const { token: second } = await login(uniqueUser());
    const response = await withCookie(`${cookie(first)}; ${cookie(second)}`, "/anything", { headers: { accept: "text/html" } });
    expect(response.status).toBe(302);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await withCookie(cookie(first))).status).toBe(200);
  });

  it("are both ended by a logout", async () => {
    const { token: first } = await login(uniqueUser());
    const { token: second } = await login(uniqueUser());
    const response = await withCookie(`${cookie(first)}; ${cookie(second)}; ${COOKIE_NAME}=forged`, "/_gateway/logout", { method: "POST" });
    expect(response.status).toBe(204);
    expect((await withCookie(cookie(first))).status).toBe(401);
    expect((await withCookie(cookie(second))).status).toBe(401);
  });

  it("are both ended by the origin's X-Gateway-Logout", async () => {
    const { token: first } = await login(uniqueUser());
    const { token: second } = await login(uniqueUser());
    const respond = JSON.stringify({ "X-Gateway-Logout": "1" });
    await withCookie(`${cookie(first)}; ${cookie(second)}`, "/public/x", { headers: { "x-echo-respond": respond } });
    expect((await withCookie(cookie(first))).status).toBe(401);
    expect((await withCookie(cookie(second))).status).toBe(401);
  });

  it("are both replaced by a login", async () => {
    const { token: first } = await login(uniqueUser());
    const { token: second } = await login(uniqueUser());
    await login(uniqueUser(), { cookie: `${cookie(first)}; ${cookie(second)}` });
    expect((await withCookie(cookie(first))).status).toBe(401);
    expect((await withCookie(cookie(second))).status).toBe(401);
  });
});
