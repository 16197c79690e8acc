/**
 * Workload tokens through the Worker's fetch handler (docs/principals.md): on a rule whose
 * `principals` admit workloads, `Authorization: Bearer <JWT>` decides alone. A good token
 * reaches the origin as `X-Auth-Principal: workload` (its own Authorization header stripped); a
 * bad one is 401 `invalid_token` and a good one the rule does not allow 403
 * `insufficient_scope` — never a redirect, and nothing reaches the origin. Each way a token is
 * refused is proven with its reason in test/workload-token.test.ts; here every one of them is
 * shown to stop at the gateway. The issuer is the local one (test/workload/issuer.mjs).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env";
import { clientAddress, cookie, COOKIE_NAME, echoHeader, fromAddress, gatewayFetchIn, login, uniqueUser, type EchoBody } from "./helpers";
import { clientSocket, controlledOrigin, roundTrip } from "./live-helpers";
import { AUDIENCE, githubClaims, issuerWith, REFUSED, sign, type LocalIssuer, type SigningKey } from "./workload/helpers";

const ROUTES = [
  { path: "/ci/*", access: { principals: ["workload"], issuers: ["ci"] } },
  { path: "/repo/*", access: { principals: ["workload"], issuers: ["ci"], claims: { repository: ["acme/api"], ref: ["refs/heads/main"] } } },
  { path: "/fresh/*", access: { principals: ["workload"], issuers: ["ci"], maxAuthAgeSeconds: 60 } },
  { path: "/mixed/*", access: { principals: ["user", "workload"], issuers: ["ci"] } },
  { path: "/deployers/*", access: { principals: ["workload"], roles: ["deployer"] } },
  { path: "/ws", access: { principals: ["workload"], issuers: ["ci"] } },
  // The test bindings' own rules (vitest.config.ts): `/login` public, for login().
  ...(JSON.parse((env as unknown as { ROUTES: string }).ROUTES) as unknown[]),
];

interface Gateway {
  readonly ci: { issuer: LocalIssuer; key: SigningKey };
  readonly other: { issuer: LocalIssuer; key: SigningKey };
  /** Requests through the handler; `originHits()` counts what reached the origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  originHits(): number;
}

/** A gateway trusting two issuers of its own ("ci" and "other"), with an origin that counts its requests. */
async function gatewayTrustingTwoIssuers(origin: Fetcher = (env as unknown as Env).ORIGIN!): Promise<Gateway> {
  const ci = await issuerWith("ES256");
  const other = await issuerWith("RS256");
  let hits = 0;
  const address = clientAddress();
  const bindings = {
    ...(env as unknown as Env),
    ROUTES: JSON.stringify(ROUTES),
    TRUSTED_ISSUERS: JSON.stringify([
      { name: "ci", issuer: ci.issuer.url, audiences: [AUDIENCE], rolesClaim: "roles" },
      { name: "other", issuer: other.issuer.url, audiences: [AUDIENCE] },
    ]),
    ORIGIN: { fetch: (request: Request) => ((hits += 1), origin.fetch(request)) },
  } as unknown as Env;
  return {
    ci: { issuer: ci.issuer, key: ci.keys[0]! },
    other: { issuer: other.issuer, key: other.keys[0]! },
    fetch: (path, init) => gatewayFetchIn(bindings, path, fromAddress(address, init)),
    originHits: () => hits,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const bearer = (token: string, headers: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${token}`, ...headers } });
const BROWSER = { accept: "text/html", "sec-fetch-mode": "navigate" };

async function expectInvalidToken(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  expect(response.headers.get("location")).toBeNull();
  expect(await response.json()).toEqual({ error: "unauthenticated" });
}

describe("workload tokens on a rule that admits them", () => {
  it("lets a GitHub Actions token through as a workload: its subject, issuer and roles to the origin, its Authorization header not", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const token = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, { roles: ["deployer", "reader"] }, nowSeconds()));
    const response = await gateway.fetch("/ci/build", bearer(token, { "x-auth-principal": "user", "x-auth-issuer": "forged" }));
    expect(response.status).toBe(200);
    const body = await response.json<EchoBody>();
    expect(echoHeader(body, "x-auth-principal")).toBe("workload");
    expect(echoHeader(body, "x-auth-user")).toBe("repo:acme/api:ref:refs/heads/main");
    expect(echoHeader(body, "x-auth-issuer")).toBe("ci");
    expect(echoHeader(body, "x-auth-roles")).toBe("deployer,reader");
    expect(echoHeader(body, "x-auth-session")).toBeNull();
    expect(echoHeader(body, "authorization")).toBeNull();
    expect(gateway.originHits()).toBe(1);
  });

  it.each(REFUSED.map(([what, make]) => ({ what, make })))("refuses $what: 401 invalid_token, nothing to the origin", async ({ make }) => {
    const gateway = await gatewayTrustingTwoIssuers();
    const token = await make(gateway.ci.issuer, gateway.ci.key, nowSeconds());
    await expectInvalidToken(await gateway.fetch("/ci/build", bearer(token)));
    expect(gateway.originHits()).toBe(0);
  });

  it.each([
    ["Basic credentials", "Basic YWxpY2U6c2VjcmV0"],
    ["Bearer and no token", "Bearer "],
    ["two tokens", "Bearer abc def"],
    ["two Authorization headers, joined", "Bearer abc, Bearer def"],
    ["a token with a character outside b64token", "Bearer abc!def"],
    ["a 16 KiB header", `Bearer ${"a".repeat(16 * 1024)}`],
  ])("refuses a malformed Authorization header (%s): 401 invalid_token", async (_what, header) => {
    const gateway = await gatewayTrustingTwoIssuers();
    await expectInvalidToken(await gateway.fetch("/ci/build", { headers: { authorization: header } }));
    expect(gateway.originHits()).toBe(0);
  });

  it("answers a good token the rule does not allow 403 insufficient_scope: issuer other where only ci is allowed, a claim that differs, no role", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const now = nowSeconds();
    const fromOther = await sign(gateway.other.key, githubClaims(gateway.other.issuer, {}, now));
    const otherRepo = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, { repository: "acme/web" }, now));
    for (const [path, token] of [["/ci/build", fromOther], ["/repo/build", otherRepo], ["/deployers/x", fromOther]] as const) {
      const response = await gateway.fetch(path, bearer(token, BROWSER));
      expect(response.status, path).toBe(403);
      expect(response.headers.get("www-authenticate")).toBe('Bearer error="insufficient_scope"');
    }
    expect(gateway.originHits()).toBe(0);
    const sameRepo = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, {}, now));
    expect((await gateway.fetch("/repo/build", bearer(sameRepo))).status).toBe(200);
  });

  it("asks for a newer token, never a login, when the rule's maxAuthAgeSeconds counts from an older iat", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const now = nowSeconds();
    const old = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, { iat: now - 120, nbf: now - 120 }, now));
    await expectInvalidToken(await gateway.fetch("/fresh/x", bearer(old, BROWSER)));
    const recent = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, {}, now));
    expect((await gateway.fetch("/fresh/x", bearer(recent))).status).toBe(200);
  });

  it("answers no credential at all 401 with WWW-Authenticate: Bearer, a browser too, where only machines are admitted", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    for (const headers of [{}, BROWSER]) {
      const response = await gateway.fetch("/ci/build", { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe("Bearer");
    }
    expect(gateway.originHits()).toBe(0);
  });

  it("refuses a user's session where only workloads are admitted (403), and a workload where only users are (401 as before)", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const { token: session } = await login(uniqueUser());
    expect((await gateway.fetch("/ci/build", { headers: { cookie: cookie(session) } })).status).toBe(403);
    const workload = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, {}, nowSeconds()));
    // "/anything" is DEFAULT_ACCESS "session": Authorization is not read there at all.
    const response = await gateway.fetch("/anything", bearer(workload));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBeNull();
    expect(gateway.originHits()).toBe(0);
  });
});

describe("a workload's live connection", () => {
  it("ends when its token expires: nothing can revoke the token sooner, and nothing outlives it", async () => {
    const origin = controlledOrigin();
    const gateway = await gatewayTrustingTwoIssuers(origin.fetcher);
    const now = nowSeconds();
    const token = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, { exp: now + 2 }, now));
    const open = clientSocket(await gateway.fetch("/ws", bearer(token, { upgrade: "websocket" })));
    expect(await roundTrip(open, "in time")).toBe("in time");
    const closed = await open.closed;
    expect(closed).toMatchObject({ code: 1008, reason: "reauthentication required" });
    expect(closed.at).toBeGreaterThanOrEqual((now + 2) * 1000);
    await vi.waitFor(() => expect(origin.sockets[0]!.closes).toEqual([{ code: 1008, reason: "reauthentication required" }]), { timeout: 10_000 });
  });
});

describe("a rule that admits users and workloads", () => {
  it("sends a browser without a credential to the login, and answers anything else 401 Bearer", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const navigation = await gateway.fetch("/mixed/report", { headers: BROWSER });
    expect(navigation.status).toBe(302);
    expect(navigation.headers.get("location")).toBe(`/_gateway/login?return_to=${encodeURIComponent("/mixed/report")}`);
    const api = await gateway.fetch("/mixed/report");
    expect(api.status).toBe(401);
    expect(api.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("takes the session cookie when there is no Authorization header, with the user's identity", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const user = uniqueUser();
    const { token } = await login(user);
    const body = await (await gateway.fetch("/mixed/report", { headers: { cookie: cookie(token) } })).json<EchoBody>();
    expect(echoHeader(body, "x-auth-principal")).toBe("user");
    expect(echoHeader(body, "x-auth-user")).toBe(user.sub);
  });

  it("decides by the bearer credential alone when there is one: a bad token is 401 beside a live session, whose cookie is neither used nor cleared", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const { token } = await login(uniqueUser());
    const response = await gateway.fetch("/mixed/report", bearer("not-a-token", { cookie: cookie(token), ...BROWSER }));
    await expectInvalidToken(response);
    expect(response.headers.getSetCookie().filter((line) => line.startsWith(`${COOKIE_NAME}=`))).toEqual([]);
    const workload = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, {}, nowSeconds()));
    const body = await (await gateway.fetch("/mixed/report", bearer(workload, { cookie: cookie(token) }))).json<EchoBody>();
    expect(echoHeader(body, "x-auth-principal")).toBe("workload");
    expect(echoHeader(body, "x-auth-session")).toBeNull();
  });
});

describe("Authorization where no rule admits machines", () => {
  it("is the origin's: passed on untouched beside a session", async () => {
    const gateway = await gatewayTrustingTwoIssuers();
    const { token } = await login(uniqueUser());
    const body = await (await gateway.fetch("/anything", { headers: { cookie: cookie(token), authorization: "Bearer the-apps-own-token" } })).json<EchoBody>();
    expect(echoHeader(body, "authorization")).toBe("Bearer the-apps-own-token");
    expect(echoHeader(body, "x-auth-principal")).toBe("user");
  });
});

describe("an issuer whose keys cannot be had", () => {
  it.each(["status-500", "garbage", "not-a-key-set"])("fails closed with 503 when its JWKS answers %s", async (mode) => {
    const gateway = await gatewayTrustingTwoIssuers();
    const token = await sign(gateway.ci.key, githubClaims(gateway.ci.issuer, {}, nowSeconds()));
    await gateway.ci.issuer.control({ mode });
    const response = await gateway.fetch("/ci/build", bearer(token));
    expect(response.status).toBe(503);
    expect(gateway.originHits()).toBe(0);
  });
});

