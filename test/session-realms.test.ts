/**
 * A session belongs to the login that minted it (docs/several-apps.md "Whose session is it";
 * checklist R3): two apps on two hostnames, each with its own delegated login and no
 * COOKIE_DOMAIN. A self-signed-up `root` at the shop is no session at ops, and the two `root`s
 * are two users: listing, "sign out everywhere", ending by id and the per-user cap stay in
 * their own app. Through the Worker's fetch handler, with service-binding stand-ins as origins.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import type { Env } from "../src/env";
import { isRealm, realmOf } from "../src/session/realm";
import { ADMIN_TOKEN, asciiJson } from "./helpers";

/** An origin that logs in whoever `x-login-as` names on /login, and answers with the identity it got. */
function appOrigin(name: string, seen: string[]): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      const request = new Request(input, init);
      seen.push(`${name} ${request.headers.get("x-auth-user") ?? "-"}`);
      const as = request.headers.get("x-login-as");
      const headers: HeadersInit = as && new URL(request.url).pathname === "/login" ? { "X-Gateway-Login": as } : {};
      return Response.json({ app: name, user: request.headers.get("x-auth-user") }, { headers });
    },
  } as unknown as Fetcher;
}

function appsEnv(seen: string[], overrides: Record<string, unknown> = {}): Env {
  return {
    ...(env as unknown as Env),
    ORIGIN: appOrigin("shop", seen),
    OPS_APP: appOrigin("ops", seen),
    ORIGINS: JSON.stringify({ ops: { service: "OPS_APP" } }),
    ROUTES: JSON.stringify([
      { host: "shop.example.com", path: "/login", access: "public" },
      { host: "shop.example.com", path: "/*", access: "session" },
      { host: "ops.example.com", path: "/login", access: "public", origin: "ops" },
      { host: "ops.example.com", path: "/*", access: "session", origin: "ops" },
    ]),
    ...overrides,
  } as Env;
}

async function fetchAt(bindings: Env, url: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch!(new Request(url, { redirect: "manual", ...init }) as Request<unknown, IncomingRequestCfProperties>, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A login at `host` as `sub`: the session token, and its public id. */
async function loginAt(bindings: Env, host: string, sub: string): Promise<{ token: string; id: string }> {
  const response = await fetchAt(bindings, `https://${host}/login`, { method: "POST", headers: { "x-login-as": asciiJson({ sub, roles: ["admin"] }) } });
  const line = response.headers.getSetCookie().find((one) => one.startsWith("__Host-session="));
  if (!line) throw new Error(`no session cookie from ${host} (status ${response.status})`);
  const token = line.slice(line.indexOf("=") + 1, line.indexOf(";"));
  return { token, id: token.split(".")[0]! };
}

function withSession(token: string, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { cookie: `__Host-session=${token}`, accept: "application/json", "sec-fetch-site": "same-origin", ...init.headers } };
}

async function listedIds(response: Response): Promise<string[]> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { sessions: { id: string }[] }).sessions.map((session) => session.id);
}

/** A user id no other test uses: the two apps' indexes start empty. */
const rootOf = () => `root-${crypto.randomUUID()}`;

describe("a session belongs to the login that minted it", () => {
  it("honours a session minted by the shop's login nowhere but at the shop, and leaves it alive there", async () => {
    const seen: string[] = [];
    const bindings = appsEnv(seen);
    const root = rootOf();
    const shop = await loginAt(bindings, "shop.example.com", root);
    seen.length = 0;
    // Sent to ops by a client that ignores the __Host- cookie's scope: no session there.
    const atOps = await fetchAt(bindings, "https://ops.example.com/users", withSession(shop.token));
    expect(atOps.status).toBe(401);
    expect(seen).toEqual([]);
    // Not ops' to end: no cookie cleared, and the session lives on at the shop.
    expect(atOps.headers.getSetCookie()).toEqual([]);
    const atShop = await fetchAt(bindings, "https://shop.example.com/cart", withSession(shop.token));
    expect(atShop.status).toBe(200);
    expect(await atShop.json()).toEqual({ app: "shop", user: root });
  });

  it("gives a login at ops no power over a shop session the request presents", async () => {
    const bindings = appsEnv([]);
    const shop = await loginAt(bindings, "shop.example.com", rootOf());
    const other = await fetchAt(bindings, "https://ops.example.com/_gateway/logout", withSession(shop.token, { method: "POST" }));
    expect(other.status).toBe(204);
    expect((await fetchAt(bindings, "https://shop.example.com/cart", withSession(shop.token))).status).toBe(200);
  });

  it("keeps the shop's root out of ops' root sessions: not listed, not ended, not evicted", async () => {
    const bindings = appsEnv([], { MAX_SESSIONS_PER_USER: "1" });
    const root = rootOf();
    const ops = await loginAt(bindings, "ops.example.com", root);
    // The self-signed-up namesake at the shop: the cap of one does not evict ops' session.
    const shop = await loginAt(bindings, "shop.example.com", root);
    expect(await listedIds(await fetchAt(bindings, "https://shop.example.com/_gateway/sessions", withSession(shop.token)))).toEqual([shop.id]);
    const byId = await fetchAt(bindings, `https://shop.example.com/_gateway/sessions/${ops.id}`, withSession(shop.token, { method: "DELETE" }));
    expect(byId.status).toBe(404);
    const everywhere = await fetchAt(bindings, "https://shop.example.com/_gateway/sessions", withSession(shop.token, { method: "DELETE" }));
    expect(everywhere.status).toBe(204);
    expect((await fetchAt(bindings, "https://ops.example.com/users", withSession(ops.token))).status).toBe(200);
    expect(await listedIds(await fetchAt(bindings, "https://ops.example.com/_gateway/sessions", withSession(ops.token)))).toEqual([ops.id]);
  });

  it("still caps one app's sessions per user, oldest first", async () => {
    const bindings = appsEnv([], { MAX_SESSIONS_PER_USER: "1" });
    const root = rootOf();
    const first = await loginAt(bindings, "ops.example.com", root);
    await loginAt(bindings, "ops.example.com", root);
    expect((await fetchAt(bindings, "https://ops.example.com/users", withSession(first.token))).status).toBe(401);
  });

  it("lets the admin API name the realm of a user, by default the host it is asked at", async () => {
    const bindings = appsEnv([]);
    const root = rootOf();
    const ops = await loginAt(bindings, "ops.example.com", root);
    const shop = await loginAt(bindings, "shop.example.com", root);
    const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    const path = `/_gateway/admin/users/${root}/sessions`;
    expect(await listedIds(await fetchAt(bindings, `https://ops.example.com${path}`, admin))).toEqual([ops.id]);
    expect(await listedIds(await fetchAt(bindings, `https://ops.example.com${path}?realm=shop.example.com`, admin))).toEqual([shop.id]);
    expect(await listedIds(await fetchAt(bindings, `https://ops.example.com/_gateway/admin/sessions?user=${root}&realm=SHOP.example.com`, admin))).toEqual([shop.id]);
    expect((await fetchAt(bindings, `https://ops.example.com${path}?realm=${encodeURIComponent("a/b")}`, admin)).status).toBe(400);
    const revoked = await fetchAt(bindings, `https://ops.example.com${path}?realm=shop.example.com`, { ...admin, method: "DELETE" });
    expect(revoked.status).toBe(204);
    expect((await fetchAt(bindings, "https://shop.example.com/cart", withSession(shop.token))).status).toBe(401);
    expect((await fetchAt(bindings, "https://ops.example.com/users", withSession(ops.token))).status).toBe(200);
  });

  it("keeps the admin console to its own realm: the shop's admin neither sees nor ends ops' sessions", async () => {
    const bindings = appsEnv([], { ADMIN_ROLE: "admin" });
    const shopAdmin = await loginAt(bindings, "shop.example.com", rootOf());
    const victim = rootOf();
    const ops = await loginAt(bindings, "ops.example.com", victim);
    const page = await fetchAt(bindings, `https://shop.example.com/_gateway/admin/?user=${victim}`, withSession(shopAdmin.token, { headers: { accept: "text/html" } }));
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(ops.id);
    const form = { "content-type": "application/x-www-form-urlencoded", origin: "https://shop.example.com" };
    const ended = await fetchAt(bindings, `https://shop.example.com/_gateway/admin/console/sessions/${ops.id}/end`, withSession(shopAdmin.token, { method: "POST", headers: form, body: "" }));
    expect(ended.status).toBe(303);
    expect((await fetchAt(bindings, "https://ops.example.com/users", withSession(ops.token))).status).toBe(200);
  });

  it("makes one realm of every host under COOKIE_DOMAIN: a login at one signs in to all", async () => {
    const bindings = appsEnv([], { COOKIE_DOMAIN: "example.com", COOKIE_NAME: "" });
    const root = rootOf();
    const response = await fetchAt(bindings, "https://shop.example.com/login", { method: "POST", headers: { "x-login-as": asciiJson({ sub: root, roles: [] }) } });
    const line = response.headers.getSetCookie().find((one) => one.startsWith("__Secure-session="))!;
    const cookie = line.slice(0, line.indexOf(";"));
    const session = await fetchAt(bindings, "https://ops.example.com/_gateway/session", { headers: { cookie } });
    expect(session.status).toBe(200);
    const { id, realm } = (await session.json()) as { id: string; realm: string };
    expect(realm).toBe(".example.com");
    // The admin API's default realm is the domain's, whichever host it is asked at.
    const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
    expect(await listedIds(await fetchAt(bindings, `https://gateway.internal/_gateway/admin/users/${root}/sessions`, admin))).toEqual([id]);
  });
});

describe("realmOf and isRealm", () => {
  it("gives a host under COOKIE_DOMAIN the domain's realm, and any other host its own name", () => {
    expect(realmOf("shop.example.com", "example.com")).toBe(".example.com");
    expect(realmOf("example.com", "example.com")).toBe(".example.com");
    expect(realmOf("a.b.example.com", "example.com")).toBe(".example.com");
    // A suffix is not a subdomain: only a whole label boundary counts (RFC 6265 §5.1.3).
    expect(realmOf("badexample.com", "example.com")).toBe("badexample.com");
    expect(realmOf("shop.example.com", null)).toBe("shop.example.com");
  });

  it("takes as a realm only what realmOf can answer", () => {
    for (const realm of ["shop.example.com", ".example.com", "127.0.0.1", "[::1]", "localhost"]) expect(isRealm(realm), realm).toBe(true);
    for (const value of ["", ".", "a/b", "a..b", "shop.example.com:443", "Shop.example.com", "-x.example.com", "[::1"]) expect(isRealm(value), value).toBe(false);
  });
});
