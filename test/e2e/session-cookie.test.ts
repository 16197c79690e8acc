/**
 * Checklist §1 (C-01..C-07) and LT-03, black-box: the session token and cookie as a client and
 * the origin see them, through `wrangler dev` on loopback.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, SHARED_SETTINGS, type SharedGateway, useGateway } from "./gateways";
import { E2E_SECRET, loginAs, rawRequest, type RawResponse } from "./harness";
import {
  clientViewWithoutSetCookie,
  COOKIE_NAME,
  DELETION_COOKIE,
  durableObjectFiles,
  mapConcurrently,
  observe,
  originView,
  secretsOf,
  sessionCookie,
  sessionSetCookies,
  setCookieLines,
  signToken,
  TOKEN_SHAPE,
  tokenParts,
} from "./helpers";

const { ABSOLUTE_TIMEOUT_SECONDS } = SHARED_SETTINGS;

let origin: RemoteOrigin;
let gateway: SharedGateway;
let port: number;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
  port = gateway.port;
});

/** Bytewise exclusive or of two equally long byte strings. */
function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ b[i]!));
}

/** Bits set, per bit position, over a list of equally long byte strings. */
function onesPerBit(values: readonly Buffer[]): number[] {
  const counts = new Array<number>(values[0]!.length * 8).fill(0);
  for (const bytes of values) {
    bytes.forEach((byte, i) => {
      for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) counts[i * 8 + bit]! += 1;
    });
  }
  return counts;
}

describe("C-01 the session token", () => {
  it(
    "mints 256 tokens with 128 random bits in the public id and in the secret, none repeated and none carrying user data",
    async () => {
      // 256 logins rather than 1,000 (a login costs ~10 ms here): the bounds below are the same
      // 6.5σ as before, so a false alarm stays as unlikely, and what the test is after — a
      // constant, counter or timestamp bit, bytes that are not random — sits as far outside
      // them. Three whole-sample statistics make up for the smaller sample (see below).
      const logins = 256;
      const identities = Array.from({ length: logins }, (_, i) => ({ sub: `c01-user-${i}`, email: `c01-user-${i}@example.com`, name: `C01 User ${i}` }));
      const tokens = await mapConcurrently(identities, 8, async (identity) => (await loginAs(port, identity)).token);

      for (const [i, token] of tokens.entries()) {
        expect(token).toMatch(TOKEN_SHAPE);
        const identity = identities[i]!;
        const bytes = Buffer.concat(Object.values(tokenParts(token)).map((part) => Buffer.from(part, "base64url")));
        for (const value of Object.values(identity)) {
          expect(token).not.toContain(value);
          expect(token).not.toContain(Buffer.from(value).toString("base64url"));
          expect(bytes.includes(Buffer.from(value))).toBe(false);
        }
      }
      // Every token is 16 + 16 + 32 bytes: there is no room for anything but randomness and a MAC.
      const parts = tokens.map(tokenParts);
      const publicIds = parts.map((part) => Buffer.from(part.publicId, "base64url"));
      const secrets = parts.map((part) => Buffer.from(part.secret, "base64url"));
      for (const bytes of [...publicIds, ...secrets]) expect(bytes.length).toBe(16);

      const distinct = (values: string[]) => new Set(values).size;
      expect(distinct(tokens)).toBe(logins);
      expect(distinct(parts.map((part) => part.publicId))).toBe(logins);
      expect(distinct(parts.map((part) => part.secret))).toBe(logins);
      expect(distinct(parts.map((part) => part.mac))).toBe(logins);
      expect(distinct([...parts.map((part) => part.publicId), ...parts.map((part) => part.secret)])).toBe(2 * logins);

      // Each of the 256 bits (public id then secret) is set in about half of the tokens: a
      // constant, counter or timestamp bit would sit near 0 or 256. Bounds are ±6.5σ (σ = 8).
      const random = publicIds.map((id, i) => Buffer.concat([id, secrets[i]!]));
      const counts = onesPerBit(random);
      expect(counts).toHaveLength(256);
      for (const count of counts) {
        expect(count).toBeGreaterThan(logins / 2 - 52);
        expect(count).toBeLessThan(logins / 2 + 52);
      }
      // The whole sample, each statistic within 6.5σ of what random bits give:
      // - all 65,536 bits together (σ = 128): catches a bias spread over every bit (≥ 1.3 %);
      const ones = counts.reduce((sum, count) => sum + count, 0);
      expect(Math.abs(ones - (256 * logins) / 2)).toBeLessThan(6.5 * 128);
      // - the bits' squared deviations, χ² with 256 degrees of freedom (mean 256, σ ≈ 22.6):
      //   catches a few bits biased each by less than the per-bit bounds can see;
      const chiSquare = counts.reduce((sum, count) => sum + ((count - logins / 2) / 8) ** 2, 0);
      expect(chiSquare).toBeLessThan(256 + 6.5 * Math.sqrt(2 * 256));
      // - the bits two consecutive logins' tokens differ in, on average over the 255 pairs
      //   (128, σ = 8 / √255 ≈ 0.5): catches the low bits of a counter or a clock, which are
      //   set half the time but change little from one login to the next.
      const differing = random.slice(1).map((bytes, i) => onesPerBit([xor(bytes, random[i]!)]).reduce((sum, bit) => sum + bit, 0));
      const meanDistance = differing.reduce((sum, distance) => sum + distance, 0) / differing.length;
      expect(Math.abs(meanDistance - 128)).toBeLessThan((6.5 * 8) / Math.sqrt(differing.length));
    },
    60_000,
  );
});

describe("C-02, C-03, C-04 the session cookie", () => {
  it("sets __Host-session with Path=/, Secure, HttpOnly and SameSite=Lax, without Domain, on a no-store login response", async () => {
    const { response, token } = await loginAs(port, { sub: "c02-user" });
    const cookies = sessionSetCookies(response);
    expect(cookies).toHaveLength(1);
    const [cookie] = cookies;
    expect(cookie!.value).toBe(token);
    expect(cookie!.attributes.get("path")).toBe("/");
    expect(cookie!.attributes.has("secure")).toBe(true);
    expect(cookie!.attributes.has("httponly")).toBe(true);
    expect(cookie!.attributes.get("samesite")).toBe("Lax");
    expect(cookie!.attributes.has("domain")).toBe(false);
    expect(response.headers["cache-control"]).toContain("no-store");
  });

  it("makes the login response no-store even when the origin marks it cacheable", async () => {
    const response = await rawRequest(port, "POST", "/login", {
      "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify({ sub: "c03-cacheable" }), "Cache-Control": "public, max-age=3600" }),
    });
    expect(sessionSetCookies(response)).toHaveLength(1);
    expect(response.headers["cache-control"]).toBe("no-store");
  });

  it("answers no-store on every response that sets or clears the session cookie", async () => {
    const first = await loginAs(port, { sub: "c03-no-store" });
    const cookie = sessionCookie(first.token);
    const replaced = await loginAs(port, { sub: "c03-no-store" }, { cookie });
    const second = sessionCookie(replaced.token);
    const staleRefusal = await rawRequest(port, "GET", "/zzz", { cookie });
    const originLogout = await rawRequest(port, "GET", "/zzz", { cookie: second, "x-echo-respond": JSON.stringify({ "X-Gateway-Logout": "1" }) });
    const third = await loginAs(port, { sub: "c03-no-store" });
    const logout = await rawRequest(port, "POST", "/_gateway/logout", { cookie: sessionCookie(third.token) });

    for (const response of [first.response, replaced.response, staleRefusal, originLogout, third.response, logout]) {
      expect(sessionSetCookies(response)).toHaveLength(1);
      expect(response.headers["cache-control"]).toContain("no-store");
    }
  });

  it("shows the token only in the login Set-Cookie: never in another header or body that the client or the origin sees", async () => {
    const before = await origin.mark();
    const login = await loginAs(port, { sub: "c03-user", email: "c03@example.com", name: "C03", roles: ["staff"] });
    const cookie = sessionCookie(login.token);
    const responses: RawResponse[] = [login.response];
    const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
      responses.push(await rawRequest(port, method, path, headers, body));
    };
    await send("GET", "/zzz?x=1", { cookie });
    await send("POST", "/zzz", { cookie, "content-type": "application/json" }, JSON.stringify({ hello: "origin" }));
    await send("GET", "/public/x", { cookie: `theme=dark; ${cookie}; lang=en` });
    await send("GET", "/_gateway/session", { cookie });
    await send("GET", "/admin", { cookie });
    await send("GET", "/admin", { cookie, accept: "text/html" });
    await send("GET", "/_gateway/login?return_to=/zzz", { cookie });
    await send("GET", "/_gateway/nothing-here", { cookie });
    await send("GET", "/admin%2Fx", { cookie });
    await send("POST", "/_gateway/logout", { cookie });
    await send("GET", "/zzz", { cookie, accept: "text/html" });
    await send("GET", "/zzz", { cookie });

    const secrets = secretsOf(login.token);
    for (const response of responses) {
      for (const secret of secrets) expect(clientViewWithoutSetCookie(response)).not.toContain(secret);
    }
    expect(setCookieLines(login.response).filter((line) => line.includes(login.token))).toHaveLength(1);
    for (const response of responses.slice(1)) {
      for (const secret of secrets) expect(setCookieLines(response).join("\n")).not.toContain(secret);
    }
    const forwarded = await origin.since(before);
    expect(forwarded.length).toBeGreaterThanOrEqual(4);
    for (const record of forwarded) {
      for (const secret of secrets) expect(originView(record)).not.toContain(secret);
    }
  });
});

describe("LT-03 the cookie's lifetime", () => {
  it("gives the cookie a Max-Age no longer than the session's remaining absolute lifetime", async () => {
    const { response, token } = await loginAs(port, { sub: "lt03-user" });
    const receivedAt = Date.now();
    const maxAge = Number(sessionSetCookies(response)[0]!.attributes.get("max-age"));
    const session = JSON.parse((await rawRequest(port, "GET", "/_gateway/session", { cookie: sessionCookie(token) })).body) as {
      createdAt: string;
      absoluteExpiresAt: string;
    };
    const absoluteExpiresAt = Date.parse(session.absoluteExpiresAt);
    expect(absoluteExpiresAt - Date.parse(session.createdAt)).toBe(ABSOLUTE_TIMEOUT_SECONDS * 1000);
    expect(maxAge).toBeGreaterThan(0);
    // Max-Age is whole seconds counted from receipt; the session's clock started a few
    // milliseconds earlier, at login. One second covers the rounding, nothing more.
    expect(maxAge).toBeLessThanOrEqual((absoluteExpiresAt - receivedAt) / 1000 + 1);
  });
});

describe("C-05 the token is read only from the cookie", () => {
  let token: string;
  beforeAll(async () => {
    ({ token } = await loginAs(port, { sub: "c05-user" }));
  });

  it.each<[string, (token: string) => { method: string; path: string; headers: Record<string, string>; body?: string }]>([
    ["in the query as sid", (t) => ({ method: "GET", path: `/zzz?sid=${t}`, headers: {} })],
    ["in the query under the cookie's name", (t) => ({ method: "GET", path: `/zzz?${COOKIE_NAME}=${t}`, headers: {} })],
    ["as an Authorization Bearer token", (t) => ({ method: "GET", path: "/zzz", headers: { authorization: `Bearer ${t}` } })],
    ["as the whole Authorization header", (t) => ({ method: "GET", path: "/zzz", headers: { authorization: t } })],
    ["in a form body", (t) => ({ method: "POST", path: "/zzz", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `${COOKIE_NAME}=${t}` })],
  ])("ignores a valid token sent %s: 401, or 302 for a browser, and nothing is forwarded", async (_how, build) => {
    const request = build(token);
    for (const [accept, expected] of [["application/json", 401], ["text/html", request.method === "GET" ? 302 : 401]] as const) {
      const { response, forwarded } = await observe(origin, () => rawRequest(port, request.method, request.path, { ...request.headers, accept }, request.body));
      expect(response.status).toBe(expected);
      expect(forwarded).toEqual([]);
    }
    // The same token in the cookie is a live session: the refusals were about where it was.
    expect((await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(token) })).status).toBe(200);
  });
});

describe("C-06 unknown and malformed tokens", () => {
  let valid: string;
  let other: string;
  beforeAll(async () => {
    ({ token: valid } = await loginAs(port, { sub: "c06-user" }));
    ({ token: other } = await loginAs(port, { sub: "c06-other" }));
  });

  const swapLast = (text: string) => `${text.slice(0, -1)}${text.endsWith("A") ? "B" : "A"}`;
  const withPart = (token: string, index: number, change: (part: string) => string) =>
    token
      .split(".")
      .map((part, i) => (i === index ? change(part) : part))
      .join(".");

  it.each<[string, () => string]>([
    ["of random base64url", () => randomBytes(66).toString("base64url")],
    ["of random parts in the token's shape", () => [16, 16, 32].map((n) => randomBytes(n).toString("base64url")).join(".")],
    ["of 4 KB", () => "A".repeat(4096)],
    ["of quotes, angle brackets and a semicolon", () => `'"<>;`],
    ["with markup", () => "<script>alert(1)</script>"],
    ["that is empty", () => ""],
    ["with Latin-1 bytes", () => "\u00e9\u00ff"],
    ["with the public id changed", () => withPart(valid, 0, swapLast)],
    ["with the secret changed", () => withPart(valid, 1, swapLast)],
    ["with the MAC changed", () => withPart(valid, 2, swapLast)],
    ["cut short by one character", () => valid.slice(0, -1)],
    ["one character longer", () => `${valid}A`],
    ["with another session's MAC", () => withPart(valid, 2, () => other.split(".")[2]!)],
    ["with another session's public id", () => withPart(valid, 0, () => other.split(".")[0]!)],
    ["signed with a key the gateway does not hold", () => signToken("not-the-gateway-key-0123456789abcdef0123456789")],
    ["with its dots percent-encoded", () => valid.replaceAll(".", "%2E")],
    ["in double quotes", () => `"${valid}"`],
    ["in lower case", () => valid.toLowerCase()],
  ])("refuses a cookie %s with 401 or 302, clears it, and creates no Durable Object", async (_what, make) => {
    const value = make();
    const objectsBefore = durableObjectFiles(gateway, "SessionObject");
    expect(objectsBefore.length).toBeGreaterThanOrEqual(2); // the two real sessions: the listing works
    for (const [accept, expected] of [["application/json", 401], ["text/html", 302]] as const) {
      const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: `${COOKIE_NAME}=${value}`, accept }));
      expect(response.status).toBe(expected);
      expect(setCookieLines(response)).toEqual([DELETION_COOKIE]);
      expect(forwarded).toEqual([]);
    }
    expect(durableObjectFiles(gateway, "SessionObject")).toEqual(objectsBefore);
  });

  it("refuses a correctly signed token for a session that never existed", async () => {
    // Only a holder of SESSION_SECRET can make one: this wakes the (empty) Durable Object.
    const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(signToken(E2E_SECRET)) }));
    expect(response.status).toBe(401);
    expect(setCookieLines(response)).toEqual([DELETION_COOKIE]);
    expect(forwarded).toEqual([]);
  });

  it("keeps the real session working after forged variants of it were refused", async () => {
    const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(valid) }));
    expect(response.status).toBe(200);
    expect(forwarded[0]!.headers["x-auth-user"]).toBe("c06-user");
  });
});

describe("C-07 the exact cookie name, and ambiguous cookies", () => {
  let token: string;
  let second: string;
  beforeAll(async () => {
    ({ token } = await loginAs(port, { sub: "c07-user" }));
    ({ token: second } = await loginAs(port, { sub: "c07-second" }));
  });

  it.each(["session", "__host-session", "__Host-Session", "__HOST-SESSION", "__Secure-session", "Host-session", "__Host-session2", "x__Host-session"])(
    "ignores a valid token in a cookie named %s",
    async (name) => {
      const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: `${name}=${token}` }));
      expect(response.status).toBe(401);
      expect(forwarded).toEqual([]);
    },
  );

  it.each<[string, () => string]>([
    ["two valid sessions", () => `${sessionCookie(token)}; ${sessionCookie(second)}`],
    ["the same valid session twice", () => `${sessionCookie(token)}; ${sessionCookie(token)}`],
    ["a valid session and a forged one", () => `${sessionCookie(token)}; ${COOKIE_NAME}=forged`],
    ["a forged one before a valid session", () => `${COOKIE_NAME}=forged; ${sessionCookie(token)}`],
    ["a valid session and an empty one", () => `${sessionCookie(token)}; ${COOKIE_NAME}=`],
  ])("refuses %s in one request with 401 and forwards nothing", async (_what, header) => {
    const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: header() }));
    expect(response.status).toBe(401);
    expect(forwarded).toEqual([]);
  });

  it("leaves both sessions usable alone after an ambiguous request", async () => {
    await rawRequest(port, "GET", "/zzz", { cookie: `${sessionCookie(token)}; ${sessionCookie(second)}` });
    expect((await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(token) })).status).toBe(200);
    expect((await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(second) })).status).toBe(200);
  });
});
