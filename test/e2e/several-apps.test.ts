/**
 * Several apps behind one `wrangler dev` gateway (docs/several-apps.md): two URL origins, one
 * with a path prefix, and a Worker bound as a service, chosen by hostname; `*.localhost` names resolve to loopback in Chromium
 * and, under `wrangler dev`, the Worker's URL carries the Host the client sent. With
 * COOKIE_DOMAIN one login in the browser holds on both subdomains and one revoke ends it on
 * both; the shared gateway (a `__Host-` cookie) signs in one hostname only, and a session is
 * no session on a host its login does not reach, whoever sends it there (R3).
 */
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useGateway } from "./gateways";
import { E2E_ADMIN_TOKEN, type EchoOrigin, type GatewayProcess, loginAs, rawRequest, startEchoOrigin, startGateway } from "./harness";

const CHROMIUM = "/usr/bin/chromium";
const DOMAIN = "apps.localhost";
const APP = `app.${DOMAIN}`;
const ADMIN = `admin.${DOMAIN}`;
const API = `api.${DOMAIN}`;

let app: EchoOrigin;
let admin: EchoOrigin;
let gateway: GatewayProcess;
let browser: Browser;

beforeAll(async () => {
  app = await startEchoOrigin();
  admin = await startEchoOrigin();
  gateway = await startGateway({
    originUrl: app.url,
    vars: {
      ORIGINS: JSON.stringify({ admin: `${admin.url}/admin-app/`, api: { service: "API_WORKER" } }),
      ROUTES: JSON.stringify([
        { host: `*.${DOMAIN}`, path: "/login", access: "public" },
        { host: ADMIN, path: "/*", access: { roles: ["ops"] }, origin: "admin" },
        { host: API, path: "/*", access: "session", origin: "api" },
        { host: APP, path: "/*", access: "session" },
      ]),
      COOKIE_DOMAIN: DOMAIN,
      COOKIE_NAME: "",
    },
    services: [{ binding: "API_WORKER", script: join(import.meta.dirname, "fixtures/service-origin.js") }],
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await app?.close();
  await admin?.close();
});

const login = (sub: string) => ({ "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify({ sub, roles: ["ops"] }) }) });

describe("origins chosen by host", () => {
  it("sends each host to its own origin, with the prefix, the origin's Host and the client's in X-Forwarded-Host", async () => {
    const signedIn = await rawRequest(gateway.port, "POST", "/login", { host: `${APP}:${gateway.port}`, ...login("e2e-apps-1") });
    const cookie = signedIn.headers["set-cookie"]!.find((line) => line.startsWith("__Secure-session="))!.split(";")[0]!;
    const [appBefore, adminBefore] = [app.received.length, admin.received.length];

    expect((await rawRequest(gateway.port, "GET", "/reports?x=1", { host: `${ADMIN}:${gateway.port}`, cookie })).status).toBe(200);
    const adminSaw = admin.received.slice(adminBefore);
    expect(adminSaw.map((record) => record.rawPath)).toEqual(["/admin-app/reports?x=1"]);
    expect(adminSaw[0]!.headers.host).toBe(`127.0.0.1:${admin.port}`);
    expect(adminSaw[0]!.headers["x-forwarded-host"]).toBe(`${ADMIN}:${gateway.port}`);
    expect(adminSaw[0]!.headers["x-auth-user"]).toBe("e2e-apps-1");
    expect(app.received.length, "the app's origin saw nothing of it").toBe(appBefore);

    expect((await rawRequest(gateway.port, "GET", "/home", { host: `${APP}:${gateway.port}`, cookie })).status).toBe(200);
    expect(app.received.slice(appBefore).map((record) => record.rawPath)).toEqual(["/home"]);
    expect(admin.received.length - adminBefore).toBe(1);
  });

  it("sends a host to the Worker bound as a service, with the client's URL and the session's identity, and to no URL origin", async () => {
    const signedIn = await rawRequest(gateway.port, "POST", "/login", { host: `${API}:${gateway.port}`, ...login("e2e-apps-2") });
    const cookie = signedIn.headers["set-cookie"]!.find((line) => line.startsWith("__Secure-session="))!.split(";")[0]!;
    const [appBefore, adminBefore] = [app.received.length, admin.received.length];
    const response = await rawRequest(gateway.port, "GET", "/v1/items?x=1", { host: `${API}:${gateway.port}`, cookie });
    expect(response.status).toBe(200);
    const seen = JSON.parse(response.body) as { origin: string; url: string; headers: Record<string, string> };
    expect(seen.origin).toBe("service");
    expect(new URL(seen.url).host).toBe(`${API}:${gateway.port}`);
    expect(new URL(seen.url).pathname + new URL(seen.url).search).toBe("/v1/items?x=1");
    expect(seen.headers["x-auth-user"]).toBe("e2e-apps-2");
    expect(seen.headers["cookie"], "the session cookie stays with the gateway").toBeUndefined();
    expect([app.received.length, admin.received.length]).toEqual([appBefore, adminBefore]);
  });

  it("answers 404 for a host no rule names, and reaches no origin", async () => {
    const [appBefore, adminBefore] = [app.received.length, admin.received.length];
    const response = await rawRequest(gateway.port, "GET", "/home", { host: `other.localhost:${gateway.port}`, accept: "application/json" });
    expect(response.status).toBe(404);
    expect([app.received.length, admin.received.length]).toEqual([appBefore, adminBefore]);
  });
});

describe("one sign-in across subdomains, in Chromium", () => {
  it("holds on both subdomains with COOKIE_DOMAIN, and one revoke ends it on both", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const sub = `e2e-apps-${Date.now()}`;
    await page.route("**/login", (route) => route.continue({ headers: { ...route.request().headers(), ...login(sub) } }));
    expect((await page.goto(`http://${APP}:${gateway.port}/login`))!.status()).toBe(200);
    await page.unroute("**/login");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "__Secure-session", domain: `.${DOMAIN}`, secure: true, httpOnly: true });

    for (const host of [APP, ADMIN]) {
      const response = await page.goto(`http://${host}:${gateway.port}/whoami`);
      expect(response!.status(), host).toBe(200);
      expect(((await response!.json()) as { headers: Record<string, string> }).headers["x-auth-user"], host).toBe(sub);
    }

    const revoked = await fetch(`${gateway.url}/_gateway/admin/users/${sub}/sessions`, { method: "DELETE", headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}` } });
    expect(revoked.status).toBe(204);
    for (const host of [APP, ADMIN]) {
      const response = await page.goto(`http://${host}:${gateway.port}/whoami`);
      expect(new URL(page.url()).pathname, `${host}: sent to sign in`).toBe("/login");
      expect(response!.status()).toBe(200);
    }
    await context.close();
  });

  it("signs in one hostname only without COOKIE_DOMAIN (the shared gateway's __Host- cookie)", async () => {
    const { gateway: shared } = await useGateway("shared");
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route("**/login", (route) => route.continue({ headers: { ...route.request().headers(), ...login(`e2e-apps-host-${Date.now()}`) } }));
    expect((await page.goto(`http://${APP}:${shared.port}/login`))!.status()).toBe(200);
    await page.unroute("**/login");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "__Host-session", domain: APP });
    const here = await page.goto(`http://${APP}:${shared.port}/whoami`);
    expect(((await here!.json()) as { headers: Record<string, string> }).headers["x-auth-user"]).toMatch(/^e2e-apps-host-/);
    await page.goto(`http://${ADMIN}:${shared.port}/whoami`);
    expect(new URL(page.url()).pathname, "another hostname has no session: sent to sign in").toBe("/login");
    expect(await context.cookies(`http://${ADMIN}:${shared.port}`)).toEqual([]);
    await context.close();
  });
});

describe("R3 a session belongs to the login that minted it", () => {
  it("is no session on another hostname without COOKIE_DOMAIN, and the two apps' root users stay apart", async () => {
    const { gateway: shared } = await useGateway("shared");
    const at = (host: string) => `${host}:${shared.port}`;
    const root = `r03-root-${Date.now()}`;
    const shop = await loginAs(shared.port, { sub: root }, { host: at("shop.localhost") });
    const ops = await loginAs(shared.port, { sub: root }, { host: at("ops.localhost") });
    const idOf = (token: string) => token.split(".")[0]!;

    // A client that sends the shop's cookie to ops itself: no session there, none cleared.
    const replayed = await rawRequest(shared.port, "GET", "/whoami", { host: at("ops.localhost"), cookie: `__Host-session=${shop.token}`, accept: "application/json" });
    expect(replayed.status).toBe(401);
    expect(replayed.headers["set-cookie"]).toBeUndefined();
    expect((await rawRequest(shared.port, "GET", "/whoami", { host: at("shop.localhost"), cookie: `__Host-session=${shop.token}` })).status).toBe(200);

    const listed = await rawRequest(shared.port, "GET", "/_gateway/sessions", { host: at("shop.localhost"), cookie: `__Host-session=${shop.token}`, accept: "application/json" });
    expect((JSON.parse(listed.body) as { sessions: { id: string }[] }).sessions.map((one) => one.id)).toEqual([idOf(shop.token)]);
    const admin = { authorization: `Bearer ${E2E_ADMIN_TOKEN}` };
    const ofOps = await rawRequest(shared.port, "GET", `/_gateway/admin/users/${root}/sessions?realm=ops.localhost`, admin);
    expect((JSON.parse(ofOps.body) as { sessions: { id: string }[] }).sessions.map((one) => one.id)).toEqual([idOf(ops.token)]);
  });
});
