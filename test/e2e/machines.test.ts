/**
 * Machines through the shared gateway under `wrangler dev`, with raw requests (exact header
 * lines on the wire): workload tokens (docs/workload-tokens.md) on the rules that admit them
 * (docs/principals.md). The gateway trusts three tenants of the local workload issuer
 * (test/workload/issuer.mjs, started by global-setup.ts): "ci" and "other", and "flaky" for a
 * JWKS that fails. Its rules (MACHINE_ROUTES in gateways.ts):
 *
 *   /machines/ci/*     workloads of "ci" whose token says repository = acme/api
 *   /machines/mixed/*  users, and workloads of "ci"
 *   /machines/flaky/*  workloads of "flaky"
 *
 * Keys are made here, in Node, with jose (RS256 and ES256), and published through the issuer's
 * `_control`; tokens are shaped like GitHub Actions' OIDC token and a Kubernetes service
 * account's projected token. test/machine-access.test.ts proves the same in the workers pool.
 *
 * What needs time to pass — an unknown kid's refetch at most once per 30 s, an issuer's failure
 * remembered 5 s, keys kept as Cache-Control says — is proven with time as a parameter in the
 * workers pool (test/workload-token.test.ts, test/jwks-cache.test.ts), not waited for here.
 */
import type { JWTPayload } from "jose";
import { b64, githubClaims as githubClaimsAt, REFUSED as EVERY_REFUSAL, sign, signingKey, type SigningKey } from "../workload/tokens";
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway, WORKLOAD_AUDIENCE, workloadIssuerOrigin } from "./gateways";
import { type EchoRecord, type HeaderLines, loginAs, rawRequest, type RawResponse } from "./harness";
import { adminAuth, headerLines, observe, sessionCookie } from "./helpers";

// ---- the issuer's tenants, keys and tokens ----------------------------------------------------

/** A tenant of the local issuer: one TRUSTED_ISSUERS entry of the shared gateway (WORKLOAD_ISSUERS). */
class Tenant {
  readonly url: string;
  readonly audience = WORKLOAD_AUDIENCE;
  constructor(readonly name: string) {
    this.url = `${workloadIssuerOrigin()}/${name}`;
  }

  /** `{keys?, mode?, cacheControl?}`: what its JWKS answers from now on. */
  async control(state: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${this.url}/_control`, { method: "PUT", body: JSON.stringify(state) });
    expect(response.status).toBe(204);
  }

  async publish(keys: readonly SigningKey[], state: Record<string, unknown> = {}): Promise<void> {
    await this.control({ keys: keys.map((key) => key.publicJwk), mode: "ok", ...state });
  }

  /** How many times its JWKS was asked for. */
  async jwksHits(): Promise<number> {
    return ((await (await fetch(`${this.url}/_control`)).json()) as { jwksHits: number }).jwksHits;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Claims as GitHub Actions puts them in its OIDC token (test/workload/tokens.ts), issued 10 s before now. */
const githubClaims = (tenant: Tenant, overrides: JWTPayload = {}, now = nowSeconds()): JWTPayload => githubClaimsAt(tenant, overrides, now);

/** Claims as a Kubernetes projected service account token carries them. */
function kubernetesClaims(tenant: Tenant, overrides: JWTPayload = {}, now = nowSeconds()): JWTPayload {
  return {
    iss: tenant.url,
    aud: [WORKLOAD_AUDIENCE],
    sub: "system:serviceaccount:build:deployer",
    "kubernetes.io": {
      namespace: "build",
      pod: { name: "deployer-7d4f9c-x2k8p", uid: "9b1c7e52-3f0a-4c1e-8d2b-6a5f0e4d3c21" },
      serviceaccount: { name: "deployer", uid: "4e2a9d17-8b3c-4f6e-a1d5-0c7b2e9f8a63" },
    },
    iat: now - 10,
    nbf: now - 10,
    exp: now + 590,
    ...overrides,
  };
}

// ---- requests and what they left behind ----------------------------------------------------------

/** A browser navigation's headers: a gateway that redirects anyone redirects this. */
const NAVIGATION: HeaderLines = [
  ["Accept", "text/html,application/xhtml+xml"],
  ["Sec-Fetch-Mode", "navigate"],
  ["Sec-Fetch-Dest", "document"],
];

const bearer = (token: string, ...more: HeaderLines): HeaderLines => [["Authorization", `Bearer ${token}`], ...more];

let gateway: SharedGateway;
let origin: RemoteOrigin;
/** GET `path` with these header lines; the answer and what reached the origin. */
function send(path: string, lines: HeaderLines): Promise<{ response: RawResponse; forwarded: EchoRecord[] }> {
  return observe(origin, () => rawRequest(gateway.port, "GET", path, lines));
}

/** Where the gateway's log is now: `loggedSince` reads what it wrote after. */
const logMark = (): number => gateway.output.join("").length;

/** The gateway's log since `from`, once it has a line `expected` matches (log lines come a little after the answer). */
async function loggedSince(from: number, expected: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = gateway.output.join("").slice(from);
    if (expected.test(log)) return log;
    if (Date.now() > deadline) throw new Error(`the gateway did not log ${String(expected)} within ${timeoutMs} ms; it logged:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The log line of a bearer credential refused for `reason` (and `detail`, when given). */
const refusedFor = (reason: string, detail?: string) =>
  new RegExp(`"event":"credential\\.bearer_refused","reason":"${literal(reason)}"${detail === undefined ? "" : `,"detail":"${literal(detail)}`}`);
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** 401 invalid_token, never a redirect (the request was a browser navigation), nothing at the origin. */
function expectInvalidToken({ response, forwarded }: { response: RawResponse; forwarded: EchoRecord[] }): void {
  expect(response.status, response.body).toBe(401);
  expect(response.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  expect(response.headers.location).toBeUndefined();
  expect(JSON.parse(response.body)).toEqual({ error: "unauthenticated" });
  expect(forwarded).toEqual([]);
}

/** The values of a forwarded request's header lines named `name` (lower-case), in arrival order. */
function linesNamed(record: EchoRecord, name: string): string[] {
  return headerLines(record)
    .filter(([line]) => line === name)
    .map(([, value]) => value);
}

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
});

// ---- workload tokens ------------------------------------------------------------------------------

const ci = { tenant: undefined as unknown as Tenant, rs256: undefined as unknown as SigningKey, es256: undefined as unknown as SigningKey };
const other = { tenant: undefined as unknown as Tenant, key: undefined as unknown as SigningKey };

describe("workload tokens", () => {
  beforeAll(async () => {
    ci.tenant = new Tenant("ci");
    other.tenant = new Tenant("other");
    [ci.rs256, ci.es256, other.key] = await Promise.all([signingKey("RS256"), signingKey("ES256"), signingKey("ES256")]);
    await ci.tenant.publish([ci.rs256, ci.es256]);
    await other.tenant.publish([other.key]);
    // "ci"'s keys fetched now, once: every later token of "ci" is checked against them.
    const { response } = await send("/machines/ci/warm-up", bearer(await sign(ci.rs256, githubClaims(ci.tenant))));
    expect(response.status, response.body).toBe(200);
  });

  describe("a good token", () => {
    it("reaches the origin as a workload: X-Auth-Principal, its subject as X-Auth-User, X-Auth-Issuer, and no Authorization header", async () => {
      const token = await sign(ci.rs256, githubClaims(ci.tenant));
      // Identity headers the client made up are dropped, whatever their case.
      const { response, forwarded } = await send("/machines/ci/deploy?run=7311", bearer(token, ["X-Auth-Principal", "user"], ["x-auth-issuer", "forged"], ["X-Auth-User", "admin"]));
      expect(response.status, response.body).toBe(200);
      expect(forwarded).toHaveLength(1);
      const [record] = forwarded as [EchoRecord];
      expect(record.rawPath).toBe("/machines/ci/deploy?run=7311");
      expect(linesNamed(record, "x-auth-principal")).toEqual(["workload"]);
      expect(linesNamed(record, "x-auth-user")).toEqual(["repo:acme/api:ref:refs/heads/main"]);
      expect(linesNamed(record, "x-auth-issuer")).toEqual(["ci"]);
      expect(linesNamed(record, "x-auth-session")).toEqual([]);
      expect(linesNamed(record, "authorization")).toEqual([]);
      expect(record.rawHeaders.join("\n")).not.toContain(token);
    });

    it("of a Kubernetes service account (ES256) reaches a rule for users and workloads as its service account", async () => {
      const token = await sign(ci.es256, kubernetesClaims(ci.tenant));
      // A browser's headers change nothing: the token decides.
      const { response, forwarded } = await send("/machines/mixed/report", bearer(token, ...NAVIGATION));
      expect(response.status, response.body).toBe(200);
      expect(forwarded).toHaveLength(1);
      expect(linesNamed(forwarded[0]!, "x-auth-principal")).toEqual(["workload"]);
      expect(linesNamed(forwarded[0]!, "x-auth-user")).toEqual(["system:serviceaccount:build:deployer"]);
      expect(linesNamed(forwarded[0]!, "x-auth-issuer")).toEqual(["ci"]);
      expect(linesNamed(forwarded[0]!, "authorization")).toEqual([]);
    });

    it("is taken with the scheme in any case and spaces after it (RFC 6750 §2.1, RFC 9110 §11.1)", async () => {
      const token = await sign(ci.rs256, githubClaims(ci.tenant));
      const { response, forwarded } = await send("/machines/ci/x", [["authorization", `bEaReR   ${token}`]]);
      expect(response.status, response.body).toBe(200);
      expect(linesNamed(forwarded[0]!, "x-auth-principal")).toEqual(["workload"]);
    });
  });

  /**
   * [what the token is, how it is made, the reason the gateway logs]: every way a token is no
   * good (test/workload/tokens.ts) but an unknown kid, which refetches the keys and is its own
   * test below, and a token too large to read, which is a 16 KiB header here: a signed, otherwise
   * good token that long is refused unread, as a malformed header.
   */
  const REFUSED: [string, () => Promise<string> | string, string | [reason: string, detail: string]][] = [
    ...EVERY_REFUSAL.filter(([, , reason]) => reason !== "unknown-key" && reason !== "too-large").map(
      ([what, make, reason]): [string, () => Promise<string> | string, string] => [what, () => make(ci.tenant, ci.rs256, nowSeconds()), `workload.${reason}`],
    ),
    [
      "a 16 KiB token, signed and otherwise good",
      async () => {
        const token = await sign(ci.rs256, githubClaims(ci.tenant, { padding: "p".repeat(16 * 1024) }));
        expect(token.length).toBeGreaterThan(16 * 1024);
        return token;
      },
      // Longer than any credential: the bearer reader refuses the header unread.
      ["malformed", "Authorization header too long"],
    ],
  ];

  describe("a token that is no good", () => {
    it.each(REFUSED.map(([what, make, reason]) => ({ what, make, reason })))("is refused when it has $what: 401 invalid_token, no redirect, nothing at the origin", async ({ make, reason }) => {
      const token = await make();
      const from = logMark();
      expectInvalidToken(await send("/machines/ci/x", bearer(token, ...NAVIGATION)));
      await loggedSince(from, typeof reason === "string" ? refusedFor(reason) : refusedFor(...reason));
    });

    it.each<[string, HeaderLines]>([
      ["Basic credentials", [["Authorization", "Basic YWxpY2U6c2VjcmV0"]]],
      ["Bearer and no token", [["Authorization", "Bearer"]]],
      ["two tokens in one header", [["Authorization", "Bearer abc def"]]],
      ["a character outside b64token", [["Authorization", "Bearer abc!def"]]],
    ])("refuses a malformed Authorization header (%s): 401 invalid_token", async (_what, lines) => {
      const from = logMark();
      expectInvalidToken(await send("/machines/ci/x", [...lines, ...NAVIGATION]));
      await loggedSince(from, refusedFor("malformed"));
    });

    it("refuses two Authorization header lines, each with a good token: 401 invalid_token", async () => {
      // workerd joins them with ", ": not one Bearer token.
      const [first, second] = await Promise.all([sign(ci.rs256, githubClaims(ci.tenant)), sign(ci.es256, githubClaims(ci.tenant))]);
      const from = logMark();
      expectInvalidToken(await send("/machines/ci/x", [["Authorization", `Bearer ${first}`], ["Authorization", `Bearer ${second}`]]));
      await loggedSince(from, refusedFor("malformed"));
    });

    it("takes an empty Authorization header for no credential: 401 WWW-Authenticate: Bearer", async () => {
      // Under wrangler dev the Worker does not see the empty line (docs/principals.md would call
      // an empty header malformed): the answer is the one for no credential, not invalid_token.
      const { response, forwarded } = await send("/machines/ci/x", [["Authorization", ""], ...NAVIGATION]);
      expect(response.status, response.body).toBe(401);
      expect(response.headers["www-authenticate"]).toBe("Bearer");
      expect(response.headers.location).toBeUndefined();
      expect(forwarded).toEqual([]);
    });

    it("never lets a JWT with a 1 MB header reach the gateway: workerd answers 431 itself, and nothing reaches the origin", async () => {
      // The 16 KiB token above reaches the gateway's code (it logs the refusal); a 1.4 MB
      // header line does not: workerd refuses it while reading the request.
      const token = `${b64({ alg: "RS256", kid: ci.rs256.kid, x: "y".repeat(1024 * 1024) })}.${b64(githubClaims(ci.tenant))}.c2ln`;
      const { response, forwarded } = await send("/machines/ci/x", bearer(token, ...NAVIGATION));
      expect(response.status).toBe(431);
      expect(response.body).toBe("ERROR: header too large.");
      expect(response.headers.location).toBeUndefined();
      expect(forwarded).toEqual([]);
    });
  });

  describe("a good token the rule does not allow", () => {
    it("is forbidden when its issuer is not the rule's: 403 insufficient_scope, a browser's request too", async () => {
      const token = await sign(other.key, githubClaims(other.tenant));
      const { response, forwarded } = await send("/machines/ci/x", bearer(token));
      expect(response.status, response.body).toBe(403);
      expect(response.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
      expect(JSON.parse(response.body)).toEqual({ error: "forbidden" });
      expect(forwarded).toEqual([]);
      // A browser navigation gets the same refusal, as the 403 page (errors.ts), never a redirect.
      const navigation = await send("/machines/ci/x", bearer(token, ...NAVIGATION));
      expect(navigation.response.status).toBe(403);
      expect(navigation.response.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
      expect(navigation.response.headers.location).toBeUndefined();
      expect(navigation.forwarded).toEqual([]);
    });

    it("is forbidden when its repository is another: 403 insufficient_scope", async () => {
      const token = await sign(ci.rs256, githubClaims(ci.tenant, { repository: "acme/web", sub: "repo:acme/web:ref:refs/heads/main" }));
      const { response, forwarded } = await send("/machines/ci/x", bearer(token));
      expect(response.status, response.body).toBe(403);
      expect(response.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
      expect(forwarded).toEqual([]);
    });

    it("is forbidden when it lacks the claim the rule names (a Kubernetes token has no repository)", async () => {
      const token = await sign(ci.es256, kubernetesClaims(ci.tenant));
      const { response, forwarded } = await send("/machines/ci/x", bearer(token));
      expect(response.status, response.body).toBe(403);
      expect(response.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
      expect(forwarded).toEqual([]);
    });
  });

  describe("no credential", () => {
    it("is answered 401 WWW-Authenticate: Bearer where only machines are admitted, a browser navigation too", async () => {
      for (const lines of [[], NAVIGATION] as HeaderLines[]) {
        const { response, forwarded } = await send("/machines/ci/x", lines);
        expect(response.status, response.body).toBe(401);
        expect(response.headers["www-authenticate"]).toBe("Bearer");
        expect(response.headers.location).toBeUndefined();
        expect(forwarded).toEqual([]);
      }
    });

    it("sends a browser navigation to the login where users are admitted too, and anything else 401 Bearer", async () => {
      const navigation = await send("/machines/mixed/report", NAVIGATION);
      expect(navigation.response.status).toBe(302);
      expect(navigation.response.headers.location).toBe(`/_gateway/login?return_to=${encodeURIComponent("/machines/mixed/report")}`);
      expect(navigation.forwarded).toEqual([]);
      const api = await send("/machines/mixed/report", [["Accept", "application/json"]]);
      expect(api.response.status).toBe(401);
      expect(api.response.headers["www-authenticate"]).toBe("Bearer");
      expect(api.forwarded).toEqual([]);
    });

    it("lets a user's session through where users are admitted too, as a user", async () => {
      const { token } = await loginAs(gateway.port, { sub: "m01-user" });
      const { response, forwarded } = await send("/machines/mixed/report", [["Cookie", sessionCookie(token)]]);
      expect(response.status, response.body).toBe(200);
      expect(linesNamed(forwarded[0]!, "x-auth-principal")).toEqual(["user"]);
      expect(linesNamed(forwarded[0]!, "x-auth-user")).toEqual(["m01-user"]);
      expect(linesNamed(forwarded[0]!, "x-auth-issuer")).toEqual([]);
    });
  });

  describe("an issuer whose keys cannot be had", () => {
    // "flaky" is used by nothing else. Its JWKS says no-store, so each verification fetches it:
    // what it answers now decides. A failure is remembered 5 s (no fetch meanwhile).
    const flaky = { tenant: undefined as unknown as Tenant, key: undefined as unknown as SigningKey };
    beforeAll(async () => {
      flaky.tenant = new Tenant("flaky");
      flaky.key = await signingKey("ES256");
      await flaky.tenant.publish([flaky.key], { cacheControl: "no-store" });
      const { response } = await send("/machines/flaky/x", bearer(await sign(flaky.key, githubClaims(flaky.tenant))));
      expect(response.status, response.body).toBe(200);
    });

    it("fails closed with 503 when its JWKS answers 500, nothing proxied", async () => {
      const token = await sign(flaky.key, githubClaims(flaky.tenant));
      await flaky.tenant.control({ mode: "status-500" });
      const hits = await flaky.tenant.jwksHits();
      const { response, forwarded } = await send("/machines/flaky/x", bearer(token, ...NAVIGATION));
      expect(response.status, response.body).toBe(503);
      expect(response.headers.location).toBeUndefined();
      expect(forwarded).toEqual([]);
      // The gateway asked the issuer: the answer is not an old failure.
      expect(await flaky.tenant.jwksHits()).toBe(hits + 1);
    });
  });
});

// ---- service tokens (gws_…) ------------------------------------------------------------------------

describe("service tokens", () => {
  const json = (body: unknown) => JSON.stringify(body);
  const adminCall = (method: string, path: string, body?: unknown) =>
    rawRequest(gateway.port, method, `/_gateway/admin/services${path}`, { ...adminAuth, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body === undefined ? undefined : json(body));

  it("reaches the origin as service:<name> without its Authorization line, and is refused 401 from the request after its deletion", async () => {
    const created = await adminCall("POST", "", { name: "e2e-deploy", roles: ["deployer"] });
    expect(created.status, created.body).toBe(201);
    const { id, token } = JSON.parse(created.body) as { id: string; token: string };
    expect(token).toMatch(/^gws_/);
    const { response, forwarded } = await send("/machines/deploy/start", bearer(token, ["X-Auth-Principal", "user"]));
    expect(response.status, response.body).toBe(200);
    const [record] = forwarded as [EchoRecord];
    expect(linesNamed(record, "x-auth-principal")).toEqual(["service"]);
    expect(linesNamed(record, "x-auth-user")).toEqual(["service:e2e-deploy"]);
    expect(linesNamed(record, "x-auth-roles")).toEqual(["deployer"]);
    expect(linesNamed(record, "authorization")).toEqual([]);
    expect((await adminCall("DELETE", `/${id}`)).status).toBe(204);
    expectInvalidToken(await send("/machines/deploy/start", bearer(token, ...NAVIGATION)));
  });

  it("refuses a forged token 401 invalid_token, and another service's 403 insufficient_scope", async () => {
    expectInvalidToken(await send("/machines/deploy/start", bearer(`gws_${"A".repeat(89)}`, ...NAVIGATION)));
    const other = await adminCall("POST", "", { name: "e2e-backup" });
    expect(other.status, other.body).toBe(201);
    const { id, token } = JSON.parse(other.body) as { id: string; token: string };
    const { response, forwarded } = await send("/machines/deploy/start", bearer(token));
    expect(response.status).toBe(403);
    expect(response.headers["www-authenticate"]).toBe('Bearer error="insufficient_scope"');
    expect(forwarded).toEqual([]);
    expect((await adminCall("DELETE", `/${id}`)).status).toBe(204);
  });
});
