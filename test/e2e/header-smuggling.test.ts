/**
 * Headers that could make the origin act on something other than what the gateway authorized:
 * a session cookie in a second Cookie line, underscore spellings of forwarding headers, method
 * and path overrides, and the logout clean-up when the origin ends the session. Found by the
 * black-box suite; each test failed before the fix.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, useGateway } from "./gateways";
import { loginAs, rawRequest } from "./harness";
import { headerLines, observe, originView, secretsOf, sessionCookie, setCookieLines } from "./helpers";

describe("header smuggling", () => {
  let origin: RemoteOrigin;
  let port: number;

  beforeAll(async () => {
    const shared = await useGateway("shared");
    origin = shared.origin;
    port = shared.gateway.port;
  });

  it("I-05: never shows the origin the session token when the cookies come in two Cookie header lines", async () => {
    // workerd joins the two lines with ", " (`other=1, __Host-session=<token>`); the gateway
    // splits cookies on ";" only, so it neither finds the session (fine: 401/anonymous) nor
    // removes it from what it forwards.
    const { token } = await loginAs(port, { sub: "finding-two-cookie-lines" });
    const { response, forwarded } = await observe(origin, () =>
      rawRequest(port, "GET", "/public/x", [
        ["Cookie", "other=1"],
        ["Cookie", sessionCookie(token)],
      ]),
    );
    expect(response.status).toBe(200);
    for (const secret of secretsOf(token)) expect(originView(forwarded[0]!)).not.toContain(secret);
  });

  it("I-02: drops the client's underscore spellings of the forwarding headers (X_Forwarded_For reads as X-Forwarded-For to CGI-style origins)", async () => {
    const { forwarded } = await observe(origin, () =>
      rawRequest(port, "GET", "/public/x", [
        ["X_Forwarded_For", "203.0.113.66"],
        ["X_Forwarded_Host", "evil.example"],
        ["X_Forwarded_Proto", "https"],
        ["X_Real_IP", "203.0.113.66"],
      ]),
    );
    const lines = headerLines(forwarded[0]!).filter(([name]) => /^x[-_](forwarded[-_]|real[-_]ip)/.test(name));
    expect(lines.sort()).toEqual([
      ["x-forwarded-for", "127.0.0.1"],
      ["x-forwarded-host", `127.0.0.1:${port}`],
      ["x-forwarded-proto", "http"],
    ]);
  });

  it("R-07: never lets a method-override header carry a method the gateway did not authorize to the origin", async () => {
    // /reports/* is public for GET only; DELETE needs a session. An anonymous GET that asks the
    // origin to treat it as DELETE is authorized as GET and forwarded with the override.
    const { response, forwarded } = await observe(origin, () =>
      rawRequest(port, "GET", "/reports/q3", { "x-http-method-override": "DELETE", "x-http-method": "DELETE", "x-method-override": "DELETE" }),
    );
    const overrides = forwarded.flatMap((record) => headerLines(record).filter(([name]) => /method/.test(name)));
    // Either refused, or forwarded without the override.
    if (response.status === 200) expect(overrides).toEqual([]);
    else expect(forwarded).toEqual([]);
  });

  it("R-03: never forwards an X-Original-URL or X-Rewrite-URL that names another path than the one authorized", async () => {
    // IIS URL Rewrite, Symfony and others route on these headers: /public/x is authorized,
    // /admin is served.
    const { forwarded } = await observe(origin, () => rawRequest(port, "GET", "/public/x", { "x-original-url": "/admin", "x-rewrite-url": "/admin" }));
    expect(forwarded.flatMap((record) => headerLines(record).filter(([name]) => /^x-(original|rewrite)-url$/.test(name)))).toEqual([]);
  });

  it("T-02: ends an origin-driven logout (X-Gateway-Logout) with Clear-Site-Data, as POST /_gateway/logout does", async () => {
    const { token } = await loginAs(port, { sub: "finding-origin-logout" });
    const response = await rawRequest(port, "POST", "/zzz", { cookie: sessionCookie(token), "x-echo-respond": JSON.stringify({ "X-Gateway-Logout": "1" }) });
    expect(setCookieLines(response)).toHaveLength(1);
    expect(response.headers["clear-site-data"]).toBe('"cache", "storage"');
  });
});
