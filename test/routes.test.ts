import { describe, expect, it } from "vitest";
import { compilePathSet, compileRoutePolicy, compileRulePattern, type Access, type RouteRule } from "../src/policy/routes";

const PUBLIC: Access = { kind: "public" };
const SESSION: Access = { kind: "session" };
const ADMIN: Access = { kind: "requirements", requirements: { roles: ["admin"] } };
const ANALYST: Access = { kind: "requirements", requirements: { roles: ["analyst", "admin"] } };
const DENY_BY_DEFAULT: Access = { kind: "requirements", requirements: { roles: ["__default__"] } };

const rules: RouteRule[] = [
  { path: "/public/*", access: PUBLIC },
  { path: "/public/secret", access: ADMIN }, // shadowed by the rule above: first match wins
  { path: "/admin", access: ADMIN },
  { path: "/console{/*}?", access: ADMIN },
  { path: "/reports/*", methods: ["GET"], access: ANALYST },
  { path: "/reports/*", methods: ["POST"], access: ADMIN },
  { path: "/forms/*", methods: ["POST"], access: PUBLIC },
  { path: "/users/:id", access: SESSION },
  { path: "/users/:id/avatar", methods: ["GET"], access: PUBLIC },
  { path: "/health", access: PUBLIC },
];

const policy = compileRoutePolicy({ rules, defaultAccess: DENY_BY_DEFAULT, caseInsensitivePaths: false });

describe("compileRoutePolicy", () => {
  // [method, canonical path, expected access]
  it.each<[string, string, Access]>([
    // first match wins
    ["GET", "/public/hello", PUBLIC],
    ["GET", "/public/secret", PUBLIC],
    ["GET", "/health", PUBLIC],
    // `/admin` also covers `/admin/` and a format suffix (Rails' `(.:format)`; X-04), nothing else
    ["GET", "/admin", ADMIN],
    ["GET", "/admin/", ADMIN],
    ["GET", "/admin.json", ADMIN],
    ["GET", "/admin.html", ADMIN],
    ["GET", "/admin.", ADMIN],
    ["GET", "/admin.json/", ADMIN],
    ["GET", "/admin2", DENY_BY_DEFAULT],
    ["GET", "/administrator", DENY_BY_DEFAULT],
    ["GET", "/admin/x", DENY_BY_DEFAULT],
    ["GET", "/admin.json/x", DENY_BY_DEFAULT],
    ["GET", "/admin%20", DENY_BY_DEFAULT],
    ["GET", "/health.json", PUBLIC],
    ["GET", "/users/7.json", SESSION],
    ["GET", "/users/7/avatar.png", PUBLIC],
    // `{/*}?` covers the prefix itself and everything under it
    ["GET", "/console", ADMIN],
    ["GET", "/console/", ADMIN],
    ["GET", "/console/users/1", ADMIN],
    ["GET", "/console.json", ADMIN],
    ["GET", "/console2", DENY_BY_DEFAULT],
    ["GET", "/consoles/x", DENY_BY_DEFAULT],
    // `/x/*` needs the slash
    ["GET", "/public", DENY_BY_DEFAULT],
    ["GET", "/publicity", DENY_BY_DEFAULT],
    ["GET", "/public/", PUBLIC],
    // methods
    ["GET", "/reports/q1", ANALYST],
    ["HEAD", "/reports/q1", ANALYST],
    ["POST", "/reports/q1", ADMIN],
    ["PUT", "/reports/q1", DENY_BY_DEFAULT],
    ["DELETE", "/reports/q1", DENY_BY_DEFAULT],
    ["OPTIONS", "/reports/q1", DENY_BY_DEFAULT],
    ["FOO", "/reports/q1", DENY_BY_DEFAULT],
    ["get", "/reports/q1", DENY_BY_DEFAULT],
    ["POST", "/forms/contact", PUBLIC],
    ["GET", "/forms/contact", DENY_BY_DEFAULT],
    ["HEAD", "/forms/contact", DENY_BY_DEFAULT],
    // `:id` parameters: one segment, with the tolerated trailing slash
    ["GET", "/users/42", SESSION],
    ["DELETE", "/users/42", SESSION],
    ["GET", "/users/42/", SESSION],
    ["GET", "/users/", DENY_BY_DEFAULT],
    ["GET", "/users/42/avatar", PUBLIC],
    ["HEAD", "/users/42/avatar", PUBLIC],
    ["POST", "/users/42/avatar", DENY_BY_DEFAULT],
    ["GET", "/users/42/other", DENY_BY_DEFAULT],
    // case-sensitive by default
    ["GET", "/ADMIN", DENY_BY_DEFAULT],
    ["GET", "/Public/hello", DENY_BY_DEFAULT],
    // nothing matches
    ["GET", "/", DENY_BY_DEFAULT],
    ["GET", "/zzz", DENY_BY_DEFAULT],
  ])("gives %s %s the access %j", (method, path, expected) => {
    expect(policy.accessFor(method, path, "gateway.test")).toEqual(expected);
  });

  it("lets an unlisted method fall through to a later rule, never to a pass", () => {
    const layered = compileRoutePolicy({
      rules: [
        { path: "/api/*", methods: ["GET"], access: PUBLIC },
        { path: "/api/*", access: ADMIN },
      ],
      defaultAccess: SESSION,
      caseInsensitivePaths: false,
    });
    expect(layered.accessFor("GET", "/api/x", "gateway.test")).toEqual(PUBLIC);
    expect(layered.accessFor("HEAD", "/api/x", "gateway.test")).toEqual(PUBLIC);
    expect(layered.accessFor("POST", "/api/x", "gateway.test")).toEqual(ADMIN);
    expect(layered.accessFor("OPTIONS", "/api/x", "gateway.test")).toEqual(ADMIN);
  });

  it("gives HEAD its own rule when one lists HEAD", () => {
    const headOnly = compileRoutePolicy({
      rules: [{ path: "/ping", methods: ["HEAD"], access: PUBLIC }],
      defaultAccess: SESSION,
      caseInsensitivePaths: false,
    });
    expect(headOnly.accessFor("HEAD", "/ping", "gateway.test")).toEqual(PUBLIC);
    expect(headOnly.accessFor("GET", "/ping", "gateway.test")).toEqual(SESSION);
  });

  it("names the rule that matched as written, host and methods included (metrics' rule)", () => {
    const named = compileRoutePolicy({
      rules: [
        { path: "/reports/*", methods: ["GET", "HEAD"], access: PUBLIC },
        { host: "admin.example.com", path: "/*", access: ADMIN, origin: "admin" },
      ],
      defaultAccess: SESSION,
      caseInsensitivePaths: false,
    });
    expect(named.match("HEAD", "/reports/q1", "app.example.com")?.rule).toBe("GET,HEAD /reports/*");
    expect(named.match("POST", "/x", "admin.example.com")).toEqual({ access: ADMIN, origin: "admin", rule: "admin.example.com/*" });
    expect(compileRoutePolicy({ rules: [], defaultAccess: SESSION, caseInsensitivePaths: false }).match("GET", "/x", "gateway.test")?.rule).toBe("DEFAULT_ACCESS");
  });

  it("answers DEFAULT_ACCESS when there are no rules", () => {
    const empty = compileRoutePolicy({ rules: [], defaultAccess: SESSION, caseInsensitivePaths: false });
    expect(empty.accessFor("GET", "/anything", "gateway.test")).toEqual(SESSION);
  });

  it.each(["/admin", "/ADMIN", "/Admin/", "/aDmIn"])("matches %s against /admin when paths are case-insensitive", (path) => {
    const insensitive = compileRoutePolicy({ rules, defaultAccess: DENY_BY_DEFAULT, caseInsensitivePaths: true });
    expect(insensitive.accessFor("GET", path, "gateway.test")).toEqual(ADMIN);
  });

  it.each(["/ADMIN2", "/ADMINISTRATOR"])("still does not match %s against /admin when paths are case-insensitive", (path) => {
    const insensitive = compileRoutePolicy({ rules, defaultAccess: DENY_BY_DEFAULT, caseInsensitivePaths: true });
    expect(insensitive.accessFor("GET", path, "gateway.test")).toEqual(DENY_BY_DEFAULT);
  });
});

describe("compileRulePattern", () => {
  it.each(["/a/(", "/a/:", "/a/{", "/a/(.*"])("throws a TypeError for the invalid pattern %s", (path) => {
    expect(() => compileRulePattern(path, false)).toThrow(TypeError);
  });
});

describe("dependsOnMethod", () => {
  it.each<[string, string, boolean]>([
    ["POST", "/reports/q1", true], // GET wants an analyst, POST an admin
    ["POST", "/forms/contact", true], // POST is public, GET is not
    ["POST", "/admin", false], // the same rule for every method
    ["POST", "/zzz", false], // DEFAULT_ACCESS for every method
    ["POST", "/users/7/avatar", true], // GET alone is public
  ])("says whether another method on %s %s gets other access: %s", (method, path, expected) => {
    expect(policy.dependsOnMethod(method, path, "gateway.test")).toBe(expected);
  });
});

describe("compilePathSet", () => {
  const isLoginRoute = compilePathSet(["/login", "/auth/*"], false);

  it.each([
    ["/login", true],
    ["/login/", true],
    ["/auth/callback", true],
    ["/login2", false],
    ["/login/x", false],
    ["/LOGIN", false],
    ["/auth", false],
    ["/", false],
  ])("answers %s → %s", (path, expected) => {
    expect(isLoginRoute(path)).toBe(expected);
  });

  it("matches ignoring case when asked to", () => {
    const insensitive = compilePathSet(["/login"], true);
    expect(insensitive("/LOGIN")).toBe(true);
    expect(insensitive("/Login/")).toBe(true);
  });

  it("matches nothing when empty", () => {
    expect(compilePathSet([], false)("/login")).toBe(false);
  });
});
