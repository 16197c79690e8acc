/**
 * The access decision as a plain function (policy/evaluate.ts): no Durable Object, no login,
 * no request — a compiled policy, an AccessRequest, a principal value and the time. What the
 * gateway answers for each decision is proven through the fetch handler elsewhere (access,
 * requirements, method-override); here each rule of the decision is pinned down on its own.
 */
import { describe, expect, it } from "vitest";
import type { Principal } from "../src/credentials/principal";
import { evaluate, type AccessRequest, type Excluded } from "../src/policy/evaluate";
import { parseIpRange, type IpRange } from "../src/policy/ip-ranges";
import type { Requirements } from "../src/policy/requirements";
import { compileRoutePolicy, type Access, type RouteRule } from "../src/policy/routes";

const NOW_MS = Date.parse("2026-06-01T12:00:00Z");
const PUBLIC: Access = { kind: "public" };
const SESSION: Access = { kind: "session" };
const needs = (requirements: Requirements): Access => ({ kind: "requirements", requirements });

function range(block: string): IpRange {
  const parsed = parseIpRange(block);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

const rules: RouteRule[] = [
  { path: "/public/*", access: PUBLIC },
  { path: "/app/*", access: SESSION },
  { path: "/admin/*", access: needs({ roles: ["admin"] }), origin: "ops" },
  { path: "/staff/*", access: needs({ emailDomains: ["example.com"] }) },
  { path: "/office/*", access: needs({ ips: [range("192.0.2.0/24")] }) },
  { path: "/de/*", access: needs({ countries: ["DE"] }) },
  { path: "/billing/*", access: needs({ maxAuthAgeSeconds: 300 }) },
  { path: "/vault/*", access: needs({ roles: ["admin"], maxAuthAgeSeconds: 300 }) },
  { path: "/reports/*", methods: ["GET"], access: needs({ roles: ["analyst", "admin"] }) },
  { path: "/reports/*", methods: ["POST"], access: needs({ roles: ["admin"] }) },
  { path: "/forms/*", methods: ["POST"], access: PUBLIC },
  { path: "/forms/*", methods: ["GET"], access: PUBLIC },
  { path: "/recent/*", methods: ["GET"], access: needs({ maxAuthAgeSeconds: 600 }) },
  { path: "/recent/*", methods: ["POST"], access: needs({ maxAuthAgeSeconds: 60 }) },
  { path: "/deploy/*", access: needs({ principals: ["user", "service"], roles: ["deployer"], services: ["ci-deploy"] }) },
  { path: "/ci/*", access: needs({ principals: ["workload"], issuers: ["github"], claims: { repository: ["acme/api"] } }) },
  { path: "/machines/*", access: needs({ principals: ["service", "workload"] }) },
];
const policy = compileRoutePolicy({ rules, defaultAccess: SESSION, caseInsensitivePaths: false });

function ask(method: string, path: string, more: Partial<AccessRequest> = {}): AccessRequest {
  return { method, host: "app.example.com", path, overrides: [], clientIp: "192.0.2.10", country: "DE", ...more };
}

function user(more: Partial<Principal> = {}): Principal {
  return { kind: "user", id: "alice", roles: [], email: "alice@example.com", authenticatedAtMs: NOW_MS - 60_000, ...more };
}

function service(name: string, roles: string[] = []): Principal {
  return { kind: "service", id: `service:${name}`, service: name, roles, authenticatedAtMs: NOW_MS };
}

function workload(issuer: string, claims: Record<string, unknown> = {}): Principal {
  return { kind: "workload", id: "repo:acme/api:ref:refs/heads/main", issuer, roles: [], claims, authenticatedAtMs: NOW_MS - 10_000 };
}

const EXCLUDED: Excluded = { kind: "excluded", requirement: "ALLOWED_USERS" };

describe("evaluate: public and session", () => {
  it("allows a public route to nobody, with no login time to watch", () => {
    expect(evaluate(policy, ask("GET", "/public/a"), null, NOW_MS)).toEqual({ outcome: "allowed", reason: "public", access: PUBLIC, rule: "/public/*", origin: "default", reauthenticateAtMs: null });
  });

  it("asks nobody on a session route to sign in, with no max_age", () => {
    const decision = evaluate(policy, ask("GET", "/app/a"), null, NOW_MS);
    expect(decision).toEqual({ outcome: "unauthenticated", reason: "no-session", access: SESSION, rule: "/app/*", origin: "default" });
  });

  it("allows a user on a session route", () => {
    expect(evaluate(policy, ask("GET", "/app/a"), user(), NOW_MS)).toMatchObject({ outcome: "allowed", reason: "session", reauthenticateAtMs: null });
  });

  it("decides a path no rule names by DEFAULT_ACCESS at the default origin", () => {
    expect(evaluate(policy, ask("GET", "/elsewhere"), null, NOW_MS)).toMatchObject({ outcome: "unauthenticated", rule: "DEFAULT_ACCESS", origin: "default" });
  });

  it("names the origin of the rule that matched", () => {
    expect(evaluate(policy, ask("GET", "/admin/x"), user({ roles: ["admin"] }), NOW_MS)).toMatchObject({ outcome: "allowed", origin: "ops", rule: "/admin/*" });
  });
});

describe("evaluate: requirements", () => {
  it.each<[string, string, Partial<Principal>, Partial<AccessRequest>, string]>([
    ["a role the rule lists", "/admin/x", { roles: ["admin"] }, {}, "allowed"],
    ["no role the rule lists", "/admin/x", { roles: ["user"] }, {}, "forbidden:roles"],
    ["an email in the domain", "/staff/x", {}, {}, "allowed"],
    ["an email in a look-alike domain", "/staff/x", { email: "alice@example.com.evil.test" }, {}, "forbidden:emailDomains"],
    ["no email at all, for an email domain", "/staff/x", { email: undefined }, {}, "forbidden:emailDomains"],
    ["an address inside the block", "/office/x", {}, { clientIp: "192.0.2.200" }, "allowed"],
    ["an address outside the block", "/office/x", {}, { clientIp: "198.51.100.1" }, "forbidden:ips"],
    ["no address, for an ip block", "/office/x", {}, { clientIp: null }, "forbidden:ips"],
    ["the country the rule lists", "/de/x", {}, { country: "DE" }, "allowed"],
    ["no country, for a country list", "/de/x", {}, { country: null }, "forbidden:countries"],
  ])("decides %s", (_, path, principal, request, expected) => {
    const decision = evaluate(policy, ask("GET", path, request), user(principal), NOW_MS);
    expect(decision?.outcome === "allowed" ? "allowed" : `${decision?.outcome}:${decision?.reason}`).toBe(expected);
  });

  it("allows a recent login and says when it becomes too old", () => {
    const authenticatedAtMs = NOW_MS - 100_000;
    const decision = evaluate(policy, ask("GET", "/billing/x"), user({ authenticatedAtMs }), NOW_MS);
    expect(decision).toMatchObject({ outcome: "allowed", reason: "requirements", reauthenticateAtMs: authenticatedAtMs + 300_000 });
  });

  it("asks for a new login, with max_age, once the login is older than maxAuthAgeSeconds", () => {
    const principal = user({ authenticatedAtMs: NOW_MS - 100_000 });
    expect(evaluate(policy, ask("GET", "/billing/x"), principal, NOW_MS + 200_001)).toMatchObject({ outcome: "reauthenticate", reason: "maxAuthAgeSeconds", maxAgeSeconds: 300 });
    expect(evaluate(policy, ask("GET", "/billing/x"), principal, NOW_MS + 200_000)).toMatchObject({ outcome: "allowed" });
  });

  it("never counts a login at an unknown time as recent", () => {
    const decision = evaluate(policy, ask("GET", "/billing/x"), user({ authenticatedAtMs: null }), NOW_MS);
    expect(decision).toMatchObject({ outcome: "reauthenticate", maxAgeSeconds: 300 });
  });

  it("refuses with the other requirement when a new login would not meet it either", () => {
    const decision = evaluate(policy, ask("GET", "/vault/x"), user({ roles: [], authenticatedAtMs: null }), NOW_MS);
    expect(decision).toMatchObject({ outcome: "forbidden", reason: "roles" });
  });

  it("asks nobody for a login that proves a recent sign-in from the start", () => {
    expect(evaluate(policy, ask("GET", "/billing/x"), null, NOW_MS)).toMatchObject({ outcome: "unauthenticated", maxAgeSeconds: 300 });
  });
});

describe("evaluate: method-dependent access and overrides", () => {
  const analyst = user({ roles: ["analyst"] });
  const admin = user({ roles: ["admin"] });

  it("decides each method by its own rule", () => {
    expect(evaluate(policy, ask("GET", "/reports/q3"), analyst, NOW_MS)).toMatchObject({ outcome: "allowed", rule: "GET /reports/*" });
    expect(evaluate(policy, ask("POST", "/reports/q3"), analyst, NOW_MS)).toMatchObject({ outcome: "forbidden", reason: "roles", rule: "POST /reports/*" });
  });

  it("makes a request pass the rule of every method its overrides could run it as", () => {
    expect(evaluate(policy, ask("GET", "/reports/q3", { overrides: ["POST"] }), analyst, NOW_MS)).toMatchObject({ outcome: "forbidden", reason: "roles" });
    expect(evaluate(policy, ask("GET", "/reports/q3", { overrides: ["POST"] }), admin, NOW_MS)).toMatchObject({ outcome: "allowed", rule: "GET /reports/*" });
  });

  it("asks nobody to sign in when an override leaves a public route for one that needs a session", () => {
    expect(evaluate(policy, ask("POST", "/forms/a"), null, NOW_MS)).toMatchObject({ outcome: "allowed", reason: "public" });
    expect(evaluate(policy, ask("POST", "/forms/a", { overrides: ["DELETE"] }), null, NOW_MS)).toMatchObject({ outcome: "unauthenticated", access: SESSION });
  });

  it("keeps a public route public when every override is public too", () => {
    expect(evaluate(policy, ask("POST", "/forms/a", { overrides: ["GET", "POST"] }), null, NOW_MS)).toMatchObject({ outcome: "allowed", reason: "public" });
  });

  it("watches the smallest maxAuthAgeSeconds of the rules that allowed it", () => {
    const authenticatedAtMs = NOW_MS - 10_000;
    const decision = evaluate(policy, ask("GET", "/recent/x", { overrides: ["POST"] }), user({ authenticatedAtMs }), NOW_MS);
    expect(decision).toMatchObject({ outcome: "allowed", reauthenticateAtMs: authenticatedAtMs + 60_000 });
  });

  it("asks for the strictest max_age among the methods", () => {
    const decision = evaluate(policy, ask("GET", "/recent/x", { overrides: ["POST"] }), user({ authenticatedAtMs: NOW_MS - 120_000 }), NOW_MS);
    expect(decision).toMatchObject({ outcome: "reauthenticate", maxAgeSeconds: 60 });
  });
});

describe("evaluate: a principal ALLOWED_USERS shuts out", () => {
  it("lets it through a public route", () => {
    expect(evaluate(policy, ask("GET", "/public/a"), EXCLUDED, NOW_MS)).toMatchObject({ outcome: "allowed", reason: "public" });
  });

  it("refuses it with 403 rather than a login where a session is needed", () => {
    expect(evaluate(policy, ask("GET", "/app/a"), EXCLUDED, NOW_MS)).toMatchObject({ outcome: "forbidden", reason: "ALLOWED_USERS" });
  });
});

describe("evaluate: apps by host", () => {
  const byHost = compileRoutePolicy({
    rules: [
      { path: "/status", methods: ["GET"], access: PUBLIC },
      { host: "shop.example.com", path: "/*", access: SESSION, origin: "shop" },
    ],
    defaultAccess: SESSION,
    caseInsensitivePaths: false,
  });

  it("serves a host a rule names", () => {
    expect(evaluate(byHost, ask("GET", "/cart", { host: "shop.example.com" }), user(), NOW_MS)).toMatchObject({ outcome: "allowed", origin: "shop" });
  });

  it("has no decision for a host no rule serves", () => {
    expect(evaluate(byHost, ask("GET", "/cart", { host: "other.example.com" }), user(), NOW_MS)).toBeNull();
  });

  it("has no decision when an override reaches no rule on a host no rule serves", () => {
    expect(evaluate(byHost, ask("GET", "/status", { host: "other.example.com" }), null, NOW_MS)).toMatchObject({ outcome: "allowed" });
    expect(evaluate(byHost, ask("GET", "/status", { host: "other.example.com", overrides: ["DELETE"] }), null, NOW_MS)).toBeNull();
  });
});

describe("evaluate: principals", () => {
  const outcome = (path: string, principal: Principal | null) => {
    const decision = evaluate(policy, ask("GET", path), principal, NOW_MS);
    return decision && (decision.outcome === "forbidden" ? `forbidden ${decision.reason}` : decision.outcome);
  };

  it.each<[string, string, Principal | null, string]>([
    ["a session route admits users alone", "/app/a", service("ci-deploy"), "forbidden principals"],
    ["requirements without principals admit users alone", "/admin/a", service("ops", ["admin"]), "forbidden principals"],
    ["a service among those named, with the role", "/deploy/a", service("ci-deploy", ["deployer"]), "allowed"],
    ["a service not named", "/deploy/a", service("backup", ["deployer"]), "forbidden services"],
    ["a named service without the role", "/deploy/a", service("ci-deploy"), "forbidden roles"],
    ["a user there: `services` narrows services only", "/deploy/a", user({ roles: ["deployer"] }), "allowed"],
    ["a workload where users and services are admitted", "/deploy/a", workload("github"), "forbidden principals"],
    ["a workload of the named issuer with the claim", "/ci/a", workload("github", { repository: "acme/api" }), "allowed"],
    ["a workload of another issuer", "/ci/a", workload("gitlab", { repository: "acme/api" }), "forbidden issuers"],
    ["a workload whose claim is an array holding the value", "/ci/a", workload("github", { repository: ["acme/web", "acme/api"] }), "allowed"],
    ["a workload whose claim differs", "/ci/a", workload("github", { repository: "acme/web" }), "forbidden claims"],
    ["a workload without the claim", "/ci/a", workload("github"), "forbidden claims"],
    ["a user where only workloads are admitted", "/ci/a", user(), "forbidden principals"],
    ["nobody where only machines are admitted", "/machines/a", null, "unauthenticated"],
    ["any service where machines are admitted unnarrowed", "/machines/a", service("anything"), "allowed"],
  ])("%s", (_what, path, principal, expected) => {
    expect(outcome(path, principal)).toBe(expected);
  });

  it("counts a workload's maxAuthAgeSeconds from its token's iat", () => {
    const aged = compileRoutePolicy({ rules: [{ path: "/*", access: needs({ principals: ["workload"], maxAuthAgeSeconds: 5 }) }], defaultAccess: SESSION, caseInsensitivePaths: false });
    expect(evaluate(aged, ask("GET", "/a"), workload("github"), NOW_MS)).toMatchObject({ outcome: "reauthenticate", maxAgeSeconds: 5 });
    expect(evaluate(aged, ask("GET", "/a"), workload("github"), NOW_MS - 6_000)).toMatchObject({ outcome: "allowed" });
  });
});
