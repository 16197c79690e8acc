/** The bundled demo origin behind the gateway, as `npm run dev` runs it (demo/ as ORIGIN). */
import { describe, expect, it } from "vitest";
import demo from "../demo/src/index";
import type { Env } from "../src/env";
import { privateJwk } from "./assertion-helpers";
import { COOKIE_NAME, gatewayFetchWith, sessionTokenFrom } from "./helpers";

const ORIGIN = { fetch: (request: Request) => demo.fetch(request) } as unknown as Fetcher;
const DEMO_ROUTES = JSON.stringify([
  { path: "/health", access: "public" },
  { path: "/login", access: "public" },
  { path: "/favicon.ico", access: "public" },
  { path: "/admin{/*}?", access: { roles: ["admin"] } },
]);
const settings = { ORIGIN, ROUTES: DEMO_ROUTES };

function viaGateway(path: string, init: RequestInit = {}) {
  return gatewayFetchWith(settings, path, init);
}

async function signIn(name: string, admin: boolean): Promise<string> {
  const body = new URLSearchParams({ name, return_to: "/", ...(admin ? { admin: "1" } : {}) });
  const response = await viaGateway("/login", {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", "sec-fetch-site": "same-origin" },
  });
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe("/");
  expect(response.headers.get("x-gateway-login")).toBeNull();
  return sessionTokenFrom(response)!;
}

describe("the demo behind the gateway", () => {
  it("sends a browser without a session to the demo's login form", async () => {
    const home = await viaGateway("/", { headers: { accept: "text/html" } });
    expect(home.status).toBe(302);
    expect(home.headers.get("location")).toBe("/_gateway/login?return_to=%2F");
    const login = await viaGateway("/_gateway/login?return_to=%2F");
    expect(login.headers.get("location")).toBe("/login?return_to=%2F");
    const form = await viaGateway("/login?return_to=%2F", { headers: { accept: "text/html" } });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="name"');
  });

  it("signs anyone in and shows the identity the gateway sent on the home page", async () => {
    const token = await signIn("Zoë Admin", true);
    const home = await viaGateway("/", { headers: { accept: "text/html", cookie: `${COOKIE_NAME}=${token}` } });
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain("Zoë Admin");
    expect(html).toContain("X-Auth-Session");
    expect(html).not.toContain(token.split(".")[1]);
  });

  it("lets an admin into /admin and shows anyone else the gateway's 403 page", async () => {
    const admin = await signIn("ada", true);
    const user = await signIn("bob", false);
    const asAdmin = await viaGateway("/admin", { headers: { accept: "text/html", cookie: `${COOKIE_NAME}=${admin}` } });
    expect(asAdmin.status).toBe(200);
    const adminHtml = await asAdmin.text();
    expect(adminHtml).toContain("Admin area");
    // A way out from the admin page too.
    expect(adminHtml).toContain('<form method="post" action="/_gateway/logout"><button>Sign out</button></form>');
    const asUser = await viaGateway("/admin", { headers: { accept: "text/html", cookie: `${COOKIE_NAME}=${user}` } });
    expect(asUser.status).toBe(403);
    expect(await asUser.text()).toContain("Access denied");
  });

  it("serves /health without a session", async () => {
    const response = await viaGateway("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("signs out with the demo's form and refuses the cookie afterwards", async () => {
    const token = await signIn("carol", false);
    const out = await viaGateway("/_gateway/logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", cookie: `${COOKIE_NAME}=${token}` },
    });
    expect(out.status).toBe(303);
    const again = await viaGateway("/", { headers: { accept: "text/html", cookie: `${COOKIE_NAME}=${token}` } });
    expect(again.status).toBe(302);
  });
});

const signing = JSON.stringify([await privateJwk("demo-key")]);
// Another key under the same kid: the JWKS names the key, but it did not sign.
const otherKeys = JSON.stringify([await privateJwk("demo-key")]);

describe("the demo verifying the gateway's signed assertion", () => {
  /** The gateway with ASSERTION_KEYS, in front of the demo, whose GATEWAY binding serves `jwksKeys`' JWKS. */
  function signingGateway(jwksKeys: string) {
    const gatewayBinding = { fetch: (input: RequestInfo | URL) => gatewayFetchWith({ ASSERTION_KEYS: jwksKeys }, new URL(String(input instanceof Request ? input.url : input)).pathname) } as unknown as Fetcher;
    const origin = { fetch: (request: Request) => demo.fetch(request, { GATEWAY: gatewayBinding }) } as unknown as Fetcher;
    const overrides: Partial<Env> = { ORIGIN: origin, ROUTES: DEMO_ROUTES, ASSERTION_KEYS: signing };
    return (path: string, init: RequestInit = {}) => gatewayFetchWith(overrides, path, init);
  }

  async function homeAs(fetchThrough: ReturnType<typeof signingGateway>, name: string): Promise<string> {
    const login = await fetchThrough("/login", {
      method: "POST",
      body: new URLSearchParams({ name, return_to: "/" }),
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
    });
    const token = sessionTokenFrom(login)!;
    const home = await fetchThrough("/", { headers: { accept: "text/html", cookie: `${COOKIE_NAME}=${token}` } });
    expect(home.status).toBe(200);
    return home.text();
  }

  it("verifies X-Auth-Assertion against the gateway's JWKS and says so on the home page", async () => {
    const html = await homeAs(signingGateway(signing), "Vera");
    expect(html).toContain("Signed assertion verified");
    expect(html).toContain("ES256, key <code>demo-key</code>, for <code>vera</code>");
  });

  it("says the assertion is NOT verified when the JWKS does not hold the key that signed it", async () => {
    const html = await homeAs(signingGateway(otherKeys), "Nora");
    expect(html).toContain("Signed assertion NOT verified");
    expect(html).not.toContain("Signed assertion verified");
  });

  it("says there is no assertion when the gateway has no ASSERTION_KEYS", async () => {
    const token = await signIn("Nobody", false);
    const html = await (await viaGateway("/", { headers: { accept: "text/html", cookie: `${COOKIE_NAME}=${token}` } })).text();
    expect(html).toContain("No signed assertion");
  });
});
