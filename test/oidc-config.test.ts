/** The OIDC settings: defaults, every problem reported together, the client secret never quoted. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resolveConfig, type ResolvedConfig } from "../src/config/resolve";
import type { Env } from "../src/env";
import { silenceConfigLogs } from "./helpers";

const SECRET = "oidc-config-test-client-secret-value";

const oidc = {
  AUTH_MODE: "oidc",
  OIDC_ISSUER: "https://idp.example.com/realms/main",
  OIDC_CLIENT_ID: "gateway",
  OIDC_CLIENT_SECRET: SECRET,
  OIDC_REDIRECT_URI: "https://app.example.com/_gateway/callback",
  ALLOWED_USERS: "any",
};

const base: Env = { ...(env as unknown as Env), ...oidc };

const { errorLog } = silenceConfigLogs();

async function resolved(overrides: Partial<Env> = {}): Promise<ResolvedConfig> {
  const result = await resolveConfig({ ...base, ...overrides });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

async function problemsOf(overrides: Partial<Env>): Promise<string[]> {
  const result = await resolveConfig({ ...base, ...overrides });
  if (result.ok) throw new Error("expected an invalid configuration");
  return result.problems;
}

describe("OIDC settings", () => {
  it("resolves the settings with their defaults", async () => {
    const config = await resolved();
    expect(config.oidc).not.toBeNull();
    expect(config.oidc).toMatchObject({
      issuer: "https://idp.example.com/realms/main",
      clientId: "gateway",
      clientSecret: SECRET,
      redirectUri: "https://app.example.com/_gateway/callback",
      postLogoutRedirectUri: "https://app.example.com/",
      scopes: "openid email profile",
      claims: { sub: "sub", email: "email", name: "name", roles: "groups" },
      allowInsecureRequests: false,
    });
    expect(config.oidc!.transactionKeys.opening).toHaveLength(2);
  });

  it("needs no OIDC setting in delegated mode", async () => {
    const config = await resolved({ AUTH_MODE: "delegated", OIDC_ISSUER: undefined, OIDC_CLIENT_ID: undefined, OIDC_CLIENT_SECRET: undefined, OIDC_REDIRECT_URI: undefined });
    expect(config.oidc).toBeNull();
  });

  it.each([undefined, ""])("refuses an OIDC configuration without ALLOWED_USERS (%j), saying to set it or \"any\"", async (value) => {
    const problems = await problemsOf({ ALLOWED_USERS: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ALLOWED_USERS is not set: in OIDC mode it must say who may sign in, .*or be "any" to admit every account the provider signs in$/);
  });

  it("takes ALLOWED_USERS = \"any\" as the operator's choice to admit every account", async () => {
    expect((await resolved({ ALLOWED_USERS: "any" })).allowedUsers).toBeNull();
  });

  it("accepts plain http only for a loopback issuer (development and tests)", async () => {
    const config = await resolved({ OIDC_ISSUER: "http://127.0.0.1:9000", OIDC_REDIRECT_URI: "http://localhost:8787/_gateway/callback" });
    expect(config.oidc!.allowInsecureRequests).toBe(true);
  });

  it("reports every missing setting together", async () => {
    const problems = await problemsOf({ OIDC_ISSUER: undefined, OIDC_CLIENT_ID: undefined, OIDC_CLIENT_SECRET: undefined, OIDC_REDIRECT_URI: undefined });
    expect(problems).toHaveLength(4);
    for (const name of ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_REDIRECT_URI"]) {
      expect(problems.some((problem) => problem.startsWith(`${name} is not set`))).toBe(true);
    }
  });

  it.each([
    ["an http issuer that is not loopback", { OIDC_ISSUER: "http://idp.example.com" }, ['OIDC_ISSUER ("http://idp.example.com")', "must use https"]],
    ["an issuer that is not a URL", { OIDC_ISSUER: "idp.example.com" }, ['OIDC_ISSUER ("idp.example.com")', "absolute https URL"]],
    ["an issuer with a query", { OIDC_ISSUER: "https://idp.example.com/?tenant=1" }, ["OIDC_ISSUER", "query"]],
    ["an issuer with a fragment", { OIDC_ISSUER: "https://idp.example.com/#x" }, ["OIDC_ISSUER", "fragment"]],
    ["a redirect URI on another path", { OIDC_REDIRECT_URI: "https://app.example.com/callback" }, ["OIDC_REDIRECT_URI", "must end in /_gateway/callback"]],
    ["an http redirect URI off loopback", { OIDC_REDIRECT_URI: "http://app.example.com/_gateway/callback" }, ["OIDC_REDIRECT_URI", "must use https"]],
    ["a relative redirect URI", { OIDC_REDIRECT_URI: "/_gateway/callback" }, ["OIDC_REDIRECT_URI", "absolute https URL"]],
    ["a post-logout URI with credentials", { OIDC_POST_LOGOUT_REDIRECT_URI: "https://u:p@app.example.com/" }, ["OIDC_POST_LOGOUT_REDIRECT_URI", "credentials"]],
    ["scopes without openid", { OIDC_SCOPES: "email profile" }, ['OIDC_SCOPES ("email profile")', 'must include "openid"']],
    ["scopes with a quote", { OIDC_SCOPES: 'openid "x"' }, ["OIDC_SCOPES", "scope tokens"]],
    ["a client id with a space", { OIDC_CLIENT_ID: "my client" }, ['OIDC_CLIENT_ID ("my client")', "spaces"]],
    ["an empty-looking claim name", { OIDC_ROLES_CLAIM: " " }, ["OIDC_ROLES_CLAIM", "claim name"]],
  ])("refuses %s, naming the setting and the rule", async (_, overrides, fragments) => {
    const problems = await problemsOf(overrides as Partial<Env>);
    expect(problems).toHaveLength(1);
    for (const fragment of fragments) expect(problems[0]).toContain(fragment);
  });

  it("refuses a COOKIE_NAME that is the login transaction cookie's", async () => {
    const problems = await problemsOf({ COOKIE_NAME: "__Host-gateway-login" });
    expect(problems).toEqual(['COOKIE_NAME ("__Host-gateway-login") must not be __Host-gateway-login, the OIDC login transaction cookie']);
  });

  it("reports OIDC problems together with the others, and never quotes the client secret", async () => {
    const problems = await problemsOf({ OIDC_ISSUER: "http://idp.example.com", OIDC_SCOPES: "profile", IDLE_TIMEOUT_SECONDS: "soon" });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).not.toContain(SECRET);
    const logged = errorLog();
    expect(logged).not.toContain(SECRET);
  });

  it("takes OIDC_POST_LOGOUT_REDIRECT_URI and the claim names as given", async () => {
    const config = await resolved({
      OIDC_POST_LOGOUT_REDIRECT_URI: "https://app.example.com/signed-out?from=idp",
      OIDC_SCOPES: "openid profile groups",
      OIDC_SUB_CLAIM: "oid",
      OIDC_EMAIL_CLAIM: "upn",
      OIDC_NAME_CLAIM: "given_name",
      OIDC_ROLES_CLAIM: "realm_access.roles",
    });
    expect(config.oidc).toMatchObject({
      postLogoutRedirectUri: "https://app.example.com/signed-out?from=idp",
      scopes: "openid profile groups",
      claims: { sub: "oid", email: "upn", name: "given_name", roles: "realm_access.roles" },
    });
  });
});
