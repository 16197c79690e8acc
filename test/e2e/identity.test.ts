/**
 * Checklist §5 (I-01, I-02, I-05, I-06) and D-05, black-box: what the origin receives, header
 * line by header line (`rawHeaders`), and what it may send back.
 */
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { type HeaderLines, loginAs, rawRequest } from "./harness";
import { adminAuth, COOKIE_NAME, headerLines, identityLines, observe, originView, secretsOf, sessionCookie, sessionSetCookies, setCookieLines, TOKEN_SHAPE, tokenParts } from "./helpers";

let origin: RemoteOrigin;
let gateway: SharedGateway;
let port: number;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
  port = gateway.port;
});

/** Every spelling of every identity header a client might try, some of them twice. */
const FORGED_IDENTITY: HeaderLines = [
  ["X-Auth-User", "root"],
  ["x-auth-user", "root"],
  ["X-AUTH-USER", "root"],
  ["X_Auth_User", "root"],
  ["x_auth_user", "root"],
  ["X-Auth_User", "root"],
  ["X-Auth-User", "second-copy"],
  ["X-Auth-Roles", "admin"],
  ["X_Auth_Roles", "admin"],
  ["X-Auth-Email", "root@example.com"],
  ["X-Auth-Name", "Root"],
  ["X-Auth-Session", "AAAAAAAAAAAAAAAAAAAAAA"],
  ["X-Auth-Anything-Else", "1"],
  ["X-Gateway-Login", JSON.stringify({ sub: "root", roles: ["admin"] })],
  ["X_Gateway_Login", JSON.stringify({ sub: "root", roles: ["admin"] })],
  ["x-gateway-logout", "1"],
  ["X-Auth-Assertion", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0."],
  ["X_Auth_Assertion", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0."],
];

describe("I-01 client identity headers", () => {
  let user: { token: string; publicId: string };
  beforeAll(async () => {
    const { token } = await loginAs(port, { sub: "i01-user", email: "i01@example.com", name: "I01 User", roles: ["staff", "admin"] });
    user = { token, publicId: tokenParts(token).publicId };
  });

  const ours = (): [string, string][] => [
    ["x-auth-email", "i01@example.com"],
    ["x-auth-name", "I01 User"],
    ["x-auth-principal", "user"],
    ["x-auth-roles", "staff,admin"],
    ["x-auth-session", user.publicId],
    ["x-auth-user", "i01-user"],
  ];

  it.each<[string, string, string, boolean]>([
    ["anonymous, on a public route", "GET", "/public/x", false],
    ["anonymous, on the login route", "POST", "/login", false],
    ["logged in, on a public route", "GET", "/public/x", true],
    ["logged in, on a session route", "GET", "/zzz", true],
    ["logged in, on a role route", "DELETE", "/admin/users/1", true],
    ["logged in, on the login route", "POST", "/login", true],
  ])("strips every client copy of the identity headers (%s): the origin sees only ours", async (_case, method, path, loggedIn) => {
    const lines: HeaderLines = [...FORGED_IDENTITY, ...(loggedIn ? [["Cookie", sessionCookie(user.token)] as const] : [])];
    const { response, forwarded } = await observe(origin, () => rawRequest(port, method, path, lines));
    expect(response.status).toBe(200);
    expect(forwarded).toHaveLength(1);
    const received = identityLines(forwarded[0]!);
    expect(received.filter(([name]) => name !== "x-auth-assertion")).toEqual(loggedIn ? ours() : []);
    // The shared gateway signs assertions (test/e2e/assertion.test.ts verifies them): ours alone.
    const assertions = received.filter(([name]) => name === "x-auth-assertion").map(([, value]) => decodeJwt(value));
    expect(assertions).toEqual(loggedIn ? [expect.objectContaining({ sub: "i01-user", sid: user.publicId, roles: ["staff", "admin"] })] : []);
    expect(sessionSetCookies(response)).toEqual([]); // the client's X-Gateway-Login made no session
  });
});

describe("I-02 forwarding headers", () => {
  it("replaces the client's X-Forwarded-For, -Host and -Proto and drops Forwarded and X-Real-IP", async () => {
    const { forwarded } = await observe(origin, () =>
      rawRequest(port, "GET", "/public/x", [
        ["X-Forwarded-For", "203.0.113.66"],
        ["x-forwarded-for", "198.51.100.7"],
        ["X-Forwarded-Host", "evil.example"],
        ["X-Forwarded-Proto", "https"],
        ["Forwarded", "for=203.0.113.66;host=evil.example;proto=https"],
        ["X-Real-IP", "203.0.113.66"],
      ]),
    );
    const lines = headerLines(forwarded[0]!).filter(([name]) => /^(x-forwarded-|forwarded$|x-real-ip$)/.test(name));
    // wrangler dev puts CF-Connecting-IP (127.0.0.1) on every request, as Cloudflare's edge does.
    expect(lines.sort()).toEqual([
      ["x-forwarded-for", "127.0.0.1"],
      ["x-forwarded-host", `127.0.0.1:${port}`],
      ["x-forwarded-proto", "http"],
    ]);
  });

  it("takes the client address from CF-Connecting-IP, never from X-Forwarded-For", async () => {
    // Cloudflare's edge overwrites a client's CF-Connecting-IP; wrangler dev passes it through,
    // which lets this test play the edge.
    const { forwarded } = await observe(origin, () =>
      rawRequest(port, "GET", "/public/x", { "cf-connecting-ip": "192.0.2.10", "x-forwarded-for": "203.0.113.66" }),
    );
    expect(forwarded[0]!.headers["x-forwarded-for"]).toBe("192.0.2.10");
  });
});

describe("I-05 tokens go only where needed", () => {
  it("never shows the origin the session token: not in Cookie, any other header, the path or the body", async () => {
    const { token } = await loginAs(port, { sub: "i05-user" });
    const cookie = sessionCookie(token);
    const sent = [
      await observe(origin, () => rawRequest(port, "GET", "/zzz?a=1", { cookie })),
      await observe(origin, () => rawRequest(port, "POST", "/zzz", { cookie, "content-type": "application/json" }, '{"x":1}')),
      await observe(origin, () => rawRequest(port, "GET", "/public/x", { cookie: `theme=dark; ${cookie}; lang=en` })),
      await observe(origin, () => rawRequest(port, "PUT", "/admin", { cookie })),
    ];
    const [onlyOurs, post, mixed] = sent.map((s) => s.forwarded[0]);
    expect(onlyOurs!.headers.cookie).toBeUndefined();
    expect(post!.body).toBe('{"x":1}');
    expect(mixed!.headers.cookie).toBe("theme=dark; lang=en");
    expect(sent[3]!.forwarded).toEqual([]); // 403: nothing forwarded
    for (const { forwarded } of sent) {
      for (const record of forwarded) for (const secret of secretsOf(token)) expect(originView(record)).not.toContain(secret);
    }
  });

  it.each<[string, string, boolean]>([
    ["a session route", "/zzz", true],
    ["a public route for an anonymous client", "/public/x", false],
  ])("drops an origin Set-Cookie for the session cookie on %s and passes the origin's other cookies", async (_case, path, loggedIn) => {
    const cookie: Record<string, string> = loggedIn ? { cookie: sessionCookie((await loginAs(port, { sub: "i05-planted" })).token) } : {};
    const response = await rawRequest(port, "GET", path, {
      ...cookie,
      "x-echo-respond": JSON.stringify({ "Set-Cookie": [`${COOKIE_NAME}=planted; Path=/; Secure; HttpOnly`, "theme=dark; Path=/", `${COOKIE_NAME} =planted-too; Path=/`] }),
    });
    expect(response.status).toBe(200);
    expect(setCookieLines(response)).toEqual(["theme=dark; Path=/"]);
  });

  it("sets only its own session cookie at login, whatever session cookie the origin's login response carries", async () => {
    const response = await rawRequest(port, "POST", "/login", {
      "x-echo-respond": JSON.stringify({
        "X-Gateway-Login": JSON.stringify({ sub: "i05-login" }),
        "Set-Cookie": [`${COOKIE_NAME}=attacker-chosen; Path=/; Secure; HttpOnly`, "csrf=abc; Path=/"],
      }),
    });
    const sessionCookies = sessionSetCookies(response);
    expect(sessionCookies).toHaveLength(1);
    expect(sessionCookies[0]!.value).toMatch(TOKEN_SHAPE);
    expect(setCookieLines(response)).toContain("csrf=abc; Path=/");
  });
});

/**
 * JSON with every non-ASCII character escaped: a header value carries only bytes, and the
 * gateway's (or the echo origin's) JSON.parse turns the escapes back into the characters.
 */
const asciiJson = (value: unknown) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);

describe("I-06 claim values are encoded and bounded", () => {
  const loginWith = (claims: unknown) =>
    rawRequest(port, "POST", "/login", { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": typeof claims === "string" ? claims : asciiJson(claims) }) });
  const role = (i: number) => `role-${String(i).padStart(2, "0")}-`.padEnd(100, "x");

  it.each<[string, unknown, string | null]>([
    ["CR LF in the subject", { sub: "i06-crlf\r\nX-Auth-Roles: admin" }, null],
    ["LF in the name", { sub: "i06-lf-name", name: "Eve\nX-Auth-Roles: admin" }, "i06-lf-name"],
    ["CR in the email", { sub: "i06-cr-email", email: "eve@example.com\rX" }, "i06-cr-email"],
    ["NUL in the subject", { sub: "i06-nul\u0000" }, null],
    ["a comma in a role", { sub: "i06-comma-role", roles: ["staff,admin"] }, "i06-comma-role"],
    ["LF in a role", { sub: "i06-lf-role", roles: ["staff\nadmin"] }, "i06-lf-role"],
    ["65 roles", { sub: "i06-65-roles", roles: Array.from({ length: 65 }, (_, i) => `r${i}`) }, "i06-65-roles"],
    // (1,000 rather than the checklist's 2,000: the test origin's own 16 KiB header limit.)
    ["1,000 roles", { sub: "i06-1000-roles", roles: Array.from({ length: 1000 }, (_, i) => String(i)) }, "i06-1000-roles"],
    ["a role of 101 characters", { sub: "i06-long-role", roles: ["r".repeat(101)] }, "i06-long-role"],
    ["a subject of 257 characters", { sub: "s".repeat(257) }, null],
    ["an empty subject", { sub: "" }, null],
    ["no subject", { email: "nobody@example.com" }, null],
    ["a subject that is not a string", { sub: ["root"] }, null],
    ["a value that is not JSON", "sub=root", null],
  ])("refuses a login whose claims carry %s: 502, no cookie, no session", async (_what, claims, listableSub) => {
    const response = await loginWith(claims);
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toEqual({ error: "bad_gateway" });
    expect(setCookieLines(response)).toEqual([]);
    expect(Object.keys(response.headers).filter((name) => name.startsWith("x-gateway") || name.startsWith("x-auth"))).toEqual([]);
    if (listableSub) {
      const listing = await rawRequest(port, "GET", `/_gateway/admin/users/${encodeURIComponent(listableSub)}/sessions`, adminAuth);
      expect(JSON.parse(listing.body)).toEqual({ sessions: [] });
    }
  });

  it("sends 64 roles of 100 characters as one X-Auth-Roles header under 8 KB that the origin reads back exactly", async () => {
    const roles = Array.from({ length: 64 }, (_, i) => role(i));
    const login = await loginWith({ sub: "i06-64-roles", roles });
    const token = sessionSetCookies(login)[0]!.value;
    const { forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(token) }));
    const lines = headerLines(forwarded[0]!).filter(([name]) => name === "x-auth-roles");
    expect(lines).toHaveLength(1);
    const value = lines[0]![1];
    expect(Buffer.byteLength(value)).toBeLessThan(8 * 1024);
    expect(value.split(",").map(decodeURIComponent)).toEqual(roles);
  });

  it("percent-encodes non-ASCII and % so each claim arrives as one printable header that the origin decodes exactly", async () => {
    const user = { sub: "i06-zoë|100%", name: "Zoë O'Brien, Jr. ✓ <x>", email: "zoë@example.com", roles: ["rôle", "a;b", "100%"] };
    const login = await loginWith(user);
    const token = sessionSetCookies(login)[0]!.value;
    const { forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(token) }));
    const lines = identityLines(forwarded[0]!);
    const value = (name: string) => {
      const found = lines.filter(([n]) => n === name);
      expect(found, name).toHaveLength(1);
      expect(found[0]![1], name).toMatch(/^[\x20-\x7e]*$/);
      return found[0]![1];
    };
    expect(decodeURIComponent(value("x-auth-user"))).toBe(user.sub);
    expect(decodeURIComponent(value("x-auth-name"))).toBe(user.name);
    expect(decodeURIComponent(value("x-auth-email"))).toBe(user.email);
    expect(value("x-auth-roles").split(",").map(decodeURIComponent)).toEqual(user.roles);
  });
});

describe("D-05 cookie bombs", () => {
  /** `size` bytes of `name=value` cookies, none of them the session's. */
  const foreignCookies = (size: number) => {
    const pairs: string[] = [];
    for (let i = 0; pairs.join("; ").length < size; i++) pairs.push(`bomb${i}=${"x".repeat(90)}`);
    return pairs.join("; ").slice(0, size);
  };

  it("handles 15 KB of foreign cookies next to a valid session and forwards them, without the session cookie, under the origin's 16 KiB limit", async () => {
    const { token } = await loginAs(port, { sub: "d05-user" });
    const foreign = foreignCookies(15 * 1024);
    const { response, forwarded } = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: `${foreign}; ${sessionCookie(token)}` }));
    expect(response.status).toBe(200);
    const record = forwarded[0]!;
    expect(record.headers["x-auth-user"]).toBe("d05-user");
    expect(record.headers.cookie).toBe(foreign);
    // Node's default limit on all request headers together is 16 KiB (--max-http-header-size).
    expect(Buffer.byteLength(record.rawHeaders.join(": \r\n"))).toBeLessThan(16 * 1024);
  });

  it("reads no session from a Cookie header over 16 KiB, and answers without a 5xx", async () => {
    const { token } = await loginAs(port, { sub: "d05-oversized" });
    const header = `${foreignCookies(17 * 1024)}; ${sessionCookie(token)}`;
    const onSessionRoute = await observe(origin, () => rawRequest(port, "GET", "/zzz", { cookie: header }));
    expect(onSessionRoute.response.status).toBe(401);
    expect(onSessionRoute.forwarded).toEqual([]);
    // A public route forwards it; the Node origin refuses headers that large itself (431).
    const onPublicRoute = await observe(origin, () => rawRequest(port, "GET", "/public/x", { cookie: header }));
    expect(onPublicRoute.response.status).toBeLessThan(500);
    for (const record of onPublicRoute.forwarded) for (const secret of secretsOf(token)) expect(originView(record)).not.toContain(secret);
    // The session itself is untouched.
    expect((await rawRequest(port, "GET", "/zzz", { cookie: sessionCookie(token) })).status).toBe(200);
  });
});

describe("X-05 an X-Gateway-Login with bytes outside ASCII", () => {
  // The origin is a Node server, which writes a header's string as Latin-1 bytes: the raw
  // bytes reach the gateway as a real app's would (the workers pool cannot send them without
  // workerd printing a warning for each). The request's own header is escaped ASCII.
  it.each([
    ["Latin-1 (one byte 0xE9)", '{"sub":"jos\u00e9","roles":[]}'],
    ["UTF-8 (bytes 0xC3 0xA9)", Buffer.from('{"sub":"jos\u00e9","roles":[]}').toString("latin1")],
  ])("refuses it in %s rather than decode it lossily: 502, no session", async (_, header) => {
    const response = await rawRequest(port, "POST", "/login", { "x-echo-respond": asciiJson({ "X-Gateway-Login": header }) });
    expect(response.status).toBe(502);
    expect(sessionSetCookies(response).filter((cookie) => cookie.value !== "")).toEqual([]);
  });
});
