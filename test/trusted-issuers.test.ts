/** TRUSTED_ISSUERS: defaults filled in, every problem reported together, quoting the value and the rule. */
import { describe, expect, it } from "vitest";
import { resolveTrustedIssuers, type TrustedIssuer } from "../src/credentials/trusted-issuers";

const GITHUB = { name: "github", issuer: "https://token.actions.githubusercontent.com", audiences: ["https://github.com/acme"] };

function resolved(value: unknown): readonly TrustedIssuer[] {
  const problems: string[] = [];
  const issuers = resolveTrustedIssuers(problems, value);
  if (!issuers) throw new Error(problems.join("\n"));
  expect(problems).toEqual([]);
  return issuers;
}

function problemsOf(value: unknown): string[] {
  const problems: string[] = [];
  expect(resolveTrustedIssuers(problems, value)).toBeNull();
  return problems;
}

describe("TRUSTED_ISSUERS", () => {
  it("fills in the defaults of DESIGN §1.2", () => {
    expect(resolved([GITHUB])).toEqual([
      {
        name: "github",
        issuer: "https://token.actions.githubusercontent.com",
        audiences: ["https://github.com/acme"],
        jwksUrl: null,
        discoveryUrl: "https://token.actions.githubusercontent.com/.well-known/openid-configuration",
        algorithms: ["RS256", "ES256", "EdDSA"],
        subjectClaim: "sub",
        rolesClaim: null,
        maxTokenLifetimeSeconds: 3600,
        allowInsecureHttp: false,
      },
    ]);
  });

  it("keeps every field that is given, and the issuer exactly as written", () => {
    const [k8s] = resolved([
      {
        name: "k8s-prod",
        issuer: "https://oidc.example.com/cluster/",
        audiences: ["gateway", "gateway"],
        jwksUrl: "https://oidc.example.com/cluster/openid/v1/jwks",
        algorithms: ["RS256"],
        subjectClaim: "kubernetes.io.serviceaccount.name",
        rolesClaim: "groups",
        maxTokenLifetimeSeconds: 600,
      },
    ]);
    expect(k8s).toMatchObject({
      issuer: "https://oidc.example.com/cluster/",
      audiences: ["gateway"],
      jwksUrl: "https://oidc.example.com/cluster/openid/v1/jwks",
      // Discovery §4: the issuer's trailing "/" is not doubled.
      discoveryUrl: "https://oidc.example.com/cluster/.well-known/openid-configuration",
      algorithms: ["RS256"],
      subjectClaim: "kubernetes.io.serviceaccount.name",
      rolesClaim: "groups",
      maxTokenLifetimeSeconds: 600,
    });
  });

  it("reads the value as JSON text (.dev.vars, --var) and an unset value as no issuer", () => {
    expect(resolved(JSON.stringify([GITHUB]))[0]!.name).toBe("github");
    expect(resolved(undefined)).toEqual([]);
    expect(resolved("")).toEqual([]);
  });

  it("accepts plain http on a loopback issuer only, for tests and local development", () => {
    expect(resolved([{ ...GITHUB, issuer: "http://127.0.0.1:8787/issuer" }])[0]!.allowInsecureHttp).toBe(true);
    expect(resolved([{ ...GITHUB, issuer: "http://localhost:9000" }])[0]!.allowInsecureHttp).toBe(true);
  });

  it.each([
    ["no audiences", [{ name: "a", issuer: GITHUB.issuer }], 'TRUSTED_ISSUERS[0] ({"name":"a","issuer":"https://token.actions.githubusercontent.com"}) has no "audiences": an issuer is {name, issuer, audiences, jwksUrl?, algorithms?, subjectClaim?, rolesClaim?, maxTokenLifetimeSeconds?}'],
    ["empty audiences", [{ ...GITHUB, audiences: [] }], "TRUSTED_ISSUERS[0].audiences ([]) must not be empty: a token is accepted only when its aud names this gateway"],
    ["an http issuer that is not loopback", [{ ...GITHUB, issuer: "http://issuer.example.com" }], 'TRUSTED_ISSUERS[0].issuer ("http://issuer.example.com") must be an absolute https URL without credentials, query or fragment (plain http only on localhost, 127.0.0.1 or [::1], for tests and local development)'],
    ["an issuer with a query", [{ ...GITHUB, issuer: "https://issuer.example.com/?tenant=1" }], 'TRUSTED_ISSUERS[0].issuer ("https://issuer.example.com/?***") must be an absolute https URL'],
    ["an issuer that is no URL", [{ ...GITHUB, issuer: "token.actions.githubusercontent.com" }], 'TRUSTED_ISSUERS[0].issuer ("token.actions.githubusercontent.com") must be an absolute https URL'],
    ["alg none", [{ ...GITHUB, algorithms: ["RS256", "none"] }], 'TRUSTED_ISSUERS[0].algorithms[1] ("none") must not be "none": it accepts unsigned tokens, which anyone can make'],
    ["HS256", [{ ...GITHUB, algorithms: ["HS256"] }], 'TRUSTED_ISSUERS[0].algorithms[0] ("HS256") must not be an HMAC algorithm (HS*)'],
    ["an unknown algorithm", [{ ...GITHUB, algorithms: ["RS257"] }], 'TRUSTED_ISSUERS[0].algorithms[0] ("RS257") must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519'],
    ["no algorithms", [{ ...GITHUB, algorithms: [] }], "TRUSTED_ISSUERS[0].algorithms ([]) must not be empty (leave the key out for the default)"],
    ["a misspelt key", [{ ...GITHUB, audience: "x" }], 'has an unknown key "audience" (did you mean "audiences"?)'],
    ["a bad name", [{ ...GITHUB, name: "GitHub Actions" }], 'TRUSTED_ISSUERS[0].name ("GitHub Actions") must be a name'],
    ["a zero lifetime", [{ ...GITHUB, maxTokenLifetimeSeconds: 0 }], "TRUSTED_ISSUERS[0].maxTokenLifetimeSeconds (0) must be at least 1"],
    ["a lifetime over a day", [{ ...GITHUB, maxTokenLifetimeSeconds: 86_401 }], "TRUSTED_ISSUERS[0].maxTokenLifetimeSeconds (86401) must be at most 86400 (a day)"],
    ["an http jwksUrl for an https issuer", [{ ...GITHUB, jwksUrl: "http://127.0.0.1/jwks" }], 'TRUSTED_ISSUERS[0].jwksUrl ("http://127.0.0.1/jwks") must be https: the issuer is https'],
    ["a jwksUrl with credentials", [{ ...GITHUB, jwksUrl: "https://user:pw@keys.example.com/jwks" }], 'TRUSTED_ISSUERS[0].jwksUrl ("https://***@keys.example.com/jwks") must be an absolute https URL'],
    ["a table instead of an array", GITHUB, "TRUSTED_ISSUERS"],
    ["JSON that does not parse", "[{name:", 'TRUSTED_ISSUERS ("[{name:") is not valid JSON'],
    ["two entries with one name", [GITHUB, { ...GITHUB, issuer: "https://other.example.com" }], `TRUSTED_ISSUERS[1].name ("github") is also TRUSTED_ISSUERS[0]'s: names must be unique`],
    ["two entries with one issuer", [GITHUB, { ...GITHUB, name: "github-deploy" }], `TRUSTED_ISSUERS[1].issuer ("https://token.actions.githubusercontent.com") is also TRUSTED_ISSUERS[0]'s: one entry per issuer`],
  ])("reports %s", (_, value, expected) => {
    const problems = problemsOf(value);
    expect(problems.some((problem) => problem.startsWith(expected) || problem.includes(expected)), `${expected}\nnot in\n${problems.join("\n")}`).toBe(true);
  });

  it("reports every problem of every entry together", () => {
    const problems = problemsOf([
      { ...GITHUB, audiences: [] },
      { name: "k8s", issuer: "http://k8s.example.com", audiences: ["gateway"], algorithms: ["none", "HS512"] },
    ]);
    expect(problems).toEqual([
      "TRUSTED_ISSUERS[0].audiences ([]) must not be empty: a token is accepted only when its aud names this gateway",
      expect.stringMatching(/^TRUSTED_ISSUERS\[1\]\.issuer \("http:\/\/k8s\.example\.com"\) must be an absolute https URL/),
      expect.stringMatching(/^TRUSTED_ISSUERS\[1\]\.algorithms\[0\] \("none"\) must not be "none"/),
      expect.stringMatching(/^TRUSTED_ISSUERS\[1\]\.algorithms\[1\] \("HS512"\) must not be an HMAC algorithm/),
    ]);
  });

  it("reports a duplicate among the right entries beside a wrong entry's problem", () => {
    const problems = problemsOf([GITHUB, { ...GITHUB, name: "x", issuer: "ftp://x" }, { ...GITHUB, issuer: "https://other.example.com" }]);
    expect(problems).toEqual([
      expect.stringMatching(/^TRUSTED_ISSUERS\[1\]\.issuer \("ftp:\/\/x"\) must be an absolute https URL/),
      `TRUSTED_ISSUERS[2].name ("github") is also TRUSTED_ISSUERS[0]'s: names must be unique (rules and X-Auth-Issuer use them)`,
    ]);
  });
});
