/**
 * Checklist §3 (T-01, T-02, T-03, T-08) and F-04, black-box: logout and revoke-all end
 * sessions on the server, the deletion is one browsers accept, and a cross-site logout is
 * refused.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { loginAs, rawRequest } from "./harness";
import { adminAuth, DELETION_COOKIE, observe, secretsOf, sessionCookie, setCookieLines, tokenParts } from "./helpers";

let origin: RemoteOrigin;
let gateway: SharedGateway;
let port: number;
let gatewayOrigin: string;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
  port = gateway.port;
  gatewayOrigin = `http://127.0.0.1:${port}`;
});

/** The session is live: a protected request reaches the origin as this user. */
async function expectLive(token: string, sub: string): Promise<void> {
  const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(token) }));
  expect(response.status).toBe(200);
  expect(forwarded[0]!.headers["x-auth-user"]).toBe(sub);
}

/** The session is over: every way of presenting the cookie is refused and nothing is forwarded. */
async function expectEnded(token: string): Promise<void> {
  const cookie = sessionCookie(token);
  for (const [method, path, headers, status] of [
    ["GET", "/zzz", {}, 401],
    ["GET", "/zzz", { accept: "text/html" }, 302],
    ["POST", "/zzz", {}, 401],
    ["GET", "/_gateway/session", {}, 401],
  ] as const) {
    const { response, forwarded } = await observe(origin, () => rawRequest(port, method, path, { cookie, ...headers }));
    expect(response.status, `${method} ${path}`).toBe(status);
    expect(forwarded).toEqual([]);
  }
  const admin = await rawRequest(port, "GET", `/_gateway/admin/sessions/${tokenParts(token).publicId}`, adminAuth);
  expect(admin.status).toBe(404);
}

describe("T-01 logout ends the session on the server", () => {
  it("refuses the saved cookie after POST /_gateway/logout", async () => {
    const { token } = await loginAs(port, { sub: "t01-user" });
    await expectLive(token, "t01-user");
    const logout = await rawRequest(port, "POST", "/_gateway/logout", { cookie: sessionCookie(token) });
    expect(logout.status).toBe(204);
    await expectEnded(token);
  });

  it("refuses the saved cookie after the origin answers X-Gateway-Logout", async () => {
    const { token } = await loginAs(port, { sub: "t01-origin" });
    const response = await rawRequest(port, "POST", "/zzz", { cookie: sessionCookie(token), "x-echo-respond": JSON.stringify({ "X-Gateway-Logout": "1" }) });
    expect(response.status).toBe(200);
    expect(setCookieLines(response)).toEqual([DELETION_COOKIE]);
    expect(response.headers["x-gateway-logout"]).toBeUndefined();
    await expectEnded(token);
  });
});

describe("T-02 the deletion", () => {
  it.each<[string, Record<string, string>, number]>([
    ["from fetch()", { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" }, 204],
    ["from curl (no browser headers)", {}, 204],
    ["from an HTML form", { "content-type": "application/x-www-form-urlencoded" }, 303],
    ["from a navigation", { "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate" }, 303],
  ])("clears the cookie in the form browsers accept, with no-store and Clear-Site-Data, on a logout %s", async (_from, headers, status) => {
    const { token } = await loginAs(port, { sub: "t02-user" });
    const response = await rawRequest(port, "POST", "/_gateway/logout", { cookie: sessionCookie(token), ...headers }, headers["content-type"] ? "" : undefined);
    expect(response.status).toBe(status);
    expect(setCookieLines(response)).toEqual([DELETION_COOKIE]);
    expect(response.headers["cache-control"]).toBe("no-store");
    // Not "cookies": that would clear every cookie of the site.
    expect(response.headers["clear-site-data"]).toBe('"cache", "storage"');
    if (status === 303) expect(response.headers.location).toBe("/_gateway/signed-out");
    for (const secret of secretsOf(token)) expect(JSON.stringify(response.headers) + response.body).not.toContain(secret);
  });

  it("clears the cookie on a logout without a session too", async () => {
    const response = await rawRequest(port, "POST", "/_gateway/logout", {});
    expect(response.status).toBe(204);
    expect(setCookieLines(response)).toEqual([DELETION_COOKIE]);
  });
});

describe("T-03, F-04 cross-site logout", () => {
  it.each<[string, () => Record<string, string>]>([
    ["Sec-Fetch-Site: cross-site", () => ({ "sec-fetch-site": "cross-site", origin: "https://evil.example" })],
    ["Sec-Fetch-Site: same-site", () => ({ "sec-fetch-site": "same-site", origin: "https://sub.127.0.0.1.example" })],
    ["Sec-Fetch-Site: cross-site with the gateway's own Origin", () => ({ "sec-fetch-site": "cross-site", origin: gatewayOrigin })],
    ["a foreign Origin without Sec-Fetch-Site", () => ({ origin: "https://evil.example" })],
    ["Origin: null", () => ({ origin: "null" })],
    ["an Origin on another port of the same host", () => ({ origin: "http://127.0.0.1:1" })],
    ["a cross-site form post", () => ({ "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" })],
  ])("refuses a logout with %s: 403, and the session lives on", async (_case, headers) => {
    const { token } = await loginAs(port, { sub: "t03-user" });
    const response = await rawRequest(port, "POST", "/_gateway/logout", { cookie: sessionCookie(token), ...headers() });
    expect(response.status).toBe(403);
    expect(setCookieLines(response)).toEqual([]);
    expect(response.headers["clear-site-data"]).toBeUndefined();
    await expectLive(token, "t03-user");
  });

  it.each<[string, () => Record<string, string>]>([
    ["Sec-Fetch-Site: same-origin", () => ({ "sec-fetch-site": "same-origin", origin: gatewayOrigin })],
    ["Sec-Fetch-Site: none (typed by the user)", () => ({ "sec-fetch-site": "none" })],
    ["the gateway's own Origin", () => ({ origin: gatewayOrigin })],
  ])("accepts a logout with %s", async (_case, headers) => {
    const { token } = await loginAs(port, { sub: "t03-same-origin" });
    const response = await rawRequest(port, "POST", "/_gateway/logout", { cookie: sessionCookie(token), ...headers() });
    expect(response.status).toBe(204);
    await expectEnded(token);
  });

  it("never signs out on a GET: a navigation gets the sign-out page, anything else 405, and the session lives", async () => {
    const { token } = await loginAs(port, { sub: "t03-get" });
    const page = await rawRequest(port, "GET", "/_gateway/logout", { cookie: sessionCookie(token), accept: "text/html" });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<form method="post" action="/_gateway/logout">');
    expect(setCookieLines(page)).toEqual([]);
    const script = await rawRequest(port, "GET", "/_gateway/logout", { cookie: sessionCookie(token) });
    expect(script.status).toBe(405);
    await expectLive(token, "t03-get");
  });
});

describe("T-08 ending all of a user's sessions", () => {
  it("refuses every cookie of the user after revoke-all, and leaves other users' sessions alone", async () => {
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await loginAs(port, { sub: "t08-user" })).token);
    const bystander = (await loginAs(port, { sub: "t08-bystander" })).token;

    const listing = await rawRequest(port, "GET", "/_gateway/admin/users/t08-user/sessions", adminAuth);
    expect(listing.status).toBe(200);
    const { sessions } = JSON.parse(listing.body) as { sessions: { id: string; user: { sub: string } }[] };
    expect(sessions.map((session) => session.id).sort()).toEqual(tokens.map((token) => tokenParts(token).publicId).sort());
    for (const token of tokens) for (const secret of secretsOf(token)) expect(listing.body).not.toContain(secret);

    const revoke = await rawRequest(port, "DELETE", "/_gateway/admin/users/t08-user/sessions", adminAuth);
    expect(revoke.status).toBe(204);
    for (const token of tokens) await expectEnded(token);
    expect(JSON.parse((await rawRequest(port, "GET", "/_gateway/admin/users/t08-user/sessions", adminAuth)).body)).toEqual({ sessions: [] });
    await expectLive(bystander, "t08-bystander");
  });

  it("shows a user their own session by public id only", async () => {
    const { token } = await loginAs(port, { sub: "t08-self", roles: ["staff"] });
    const response = await rawRequest(port, "GET", "/_gateway/session", { cookie: sessionCookie(token) });
    expect(response.status).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    const session = JSON.parse(response.body) as { id: string; user: { sub: string } };
    expect(session.id).toBe(tokenParts(token).publicId);
    expect(session.user.sub).toBe("t08-self");
    for (const secret of secretsOf(token)) expect(response.body).not.toContain(secret);
  });
});
