/**
 * Checklist §8 (A-01..A-03), black-box: the admin API's authentication on every spelling of its
 * paths, revocation that holds on the very next request, and no token in any admin answer or
 * in the gateway's log.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { E2E_ADMIN_TOKEN, E2E_SECRET, loginAs, rawRequest } from "./harness";
import { adminAuth, observe, outputContaining, secretsOf, sessionCookie, tokenParts } from "./helpers";

let origin: RemoteOrigin;
let gateway: SharedGateway;
let port: number;
/** Every token minted in this file, for the log check at the end. */
const minted: string[] = [];

async function login(identity: { sub: string; roles?: string[] }): Promise<string> {
  const { token } = await loginAs(port, identity);
  minted.push(token);
  return token;
}

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
  port = gateway.port;
});

describe("A-01 admin authentication", () => {
  let alice: string;
  let aliceId: string;
  let mallory: string;
  beforeAll(async () => {
    // alice even holds the admin *role*: a session is never admin API authentication.
    alice = await login({ sub: "a01-alice", roles: ["admin"] });
    aliceId = tokenParts(alice).publicId;
    mallory = await login({ sub: "a01-mallory" });
  });

  const expectNoData = (body: string) => {
    expect(body).not.toContain(aliceId);
    expect(body).not.toContain('"sessions"');
  };

  it.each<[string, () => Record<string, string>, string]>([
    ["no Authorization", () => ({}), ""],
    ["a user's session cookie alone", () => ({ cookie: sessionCookie(mallory) }), ""],
    ["an admin-role user's session cookie alone", () => ({ cookie: sessionCookie(alice) }), ""],
    ["a wrong bearer token", () => ({ authorization: `Bearer ${"x".repeat(E2E_ADMIN_TOKEN.length)}` }), ""],
    ["the token with a character missing", () => ({ authorization: `Bearer ${E2E_ADMIN_TOKEN.slice(0, -1)}` }), ""],
    ["the token with a character added", () => ({ authorization: `Bearer ${E2E_ADMIN_TOKEN}x` }), ""],
    ["an empty bearer token", () => ({ authorization: "Bearer " }), ""],
    ["the token as Basic credentials", () => ({ authorization: `Basic ${Buffer.from(`admin:${E2E_ADMIN_TOKEN}`).toString("base64")}` }), ""],
    ["the token without a scheme", () => ({ authorization: E2E_ADMIN_TOKEN }), ""],
    ["the token in a cookie", () => ({ cookie: `admin_token=${E2E_ADMIN_TOKEN}` }), ""],
    ["the token in X-Admin-Token", () => ({ "x-admin-token": E2E_ADMIN_TOKEN }), ""],
    ["the token in the query", () => ({}), `?token=${E2E_ADMIN_TOKEN}`],
    ["the session secret as the token", () => ({ authorization: `Bearer ${E2E_SECRET}` }), ""],
  ])("refuses %s with 401 and no data, on every admin call", async (_case, headers, query) => {
    for (const [method, path] of [
      ["GET", `/_gateway/admin/users/a01-alice/sessions`],
      ["GET", `/_gateway/admin/sessions/${aliceId}`],
      ["DELETE", `/_gateway/admin/sessions/${aliceId}`],
      ["DELETE", `/_gateway/admin/users/a01-alice/sessions`],
    ] as const) {
      const { response, forwarded } = await observe(origin, () => rawRequest(port, method, `${path}${query}`, headers()));
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(JSON.parse(response.body)).toEqual({ error: "unauthenticated" });
      expect(response.headers["www-authenticate"]).toBe("Bearer");
      expectNoData(response.body);
      expect(forwarded).toEqual([]);
    }
    // The refused DELETEs revoked nothing.
    expect((await rawRequest(port, "GET", "/_gateway/session", { cookie: sessionCookie(alice) })).status).toBe(200);
  });

  // Spellings of the admin paths (R-02..R-06) that resolve to the admin API, or to nothing.
  it.each<[string, number[]]>([
    ["/_gateway/admin/../admin/users/a01-alice/sessions", [401]],
    ["/_gateway/%61dmin/users/a01-alice/sessions", [401]],
    ["/_gateway/adm%69n/users/a01-alice/sessions", [401]],
    ["/_gateway/./admin/users/a01-alice/sessions", [401]],
    ["/_gateway/x/../admin/users/a01-alice/sessions", [401]],
    ["/_gateway/admin\\users/a01-alice/sessions", [401]],
    ["/_gateway/admin/users/a01-alice/sessions/", [401]],
    ["/_gateway/admin/users/a01-alice/sessions?admin=1", [401]],
    ["/%5fgateway/admin/users/a01-alice/sessions", [401]],
    ["/_gateway//admin/users/a01-alice/sessions", [400]],
    ["/_gateway/%2561dmin/users/a01-alice/sessions", [400]],
    ["/_gateway/admin%2Fusers/a01-alice/sessions", [400]],
    ["/_gateway/admin;x=1/users/a01-alice/sessions", [400]],
    ["/_gateway/admin/users/a01-alice/sessions%00", [400]],
    ["/_gateway/ADMIN/users/a01-alice/sessions", [404]],
    ["/_gateway/Admin/sessions/a01", [404]],
  ])("answers %s without the bearer token with %j and no data", async (path, statuses) => {
    for (const headers of [{}, { cookie: sessionCookie(mallory) }, { cookie: sessionCookie(alice) }] as Record<string, string>[]) {
      const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", path, headers));
      expect(statuses, `${path} → ${response.status}`).toContain(response.status);
      expectNoData(response.body);
      expect(forwarded).toEqual([]);
    }
  });

  it("never proxies a path under /_gateway to the origin, whatever follows it", async () => {
    for (const path of ["/_gateway/", "/_gateway/anything", "/_gateway/admin", "/_gateway/admin/", "/_gateway/ADMIN/users/a01-alice/sessions"]) {
      const { forwarded } = await observe(origin, () => rawRequest(port, "GET", path, { cookie: sessionCookie(mallory) }));
      expect(forwarded, path).toEqual([]);
    }
  });

  it("answers the admin API with the right token (the refusals above are about authentication)", async () => {
    const response = await rawRequest(port, "GET", "/_gateway/%61dmin/users/a01-alice/sessions", adminAuth);
    expect(response.status).toBe(200);
    expect(response.body).toContain(aliceId);
  });
});

describe("A-02 revocation takes effect on the very next request", () => {
  it("refuses a session right after the admin revokes it by public id, and keeps the user's others", async () => {
    const revoked = await login({ sub: "a02-user" });
    const kept = await login({ sub: "a02-user" });
    const id = tokenParts(revoked).publicId;
    const response = await rawRequest(port, "DELETE", `/_gateway/admin/sessions/${id}`, adminAuth);
    expect(response.status).toBe(204);
    const replay = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(revoked) }));
    expect(replay.response.status).toBe(401);
    expect(replay.forwarded).toEqual([]);
    expect((await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(kept) })).status).toBe(200);
    expect((await rawRequest(port, "GET", `/_gateway/admin/sessions/${id}`, adminAuth)).status).toBe(404);
    expect((await rawRequest(port, "DELETE", `/_gateway/admin/sessions/${id}`, adminAuth)).status).toBe(204);
  });

  it("refuses every session of a user right after the admin revokes the user", async () => {
    const tokens = [await login({ sub: "a02-all" }), await login({ sub: "a02-all" })];
    const other = await login({ sub: "a02-other" });
    expect((await rawRequest(port, "DELETE", "/_gateway/admin/users/a02-all/sessions", adminAuth)).status).toBe(204);
    for (const token of tokens) {
      const replay = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(token) }));
      expect(replay.response.status).toBe(401);
      expect(replay.forwarded).toEqual([]);
    }
    expect((await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(other) })).status).toBe(200);
  });

  it("refuses a malformed public id with 400 and an unknown one with 404", async () => {
    expect((await rawRequest(port, "GET", "/_gateway/admin/sessions/not-an-id", adminAuth)).status).toBe(400);
    expect((await rawRequest(port, "GET", `/_gateway/admin/sessions/${"A".repeat(22)}`, adminAuth)).status).toBe(404);
  });
});

describe("A-03 only public ids are exposed", () => {
  it("shows sessions by public id only: no token, secret, MAC or secret hash in any admin answer", async () => {
    const tokens = [await login({ sub: "a03-user", roles: ["staff"] }), await login({ sub: "a03-user" })];
    const answers = [
      await rawRequest(port, "GET", "/_gateway/admin/users/a03-user/sessions", adminAuth),
      ...(await Promise.all(tokens.map((token) => rawRequest(port, "GET", `/_gateway/admin/sessions/${tokenParts(token).publicId}`, adminAuth)))),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.headers["cache-control"]).toBe("no-store");
      for (const token of tokens) for (const secret of secretsOf(token)) expect(JSON.stringify(answer.headers) + answer.body).not.toContain(secret);
    }
    const listed = (JSON.parse(answers[0]!.body) as { sessions: { id: string }[] }).sessions.map((session) => session.id);
    expect(listed.sort()).toEqual(tokens.map((token) => tokenParts(token).publicId).sort());
  });

  // Last in the file: it reads the log of everything above.
  it("writes no token, secret, MAC, secret hash or admin token to the gateway's log", async () => {
    // One more logout and a forged cookie, so the log has every kind of event in it.
    const token = await login({ sub: "a03-logout" });
    await rawRequest(port, "POST", "/_gateway/logout", { cookie: sessionCookie(token) });
    await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(`${token.slice(0, -2)}AA`) });
    await rawRequest(port, "GET", "/_gateway/admin/users/a03-last/sessions", { authorization: "Bearer wrong-admin-token-guess-0123456789" });
    const log = await outputContaining(gateway, "GET /_gateway/admin/users/a03-last/sessions 401");
    expect(minted.length).toBeGreaterThan(0);
    expect(log).toContain(tokenParts(token).publicId); // the log does talk about sessions, by public id
    for (const each of minted) for (const secret of secretsOf(each)) expect(log).not.toContain(secret);
    expect(log).not.toContain(E2E_ADMIN_TOKEN);
    expect(log).not.toContain("wrong-admin-token-guess-0123456789");
    expect(log).not.toContain(E2E_SECRET);
  });
});
