import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { resolveConfig, type ResolvedConfig } from "../src/config/resolve";
import { defaultOf } from "../src/config/settings";
import type { Env } from "../src/env";
import type { Access } from "../src/policy/routes";

const SECRET = "config-test-signing-key-0123456789abcdef";
const OLD_SECRET = "config-test-old-key-0123456789abcdef0123";
const ADMIN_TOKEN = "config-test-admin-token-0123456789abcdef";

/** The test bindings (an ORIGIN service binding among them) with known secrets. */
const base: Env = { ...(env as unknown as Env), SESSION_SECRET: SECRET, ADMIN_TOKEN };

/** Every plain setting unset, so the defaults apply. */
const unset = {
  ROUTES: undefined,
  DEFAULT_ACCESS: undefined,
  CASE_INSENSITIVE_PATHS: undefined,
  IDLE_TIMEOUT_SECONDS: undefined,
  ABSOLUTE_TIMEOUT_SECONDS: undefined,
  COOKIE_NAME: undefined,
  LOGIN_URL: undefined,
  LOGIN_ROUTES: undefined,
  AUTH_MODE: undefined,
  ADMIN_TOKEN: undefined,
} satisfies Partial<Env>;

const RULES = [
  { path: "/public/*", access: "public" },
  { path: "/admin{/*}?", access: { roles: ["admin"] } },
  { path: "/reports/*", methods: ["GET"], access: { roles: ["analyst", "admin"] } },
  { path: "/reports/*", methods: ["POST"], access: { roles: ["admin"] } },
];

const PROBES: [string, string][] = [
  ["GET", "/public/x"],
  ["GET", "/admin"],
  ["GET", "/admin/"],
  ["GET", "/admin/x"],
  ["GET", "/ADMIN"],
  ["HEAD", "/reports/q1"],
  ["POST", "/reports/q1"],
  ["PUT", "/reports/q1"],
  ["GET", "/zzz"],
];

let consoleError: MockInstance;
let consoleWarn: MockInstance;

beforeEach(() => {
  consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
  consoleWarn = vi.spyOn(console, "warn").mockImplementation(() => {});
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function resolved(overrides: Partial<Env>): Promise<ResolvedConfig> {
  const result = await resolveConfig({ ...base, ...overrides });
  if (!result.ok) throw new Error(`expected a valid configuration, got: ${result.problems.join("; ")}`);
  return result.config;
}

async function problemsOf(overrides: Partial<Env>): Promise<string[]> {
  const result = await resolveConfig({ ...base, ...overrides });
  if (result.ok) throw new Error("expected an invalid configuration");
  return result.problems;
}

function decisions(config: ResolvedConfig): (Access | null)[] {
  return PROBES.map(([method, path]) => config.routePolicy.accessFor(method, path, "gateway.test"));
}

describe("resolveConfig: a valid configuration", () => {
  it("accepts the test bindings", async () => {
    const config = await resolved({});
    expect(config.idleTimeoutSeconds).toBe(600);
    expect(config.absoluteTimeoutSeconds).toBe(3600);
    expect(config.adminToken).toBe(ADMIN_TOKEN);
    expect(config.origins.get("default")).toEqual({ kind: "binding", binding: "ORIGIN" });
  });

  it("applies the defaults when nothing is set", async () => {
    const config = await resolved(unset);
    expect(config).toMatchObject({
      caseInsensitivePaths: false,
      idleTimeoutSeconds: defaultOf("IDLE_TIMEOUT_SECONDS"),
      absoluteTimeoutSeconds: defaultOf("ABSOLUTE_TIMEOUT_SECONDS"),
      sessionCookie: { name: "__Host-session", domain: null },
      preserveHost: false,
      adminToken: null,
      maxConnectionsPerSession: 100,
      maxConnectionsPerUser: 500,
    });
    expect(config.loginUrl.valueFor("any.example")).toBe("/login");
    expect(config.idleTimeoutSeconds).toBe(1800);
    expect(config.absoluteTimeoutSeconds).toBe(28800);
    expect(config.routePolicy.accessFor("GET", "/anything", "gateway.test")).toEqual({ kind: "session" });
    expect(config.routePolicy.accessFor("GET", "/", "gateway.test")).toEqual({ kind: "session" });
    expect(config.isLoginRoute("gateway.test", "/login")).toBe(true);
    expect(config.isLoginRoute("gateway.test", "/login/")).toBe(true);
    expect(config.isLoginRoute("gateway.test", "/other")).toBe(false);
  });

  it("treats an empty string as unset", async () => {
    const config = await resolved(Object.fromEntries(Object.keys(unset).map((name) => [name, ""])));
    expect(config.idleTimeoutSeconds).toBe(1800);
    expect(config.sessionCookie.name).toBe("__Host-session");
    expect(config.adminToken).toBeNull();
    expect(config.routePolicy.accessFor("GET", "/x", "gateway.test")).toEqual({ kind: "session" });
  });

  it("reads ROUTES as a TOML array and as a JSON string alike", async () => {
    const fromToml = await resolved({ ROUTES: RULES });
    const fromJson = await resolved({ ROUTES: JSON.stringify(RULES) });
    expect(decisions(fromJson)).toEqual(decisions(fromToml));
    expect(decisions(fromToml)).toEqual([
      { kind: "public" },
      { kind: "requirements", requirements: { roles: ["admin"] } },
      { kind: "requirements", requirements: { roles: ["admin"] } },
      { kind: "requirements", requirements: { roles: ["admin"] } },
      { kind: "session" },
      { kind: "requirements", requirements: { roles: ["analyst", "admin"] } },
      { kind: "requirements", requirements: { roles: ["admin"] } },
      { kind: "session" },
      { kind: "session" },
    ]);
  });

  it("reads every requirement key, normalized: emails and domains in lower case, countries in upper case", async () => {
    const config = await resolved({
      DEFAULT_ACCESS: {
        roles: ["admin"],
        users: ["alice"],
        emails: ["Alice@Example.com"],
        emailDomains: ["Example.COM", "*.corp.example.com"],
        ips: ["192.0.2.0/24", "2001:db8::/32"],
        countries: ["de", "AT"],
        maxAuthAgeSeconds: 600,
      },
    });
    const access = config.routePolicy.accessFor("GET", "/zzz", "gateway.test")!;
    expect(access.kind === "requirements" && access.requirements).toMatchObject({
      roles: ["admin"],
      users: ["alice"],
      emails: ["alice@example.com"],
      emailDomains: ["example.com", "*.corp.example.com"],
      countries: ["DE", "AT"],
      maxAuthAgeSeconds: 600,
    });
    expect(access.kind === "requirements" && access.requirements.ips).toHaveLength(2);
  });

  it.each<[string, Partial<Env>, Record<string, unknown> | null]>([
    ["unset, in delegated mode: any", {}, null],
    ['"any"', { ALLOWED_USERS: "any" }, null],
    ["a TOML table", { ALLOWED_USERS: { emailDomains: ["example.com"] } }, { emailDomains: ["example.com"] }],
    ["a JSON string", { ALLOWED_USERS: '{"users": ["alice"]}' }, { users: ["alice"] }],
  ])("reads ALLOWED_USERS as %s", async (_, overrides, expected) => {
    expect((await resolved(overrides)).allowedUsers).toEqual(expected);
  });

  it.each<[string, Partial<Env>, Access]>([
    ["a TOML string", { DEFAULT_ACCESS: "public" }, { kind: "public" }],
    ["a TOML table", { DEFAULT_ACCESS: { roles: ["admin"] } }, { kind: "requirements", requirements: { roles: ["admin"] } }],
    ["a JSON string", { DEFAULT_ACCESS: '{"roles": ["admin"]}' }, { kind: "requirements", requirements: { roles: ["admin"] } }],
  ])("reads DEFAULT_ACCESS as %s", async (_, overrides, expected) => {
    const config = await resolved({ ...overrides, ROUTES: [] });
    expect(config.routePolicy.accessFor("GET", "/zzz", "gateway.test")).toEqual(expected);
  });

  it.each<[string, Partial<Env>]>([
    ["TOML numbers", { IDLE_TIMEOUT_SECONDS: 60, ABSOLUTE_TIMEOUT_SECONDS: 120 }],
    ["strings", { IDLE_TIMEOUT_SECONDS: "60", ABSOLUTE_TIMEOUT_SECONDS: "120" }],
  ])("reads the timeouts as %s", async (_, overrides) => {
    const config = await resolved(overrides);
    expect([config.idleTimeoutSeconds, config.absoluteTimeoutSeconds]).toEqual([60, 120]);
  });

  it.each([true, "true"])("matches routes ignoring case when CASE_INSENSITIVE_PATHS is %j", async (value) => {
    const config = await resolved({ ROUTES: RULES, CASE_INSENSITIVE_PATHS: value, LOGIN_ROUTES: ["/login"] });
    expect(config.caseInsensitivePaths).toBe(true);
    expect(config.routePolicy.accessFor("GET", "/ADMIN", "gateway.test")).toEqual({ kind: "requirements", requirements: { roles: ["admin"] } });
    expect(config.isLoginRoute("gateway.test", "/LOGIN")).toBe(true);
  });

  it.each([false, "false"])("matches routes with case when CASE_INSENSITIVE_PATHS is %j", async (value) => {
    const config = await resolved({ ROUTES: RULES, CASE_INSENSITIVE_PATHS: value });
    expect(config.routePolicy.accessFor("GET", "/ADMIN", "gateway.test")).toEqual({ kind: "session" });
  });

  it("reads LOGIN_ROUTES as a TOML array and as a JSON string alike", async () => {
    for (const value of [["/signin", "/sso/*"], '["/signin", "/sso/*"]']) {
      const config = await resolved({ LOGIN_ROUTES: value });
      expect([config.isLoginRoute("gateway.test", "/signin"), config.isLoginRoute("gateway.test", "/sso/cb"), config.isLoginRoute("gateway.test", "/login")]).toEqual([true, true, false]);
    }
  });

  it("reads LOGIN_CALLBACK_ROUTES per host, and no path is a callback route by default", async () => {
    expect((await resolved({})).isLoginCallbackRoute("gateway.test", "/login")).toBe(false);
    const config = await resolved({ LOGIN_CALLBACK_ROUTES: { "admin.example.com": ["/auth/magic"], "*": ["/saml/acs"] } });
    expect([config.isLoginCallbackRoute("admin.example.com", "/auth/magic"), config.isLoginCallbackRoute("admin.example.com", "/saml/acs"), config.isLoginCallbackRoute("gateway.test", "/saml/acs")]).toEqual([true, false, true]);
  });

  it("accepts an idle timeout under 60 s, with a warning", async () => {
    const config = await resolved({ IDLE_TIMEOUT_SECONDS: "2", ABSOLUTE_TIMEOUT_SECONDS: "4" });
    expect(config.idleTimeoutSeconds).toBe(2);
    expect(consoleWarn).toHaveBeenCalledWith(expect.stringContaining("config.short_idle_timeout"));
  });

  it("accepts an absolute timeout equal to the idle timeout", async () => {
    const config = await resolved({ IDLE_TIMEOUT_SECONDS: "600", ABSOLUTE_TIMEOUT_SECONDS: "600" });
    expect(config.absoluteTimeoutSeconds).toBe(600);
  });

  it("uses ORIGIN_URL when there is no ORIGIN binding", async () => {
    const config = await resolved({ ORIGIN: undefined, ORIGIN_URL: "https://origin.example:8443" });
    const origin = config.origins.get("default")!;
    expect(origin.kind === "url" && origin.url.href).toBe("https://origin.example:8443/");
  });

  it("prefers the ORIGIN binding to ORIGIN_URL", async () => {
    const config = await resolved({ ORIGIN_URL: "https://origin.example" });
    expect(config.origins.get("default")).toEqual({ kind: "binding", binding: "ORIGIN" });
  });

  it("verifies with every SESSION_SECRET key, the first one signing", async () => {
    const config = await resolved({ SESSION_SECRET: `${SECRET}, ${OLD_SECRET}` });
    expect(config.sessionKeys.verifying).toHaveLength(2);
    expect(config.sessionKeys.signing).toBe(config.sessionKeys.verifying[0]);
  });
});

describe("resolveConfig: problems", () => {
  // [setting, overrides, texts the problem must contain]
  it.each<[string, Partial<Env>, string[]]>([
    ["IDLE_TIMEOUT_SECONDS", { IDLE_TIMEOUT_SECONDS: "abc" }, ['IDLE_TIMEOUT_SECONDS ("abc")', "whole number of seconds"]],
    ["IDLE_TIMEOUT_SECONDS", { IDLE_TIMEOUT_SECONDS: "0" }, ["IDLE_TIMEOUT_SECONDS", "at least 1"]],
    ["IDLE_TIMEOUT_SECONDS", { IDLE_TIMEOUT_SECONDS: 1.5 }, ["IDLE_TIMEOUT_SECONDS (1.5)", "whole number"]],
    ["IDLE_TIMEOUT_SECONDS", { IDLE_TIMEOUT_SECONDS: "-5" }, ['IDLE_TIMEOUT_SECONDS ("-5")']],
    ["MAX_CONNECTIONS_PER_SESSION", { MAX_CONNECTIONS_PER_SESSION: "-1" }, ['MAX_CONNECTIONS_PER_SESSION ("-1")', "whole number"]],
    ["MAX_CONNECTIONS_PER_USER", { MAX_CONNECTIONS_PER_USER: 2.5 }, ["MAX_CONNECTIONS_PER_USER (2.5)", "whole number"]],
    ["ABSOLUTE_TIMEOUT_SECONDS", { IDLE_TIMEOUT_SECONDS: "600", ABSOLUTE_TIMEOUT_SECONDS: "300" }, ["ABSOLUTE_TIMEOUT_SECONDS (300) must be at least IDLE_TIMEOUT_SECONDS (600)"]],
    ["ABSOLUTE_TIMEOUT_SECONDS", { ABSOLUTE_TIMEOUT_SECONDS: String(401 * 24 * 3600) }, [`ABSOLUTE_TIMEOUT_SECONDS (${401 * 24 * 3600})`, "400 days"]],
    ["CASE_INSENSITIVE_PATHS", { CASE_INSENSITIVE_PATHS: "yes" }, ['CASE_INSENSITIVE_PATHS ("yes")', "true or false"]],
    ["ROUTES", { ROUTES: "not json" }, ['ROUTES ("not json")', "array of rules"]],
    ["ROUTES", { ROUTES: "[{oops" }, ['ROUTES ("[{oops")', "not valid JSON"]],
    ["ROUTES", { ROUTES: { path: "/a", access: "public" } }, ["ROUTES (", "array of rules"]],
    ["ROUTES", { ROUTES: [{ path: "/a", methods: ["get"], access: "public" }] }, ['ROUTES[0].methods[0] ("get")', "upper-case HTTP method"]],
    ["ROUTES", { ROUTES: [{ path: "/a", methods: [], access: "public" }] }, ["ROUTES[0].methods ([])", "must not be empty"]],
    ["ROUTES", { ROUTES: [{ path: "/a", acess: "public" }] }, ["ROUTES[0] (", 'unknown key "acess" (did you mean "access"?)']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: "public", verbs: ["GET"] }] }, ["ROUTES[0] (", 'unknown key "verbs": a rule is {host?, path, methods?, access, origin?}']],
    ["ROUTES", { ROUTES: [{ access: "public" }] }, ["ROUTES[0] (", 'has no "path"']],
    ["ROUTES", { ROUTES: ["/a"] }, ['ROUTES[0] ("/a")', "must be an object"]],
    ["ORIGIN", { ORIGIN: "https://origin.example" as unknown as Fetcher }, ['ORIGIN ("https://origin.example")', "must be a service binding", "did you mean ORIGIN_URL?"]],
    ["ROUTES", { ROUTES: [{ path: "/ok", access: "public" }, { path: "/a/(", access: "public" }] }, ['ROUTES[1].path ("/a/(")', "not a valid URLPattern"]],
    ["ROUTES", { ROUTES: [{ path: "a", access: "public" }] }, ['ROUTES[0].path ("a")', "must start with /"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: "private" }] }, ['ROUTES[0].access ("private")', '"public", "session"']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { roles: ["a,b"] } }] }, ['ROUTES[0].access.roles[0] ("a,b")']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { roles: [] } }] }, ["ROUTES[0].access.roles ([])"]],
    ["DEFAULT_ACCESS", { DEFAULT_ACCESS: "allow" }, ['DEFAULT_ACCESS ("allow")', '"public", "session"']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { principals: ["agent"] } }] }, ['ROUTES[0].access.principals[0] ("agent")', 'must be one of "user", "service", "workload"']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { services: ["ci-deploy"] } }] }, ["ROUTES[0].access (", 'names services but does not admit them: add "service" to its principals']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { principals: ["service"], issuers: ["github"] } }] }, ["ROUTES[0].access (", 'names issuers but does not admit them: add "workload" to its principals']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { principals: ["service"], services: ["CI Deploy"] } }] }, ['ROUTES[0].access.services[0] ("CI Deploy")', "must be a name"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { principals: ["workload"], claims: {} } }] }, ["ROUTES[0].access.claims ({})", "at least one claim"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { principals: ["workload"], claims: { ref: "refs/heads/main" } } }] }, ['ROUTES[0].access.claims.ref ("refs/heads/main")', "must be an array"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { principals: ["workload"] } }] }, ['ROUTES[0].access.principals admits "workload" but TRUSTED_ISSUERS names no issuer']],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { principals: ["workload"], issuers: ["gitlab"] } }], TRUSTED_ISSUERS: JSON.stringify([{ name: "github", issuer: "https://token.actions.githubusercontent.com", audiences: ["https://github.com/acme"] }]) }, ['ROUTES[0].access.issuers ("gitlab") is not a TRUSTED_ISSUERS name: name one of "github"']],
    ["TRUSTED_ISSUERS", { TRUSTED_ISSUERS: JSON.stringify([{ name: "github", issuer: "https://token.actions.githubusercontent.com", audiences: [] }]) }, ["TRUSTED_ISSUERS[0].audiences ([])"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { role: ["admin"] } }] }, ["ROUTES[0].access.role", "only the keys principals, roles, users, emails, emailDomains, services, issuers, claims, ips, countries, maxAuthAgeSeconds"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: {} }] }, ["ROUTES[0].access ({})", "at least one requirement"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { ips: ["10.0.0.1/8"] } }] }, ['ROUTES[0].access.ips[0] ("10.0.0.1/8")', "bits set after the /8 prefix"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { ips: ["10.0.0.0/40"] } }] }, ['ROUTES[0].access.ips[0] ("10.0.0.0/40")', "prefix length"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { ips: ["office"] } }] }, ['ROUTES[0].access.ips[0] ("office")', "not an IPv4 or IPv6 address"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { countries: ["DEU"] } }] }, ['ROUTES[0].access.countries[0] ("DEU")', "two-letter ISO 3166-1"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { emailDomains: ["@example.com"] } }] }, ['ROUTES[0].access.emailDomains[0] ("@example.com")', "must be a domain"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { emailDomains: ["a.*.example.com"] } }] }, ["ROUTES[0].access.emailDomains[0]", "must be a domain"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { emails: ["alice"] } }] }, ['ROUTES[0].access.emails[0] ("alice")', "email address"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { users: [] } }] }, ["ROUTES[0].access.users ([])", "must not be empty"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { maxAuthAgeSeconds: "600" } }] }, ['ROUTES[0].access.maxAuthAgeSeconds ("600")', "whole number of seconds"]],
    ["ROUTES", { ROUTES: [{ path: "/a", access: { maxAuthAgeSeconds: 0 } }] }, ["ROUTES[0].access.maxAuthAgeSeconds (0)", "at least 1"]],
    ["DEFAULT_ACCESS", { DEFAULT_ACCESS: '{"countries": ["de", "Germany"]}' }, ['DEFAULT_ACCESS.countries[1] ("Germany")']],
    ["ALLOWED_USERS", { ALLOWED_USERS: "everyone" }, ['ALLOWED_USERS ("everyone")', 'must be "any" or an object of requirements']],
    ["ALLOWED_USERS", { ALLOWED_USERS: { emailDomains: ["example.com"], maxAuthAgeSeconds: 600 } }, ["ALLOWED_USERS.maxAuthAgeSeconds", "only the keys roles, users, emails, emailDomains, ips, countries"]],
    ["ALLOWED_USERS", { ALLOWED_USERS: '{"emailDomains": ["*example.com"]}' }, ['ALLOWED_USERS.emailDomains[0] ("*example.com")']],
    ["DEFAULT_ACCESS", { DEFAULT_ACCESS: '{"roles": "admin"}' }, ["DEFAULT_ACCESS"]],
    ["COOKIE_NAME", { COOKIE_NAME: "session" }, ['COOKIE_NAME ("session")', '"__Host-"']],
    ["COOKIE_NAME", { COOKIE_NAME: "__host-session" }, ['COOKIE_NAME ("__host-session")']],
    ["COOKIE_NAME", { COOKIE_NAME: "__Host-a;b" }, ['COOKIE_NAME ("__Host-a;b")']],
    ["LOGIN_URL", { LOGIN_URL: "//evil" }, ['LOGIN_URL ("//evil")', "single /"]],
    ["LOGIN_URL", { LOGIN_URL: "https://evil.example/login" }, ['LOGIN_URL ("https://evil.example/login")']],
    ["LOGIN_URL", { LOGIN_URL: "/\\evil" }, ["LOGIN_URL"]],
    ["LOGIN_ROUTES", { LOGIN_ROUTES: "login" }, ['LOGIN_ROUTES ("login")', "array of paths"]],
    ["LOGIN_ROUTES", { LOGIN_ROUTES: ["/login", "signin"] }, ['LOGIN_ROUTES[1] ("signin")', "must start with /"]],
    ["LOGIN_ROUTES", { LOGIN_ROUTES: ["/a/("] }, ['LOGIN_ROUTES[0] ("/a/(")', "not a valid URLPattern"]],
    ["LOGIN_CALLBACK_ROUTES", { LOGIN_CALLBACK_ROUTES: "magic" }, ['LOGIN_CALLBACK_ROUTES ("magic")', "array of paths"]],
    ["LOGIN_CALLBACK_ROUTES", { LOGIN_CALLBACK_ROUTES: { "admin.example.com": ["/auth/magic"] } }, ["LOGIN_CALLBACK_ROUTES", '"*"']],
    ["AUTH_MODE", { AUTH_MODE: "magic" }, ['AUTH_MODE ("magic")', '"delegated"']],
    ["ORIGIN_URL", { ORIGIN: undefined, ORIGIN_URL: undefined }, ["ORIGIN_URL is not set", "ORIGIN service binding"]],
    ["ORIGIN_URL", { ORIGIN: undefined, ORIGIN_URL: "https://user:pw@origin.example/app" }, ['ORIGIN_URL ("https://***@origin.example/app")', "no query, fragment or credentials"]],
    ["ORIGIN_URL", { ORIGIN: undefined, ORIGIN_URL: "https://origin.example/app#top" }, ['ORIGIN_URL ("https://origin.example/app#top")']],
    ["ORIGIN_URL", { ORIGIN: undefined, ORIGIN_URL: "https://origin.example/?x=1" }, ['ORIGIN_URL ("https://origin.example/?***")']],
    ["ORIGIN_URL", { ORIGIN: undefined, ORIGIN_URL: "ftp://origin.example" }, ['ORIGIN_URL ("ftp://origin.example")']],
    ["ORIGIN_URL", { ORIGIN: undefined, ORIGIN_URL: "origin.example" }, ['ORIGIN_URL ("origin.example")', "absolute http(s) URL"]],
    ["SESSION_SECRET", { SESSION_SECRET: undefined }, ["SESSION_SECRET is not set"]],
    ["SESSION_SECRET", { SESSION_SECRET: "too-short" }, ["SESSION_SECRET", "at least 32 characters", "key #1 has 9"]],
    ["SESSION_SECRET", { SESSION_SECRET: `${SECRET},short` }, ["SESSION_SECRET", "key #2 has 5"]],
    ["ADMIN_TOKEN", { ADMIN_TOKEN: "short-admin" }, ["ADMIN_TOKEN must be at least 32 characters (it has 11)"]],
  ])("reports a bad %s, quoting the value: %j", async (name, overrides, texts) => {
    const problems = await problemsOf(overrides);
    for (const problem of problems) expect(problem.startsWith(name)).toBe(true);
    expect(problems.filter((problem) => texts.every((text) => problem.includes(text)))).toHaveLength(1);
  });

  it("reports a misspelt rule key once, naming the key it probably means (not also as a missing key)", async () => {
    const problems = await problemsOf({ ROUTES: [{ path: "/a", acess: "public" }] });
    expect(problems).toEqual(['ROUTES[0] ({"path":"/a","acess":"public"}) has an unknown key "acess" (did you mean "access"?), has no "access": a rule is {host?, path, methods?, access, origin?}']);
  });

  it("reports every problem together, one for each bad setting", async () => {
    const problems = await problemsOf({
      ORIGIN: undefined,
      ORIGIN_URL: undefined,
      IDLE_TIMEOUT_SECONDS: "abc",
      CASE_INSENSITIVE_PATHS: "yes",
      ROUTES: [
        { path: "/a", methods: ["get"], access: "public" },
        { path: "/b", acess: "public" },
        { path: "/c/(", access: "public" },
        { path: "/d", access: "private" },
      ],
      DEFAULT_ACCESS: "allow",
      COOKIE_NAME: "session",
      LOGIN_URL: "//evil",
      LOGIN_ROUTES: "login",
      AUTH_MODE: "magic",
      SESSION_SECRET: "short-secret-value",
      ADMIN_TOKEN: "short-admin",
    });
    const expected = [
      'IDLE_TIMEOUT_SECONDS ("abc")',
      'CASE_INSENSITIVE_PATHS ("yes")',
      'ROUTES[0].methods[0] ("get")',
      'ROUTES[1] ({"path":"/b","acess":"public"}) has an unknown key "acess"',
      'ROUTES[2].path ("/c/(")',
      'ROUTES[3].access ("private")',
      'DEFAULT_ACCESS ("allow")',
      'COOKIE_NAME ("session")',
      'LOGIN_URL ("//evil")',
      'LOGIN_ROUTES ("login")',
      'AUTH_MODE ("magic")',
      "ORIGIN_URL is not set",
      "SESSION_SECRET keys must be at least 32 characters",
      "ADMIN_TOKEN must be at least 32 characters",
    ];
    for (const text of expected) expect(problems.filter((problem) => problem.includes(text)), text).toHaveLength(1);
    expect(problems.length).toBeGreaterThanOrEqual(expected.length);
  });

  it("reports the timeouts' order against the values that were set", async () => {
    const problems = await problemsOf({ IDLE_TIMEOUT_SECONDS: 7200, ABSOLUTE_TIMEOUT_SECONDS: "3600", COOKIE_NAME: "bad" });
    expect(problems).toContain("ABSOLUTE_TIMEOUT_SECONDS (3600) must be at least IDLE_TIMEOUT_SECONDS (7200)");
    expect(problems).toHaveLength(2);
  });

  it("never quotes a secret's value, in a problem or in the log", async () => {
    const secrets = ["short-secret-value", "another-short-one", "tiny"];
    const problems = await problemsOf({ SESSION_SECRET: `${SECRET},${secrets.join(",")}`, ADMIN_TOKEN: "short-admin-token", IDLE_TIMEOUT_SECONDS: "abc" });
    const logged = consoleError.mock.calls.flat().join("\n");
    expect(logged).toContain("config.invalid");
    for (const text of [...problems, logged]) {
      for (const value of [SECRET, ...secrets, "short-admin-token"]) expect(text).not.toContain(value);
    }
  });

  it.each([
    ["ORIGIN_URL with credentials", { ORIGIN: undefined, ORIGIN_URL: "https://deploy:hunter2-secret@origin.example/app" }],
    ["ORIGIN_URL with a password holding @ and /", { ORIGIN: undefined, ORIGIN_URL: "https://deploy:p@ss/hunter2-secret@origin.example" }],
    ["ORIGIN_URL with a key in the query", { ORIGIN: undefined, ORIGIN_URL: "https://origin.example/?api_key=hunter2-secret" }],
    ["an ORIGINS entry with credentials", { ORIGINS: { blog: "https://deploy:hunter2-secret@blog.example" } }],
    ["ORIGINS that is not valid JSON", { ORIGINS: `{"blog": "https://deploy:hunter2-secret@blog.example"` }],
    ["ORIGINS whose @ falls past the quoting length", { ORIGINS: `{"pad": "${"x".repeat(40)}", "app": "https://deploy:hunter2-${"y".repeat(90)}@app.example"` }],
  ])("masks the credentials of %s in the problem and the config.invalid line (R10)", async (_, overrides) => {
    const problems = await problemsOf(overrides as Partial<Env>);
    const logged = consoleError.mock.calls.flat().join("\n");
    expect(logged).toContain("config.invalid");
    for (const text of [...problems, logged]) expect(text).not.toContain("hunter2");
  });

  it("logs the problems as one config.invalid line", async () => {
    const problems = await problemsOf({ AUTH_MODE: "magic" });
    expect(consoleError).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(consoleError.mock.calls[0]![0])) as { event: string; problems: string[] };
    expect(line.event).toBe("config.invalid");
    expect(line.problems).toEqual(problems);
  });

  it("shortens a long quoted value", async () => {
    const [problem] = await problemsOf({ COOKIE_NAME: `bad-${"x".repeat(500)}` });
    expect(problem!.length).toBeLessThan(250);
    expect(problem).toContain("...");
  });
});

describe("resolveConfig: warnings (legal, but probably not what was meant)", () => {
  async function warningsOf(overrides: Record<string, unknown>): Promise<string[]> {
    const result = await resolveConfig({ ...base, ...overrides } as Env);
    return result.warnings.map((warning) => warning.message);
  }

  it("gives none for the shipped names and bindings", async () => {
    expect(await warningsOf({})).toEqual([]);
  });

  it.each([
    ["MAX_SESSION_PER_USER", "MAX_SESSIONS_PER_USER"],
    ["idle_timeout_seconds", "IDLE_TIMEOUT_SECONDS"],
    ["ORIGN_URL", "ORIGIN_URL"],
    ["SESION_SECRET", "SESSION_SECRET"],
    ["ROUTE", "ROUTES"],
  ])("names an unknown %s with the setting it probably means (%s)", async (name, meant) => {
    expect(await warningsOf({ [name]: "3" })).toEqual([`${name} is not a setting of the gateway and is ignored (did you mean ${meant}?)`]);
  });

  it("warns of a rule that admits machines with nothing narrowing which, and not of one that narrows them", async () => {
    const trusted = [{ name: "github", issuer: "https://token.actions.githubusercontent.com", audiences: ["https://github.com/acme"] }];
    expect(await warningsOf({ ROUTES: [{ path: "/api/*", access: { principals: ["user", "service", "workload"] } }], TRUSTED_ISSUERS: trusted })).toEqual([
      "ROUTES[0].access admits every service credential and every token of every trusted issuer: narrow it with roles, services, issuers or claims",
    ]);
    expect(await warningsOf({ DEFAULT_ACCESS: { principals: ["service"] } })).toEqual(["DEFAULT_ACCESS admits every service credential: narrow it with roles, services or claims"]);
    for (const access of [{ principals: ["service", "workload"], roles: ["deployer"] }, { principals: ["service", "workload"], services: ["ci"], issuers: ["github"] }, { principals: ["workload"], claims: { repository: ["acme/api"] } }]) {
      expect(await warningsOf({ ROUTES: [{ path: "/api/*", access }], TRUSTED_ISSUERS: trusted })).toEqual([]);
    }
  });

  it("names an unknown setting without a suggestion when none is close", async () => {
    expect(await warningsOf({ SOMETHING_ELSE: "x" })).toEqual(["SOMETHING_ELSE is not a setting of the gateway and is ignored"]);
  });

  it("warns that ORIGIN_URL is ignored beside the ORIGIN binding, and not when it is alone", async () => {
    const [warning] = await warningsOf({ ORIGIN_URL: "http://127.0.0.1:3000" });
    expect(warning).toMatch(/^ORIGIN_URL is ignored: the ORIGIN service binding is set/);
    expect(await warningsOf({ ORIGIN: undefined, ORIGIN_URL: "http://127.0.0.1:3000" })).toEqual([]);
  });

  it("reports the warnings of an invalid configuration too, and logs each one", async () => {
    const result = await resolveConfig({ ...base, MAX_SESSION_PER_USER: "3", AUTH_MODE: "magic" } as Env);
    expect(result.ok).toBe(false);
    expect(result.warnings.map((warning) => warning.event)).toEqual(["config.unknown_setting"]);
    const line = JSON.parse(String(consoleWarn.mock.calls[0]![0])) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "warn", event: "config.unknown_setting", name: "MAX_SESSION_PER_USER", suggestion: "MAX_SESSIONS_PER_USER" });
  });

  it("is logged by the Worker once per isolate, not once per request", async () => {
    const { createGateway } = await import("../src/app");
    const worker = createGateway();
    const workerEnv = { ...base, MAX_SESSION_PER_USER: "3" } as Env;
    for (let i = 0; i < 3; i++) await worker.fetch!(new Request("https://gateway.example/_gateway/session") as never, workerEnv, {} as ExecutionContext);
    const logged = consoleWarn.mock.calls.map(([line]) => String(line)).filter((line) => line.includes("config.unknown_setting"));
    expect(logged).toHaveLength(1);
  });
});
