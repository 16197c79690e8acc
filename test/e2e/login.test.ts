/**
 * Checklist F-01, L-07 and L-09, black-box: delegated login mints a fresh session, return
 * URLs stay on the site, and the origin's login signal counts only on its route.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { loginAs, rawRequest, type RawResponse } from "./harness";
import { COOKIE_NAME, identityLines, observe, sessionCookie, sessionSetCookies, tokenParts } from "./helpers";

let origin: RemoteOrigin;
let gateway: SharedGateway;
let port: number;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
  port = gateway.port;
});

async function whoIs(token: string): Promise<string | null> {
  const response = await rawRequest(port, "GET", "/_gateway/session", { cookie: sessionCookie(token) });
  return response.status === 200 ? (JSON.parse(response.body) as { user: { sub: string } }).user.sub : null;
}

describe("F-01 a new session at every login", () => {
  it("mints a new token and public id at login and refuses the cookie presented before it", async () => {
    // An attacker logs in as himself and plants his cookie in the victim's browser.
    const planted = (await loginAs(port, { sub: "f01-mallory" })).token;
    const victim = await loginAs(port, { sub: "f01-alice", roles: ["admin"] }, { cookie: sessionCookie(planted) });

    expect(victim.token).not.toBe(planted);
    expect(tokenParts(victim.token).publicId).not.toBe(tokenParts(planted).publicId);
    expect(tokenParts(victim.token).secret).not.toBe(tokenParts(planted).secret);
    expect(sessionSetCookies(victim.response)).toHaveLength(1);
    expect(await whoIs(victim.token)).toBe("f01-alice");
    // The planted session is over: the attacker's copy is no handle on the victim's login.
    expect(await whoIs(planted)).toBeNull();
    expect((await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(planted) })).status).toBe(401);
  });

  it("mints a new session when the same user logs in again, and ends the previous one", async () => {
    const first = (await loginAs(port, { sub: "f01-bob" })).token;
    const second = (await loginAs(port, { sub: "f01-bob" }, { cookie: sessionCookie(first) })).token;
    expect(tokenParts(second).publicId).not.toBe(tokenParts(first).publicId);
    expect(await whoIs(first)).toBeNull();
    expect(await whoIs(second)).toBe("f01-bob");
  });

  it("never adopts a session value chosen by the client", async () => {
    const chosen = `${"A".repeat(22)}.${"B".repeat(22)}.${"C".repeat(43)}`;
    const { token } = await loginAs(port, { sub: "f01-carol" }, { cookie: `${COOKIE_NAME}=${chosen}` });
    expect(token).not.toBe(chosen);
    expect(tokenParts(token).publicId).not.toBe("A".repeat(22));
    expect(await whoIs(token)).toBe("f01-carol");
  });
});

describe("L-07 return URLs", () => {
  const loginPageFor = async (rawQueryValue: string): Promise<string | null> => {
    const response = await rawRequest(port, "GET", `/_gateway/login?return_to=${rawQueryValue}`);
    expect(response.status).toBe(302);
    const location = response.headers.location!;
    expect(location.startsWith("/login?return_to=")).toBe(true);
    return new URLSearchParams(location.slice("/login?".length)).get("return_to");
  };

  // [what return_to decodes to, or a description, and the raw query value sent]
  it.each<[string, string]>([
    ["//evil.com", "//evil.com"],
    ["/\\evil.com", "/\\evil.com"],
    ["/\\evil.com (escaped)", "%2F%5Cevil.com"],
    ["\\\\evil.com", "%5C%5Cevil.com"],
    ["https:evil.com", "https:evil.com"],
    ["https://evil.com", "https%3A%2F%2Fevil.com"],
    ["http:/evil.com", "http:/evil.com"],
    ["//evil.com (escaped as %2F%2F)", "%2F%2Fevil.com"],
    ["%2F%2Fevil.com (escaped twice)", "%252F%252Fevil.com"],
    ["///evil.com", "///evil.com"],
    ["/.//evil.com", "/.//evil.com"],
    ["/..//evil.com", "/..//evil.com"],
    ["/x/..//evil.com", "/x/..//evil.com"],
    ["/%2e//evil.com", "/%252e//evil.com"],
    ["/\\t/evil.com", "/%09/evil.com"],
    ["/\\n/evil.com", "/%0A/evil.com"],
    ["/\\r\\n/evil.com", "/%0D%0A/evil.com"],
    [" //evil.com", "%20//evil.com"],
    ["javascript:alert(1)", "javascript:alert(1)"],
    ["JaVaScRiPt:alert(1)", "JaVaScRiPt:alert(1)"],
    ["data:text/html,<script>alert(1)</script>", "data:text/html,%3Cscript%3Ealert(1)%3C/script%3E"],
    ["evil.com", "evil.com"],
    ["@evil.com", "@evil.com"],
    ["an empty value", ""],
    ["3,000 characters", `/${"a".repeat(3000)}`],
  ])("sends return_to=%s to /", async (_decoded, raw) => {
    expect(await loginPageFor(raw)).toBe("/");
  });

  it.each([
    ["/dashboard", "/dashboard"],
    ["/reports/2026?tab=q3", "%2Freports%2F2026%3Ftab%3Dq3"],
  ])("keeps a same-site path: %s", async (decoded, raw) => {
    expect(await loginPageFor(raw)).toBe(decoded);
  });

  it("gives the login endpoint a same-site return_to when it sends a browser there", async () => {
    const response = await rawRequest(port, "GET", "/zzz?next=//evil.com", { accept: "text/html" });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.location!, "http://gateway.invalid");
    expect(location.pathname).toBe("/_gateway/login");
    expect(location.searchParams.get("return_to")).toBe("/zzz?next=//evil.com");
  });
});

describe("L-09 the delegated login signal", () => {
  const escalate = JSON.stringify({ sub: "l09-root", roles: ["admin"] });
  const hasControlHeader = (response: RawResponse) => Object.keys(response.headers).some((name) => /^x[-_]gateway[-_]/i.test(name));

  // (`/login/` and `/login.json` are the login route too: a rule covers its path with one
  // trailing slash and a format suffix, as Rails routes it.)
  it.each(["/public/x", "/zzz", "/LOGIN", "/public/login", "/_login", "/loginx"])(
    "ignores an origin's X-Gateway-Login on %s and never shows it to the client",
    async (path) => {
      const { token } = await loginAs(port, { sub: "l09-user" });
      for (const spelling of ["X-Gateway-Login", "x-gateway-login", "X_Gateway_Login"]) {
        const { response, forwarded } = await observe(origin, () =>
          rawRequest(port, "GET", path, { cookie: sessionCookie(token), "x-echo-respond": JSON.stringify({ [spelling]: escalate }) }),
        );
        expect(forwarded, `${spelling} on ${path}`).toHaveLength(1);
        expect(response.status).toBe(200);
        expect(sessionSetCookies(response)).toEqual([]);
        expect(hasControlHeader(response)).toBe(false);
      }
      expect(await whoIs(token)).toBe("l09-user");
    },
  );

  it("ignores an origin's X-Gateway-Login for an anonymous client off the login route", async () => {
    const response = await rawRequest(port, "GET", "/public/x", { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": escalate }) });
    expect(response.status).toBe(200);
    expect(sessionSetCookies(response)).toEqual([]);
    expect(hasControlHeader(response)).toBe(false);
  });

  it("strips a client-sent X-Gateway-Login before the origin and creates no session from it", async () => {
    for (const path of ["/login", "/public/x"]) {
      const { response, forwarded } = await observe(origin, () => rawRequest(port, "POST", path, { "x-gateway-login": escalate }));
      expect(response.status).toBe(200);
      expect(identityLines(forwarded[0]!)).toEqual([]);
      expect(sessionSetCookies(response)).toEqual([]);
    }
  });

  it("never shows the client the X-Gateway-Login that created its session", async () => {
    const { response } = await loginAs(port, { sub: "l09-login" });
    expect(sessionSetCookies(response)).toHaveLength(1);
    expect(hasControlHeader(response)).toBe(false);
  });
});
