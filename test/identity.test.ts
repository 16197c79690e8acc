import { userPrincipal } from "../src/credentials/principal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { setForwardingHeaders } from "../src/identity/forwarding";
import { headerValue, injectIdentityHeaders, isIdentityHeaderName, stripIdentityHeaders } from "../src/identity/headers";
import type { SessionView } from "../src/session/types";

describe("isIdentityHeaderName", () => {
  it.each([
    ["X-Auth-User", true],
    ["x-auth-user", true],
    ["X_Auth_User", true],
    ["x_auth_user", true],
    ["X-AUTH-ROLES", true],
    ["x-auth_session", true],
    ["X-Auth-", true],
    ["X-GATEWAY-Login", true],
    ["x-gateway-logout", true],
    ["X_Gateway_Login", true],
    ["x-authority", false],
    ["x-authz", false],
    ["x-auth", false],
    ["x-authuser", false],
    ["x-gateway", false],
    ["x-gatewayed", false],
    ["authorization", false],
    ["x-forwarded-for", false],
    ["x-user", false],
  ])("answers %s → %s", (name, expected) => {
    expect(isIdentityHeaderName(name)).toBe(expected);
  });
});

describe("stripIdentityHeaders", () => {
  it("removes every identity header, whatever its spelling, and keeps the rest", () => {
    const headers = new Headers([
      ["X-Auth-User", "mallory"],
      ["x-auth-user", "mallory2"],
      ["X_Auth_User", "mallory3"],
      ["X-Auth-Roles", "admin"],
      ["X-Auth-Session", "forged"],
      ["X-Gateway-Login", '{"sub":"mallory"}'],
      ["x_gateway_logout", "1"],
      ["X-Authority", "kept"],
      ["Authorization", "Bearer kept"],
      ["Accept", "text/html"],
    ]);
    stripIdentityHeaders(headers);
    expect([...headers]).toEqual([
      ["accept", "text/html"],
      ["authorization", "Bearer kept"],
      ["x-authority", "kept"],
    ]);
  });

  it("leaves headers without identity headers as they are", () => {
    const headers = new Headers({ Accept: "*/*" });
    stripIdentityHeaders(headers);
    expect([...headers]).toEqual([["accept", "*/*"]]);
  });
});

describe("injectIdentityHeaders", () => {
  const session: SessionView = {
    id: "AAAAAAAAAAAAAAAAAAAAAA",
    user: { sub: "alice", email: "alice@example.com", name: "Zoë, Ltd\r\nX-Auth-Roles: admin", roles: ["editor", "río"] },
    createdAt: "2026-01-01T00:00:00.000Z",
    authenticatedAt: "2026-01-01T00:00:00.000Z",
    lastSeenAt: "2026-01-01T00:00:00.000Z",
    idleExpiresAt: "2026-01-01T00:30:00.000Z",
    absoluteExpiresAt: "2026-01-01T08:00:00.000Z",
  };

  it("sets our identity headers, encoded, replacing any copy", () => {
    const headers = new Headers({ "X-Auth-User": "mallory" });
    injectIdentityHeaders(headers, userPrincipal(session));
    expect(headers.get("X-Auth-Principal")).toBe("user");
    expect(headers.get("X-Auth-User")).toBe("alice");
    expect(headers.get("X-Auth-Email")).toBe("alice@example.com");
    expect(headers.get("X-Auth-Name")).toBe("Zo%C3%AB, Ltd%0D%0AX-Auth-Roles: admin");
    expect(headers.get("X-Auth-Roles")).toBe("editor,r%C3%ADo");
    expect(headers.get("X-Auth-Session")).toBe(session.id);
  });

  it("leaves out the email and name when they are not known", () => {
    const headers = new Headers();
    injectIdentityHeaders(headers, userPrincipal({ ...session, user: { sub: "bob", roles: [] } }));
    expect([...headers]).toEqual([
      ["x-auth-principal", "user"],
      ["x-auth-roles", ""],
      ["x-auth-session", session.id],
      ["x-auth-user", "bob"],
    ]);
  });
});

describe("headerValue", () => {
  it.each([
    ["alice", "alice"],
    ["alice@example.com", "alice@example.com"],
    ["Alice Smith", "Alice Smith"],
    ["a+b=c&d?e/f:g;h,i\"j'k<l>m{n}o[p]q\\r^s`t|u~v!w#x$y*z()", "a+b=c&d?e/f:g;h,i\"j'k<l>m{n}o[p]q\\r^s`t|u~v!w#x$y*z()"],
    ["100%", "100%25"],
    ["%41", "%2541"],
    ["Zoë", "Zo%C3%AB"],
    ["日本", "%E6%97%A5%E6%9C%AC"],
    ["😀", "%F0%9F%98%80"],
    ["a\r\nX-Evil: 1", "a%0D%0AX-Evil: 1"],
    ["tab\there", "tab%09here"],
    ["nul\u0000", "nul%00"],
    ["del\u007f", "del%7F"],
    ["nel\u0085", "nel%C2%85"],
  ])("encodes %j as %j", (value, expected) => {
    expect(headerValue(value)).toBe(expected);
  });

  it("gives printable ASCII that decodeURIComponent turns back into the value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (value) => {
        const encoded = headerValue(value);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeURIComponent(encoded)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it("never lets CR or LF through, so a value cannot add a header", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("\r", "\n", "a", ":", " ", "%", "é") }), (value) => {
        const encoded = headerValue(value);
        expect(encoded).not.toMatch(/[\r\n]/);
        expect(() => new Headers({ "X-Auth-Name": encoded })).not.toThrow();
        expect(new Headers({ "X-Auth-Name": encoded }).get("X-Auth-Name")).toBe(encoded.trim());
      }),
      { numRuns: 500 },
    );
  });
});

describe("setForwardingHeaders", () => {
  it("replaces the client's forwarding headers with the gateway's", () => {
    const request = new Request("https://gateway.test/x", {
      headers: {
        "CF-Connecting-IP": "203.0.113.7",
        "X-Forwarded-For": "10.0.0.1",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http",
        "X-Real-IP": "10.0.0.2",
        Forwarded: "for=10.0.0.3;host=evil.example",
        Accept: "*/*",
      },
    });
    const headers = new Headers(request.headers);
    setForwardingHeaders(headers, request, new URL(request.url));
    expect(headers.get("X-Forwarded-For")).toBe("203.0.113.7");
    expect(headers.get("X-Forwarded-Host")).toBe("gateway.test");
    expect(headers.get("X-Forwarded-Proto")).toBe("https");
    expect(headers.has("X-Real-IP")).toBe(false);
    expect(headers.has("Forwarded")).toBe(false);
    expect(headers.get("Accept")).toBe("*/*");
  });

  it("sets no X-Forwarded-For without CF-Connecting-IP, whatever the client sent", () => {
    const request = new Request("http://gateway.test:8787/x", { headers: { "X-Forwarded-For": "10.0.0.1" } });
    const headers = new Headers(request.headers);
    setForwardingHeaders(headers, request, new URL(request.url));
    expect(headers.has("X-Forwarded-For")).toBe(false);
    expect(headers.get("X-Forwarded-Host")).toBe("gateway.test:8787");
    expect(headers.get("X-Forwarded-Proto")).toBe("http");
  });

  it("takes the host from the request URL, not from a client Host header", () => {
    const request = new Request("https://gateway.test/x", { headers: { Host: "evil.example" } });
    const headers = new Headers(request.headers);
    setForwardingHeaders(headers, request, new URL(request.url));
    expect(headers.get("X-Forwarded-Host")).toBe("gateway.test");
  });
});
