/**
 * COOKIE_NAME and COOKIE_DOMAIN. By default the session is one hostname's: a `__Host-` cookie,
 * which no other host can set or read. COOKIE_DOMAIN shares it across the subdomains of a
 * domain: the cookie becomes `__Secure-` with `Domain=`, and every host under that domain
 * receives it — which is why every host a rule names must be under it, and why the risk is
 * spelled out where the setting is documented (docs/several-apps.md).
 */
import * as v from "valibot";
import type { Env } from "../env";
import type { SessionCookieSpec } from "../http/cookies";
import { defaultOf } from "./settings";
import { parseSetting, quote } from "./schemas";

// RFC 6265bis §4.1.1 cookie-name (a token), with the prefix that goes with the cookie's scope.
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const HostOnlyName = v.pipe(v.string("must be a string"), v.regex(new RegExp(`^__Host-${TOKEN}$`), 'must be a cookie-name token starting with "__Host-"'));
const DomainName = v.pipe(
  v.string("must be a string"),
  v.regex(new RegExp(`^__Secure-${TOKEN}$`), 'must be a cookie-name token starting with "__Secure-" when COOKIE_DOMAIN is set (a __Host- cookie cannot have a Domain)'),
);

// A DNS name of two labels or more, lower case; a leading dot (old cookie syntax) is dropped.
const CookieDomainSetting = v.pipe(
  v.string("must be a string"),
  v.transform((value) => value.toLowerCase().replace(/^\./, "")),
  v.regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a domain such as "example.com": its subdomains share one session'),
);

/** The default cookie name when COOKIE_DOMAIN is set. */
export const SHARED_COOKIE_NAME = "__Secure-session";

export function resolveSessionCookie(problems: string[], env: Env): SessionCookieSpec | null {
  const before = problems.length;
  const domain = parseSetting(problems, "COOKIE_DOMAIN", env.COOKIE_DOMAIN, CookieDomainSetting, null);
  const name = domain === null && !env.COOKIE_DOMAIN
    ? parseSetting(problems, "COOKIE_NAME", env.COOKIE_NAME, HostOnlyName, defaultOf("COOKIE_NAME"))
    : parseSetting(problems, "COOKIE_NAME", env.COOKIE_NAME, DomainName, SHARED_COOKIE_NAME);
  return problems.length > before ? null : { name, domain };
}

/** Whether a hostname is the cookie domain or one of its subdomains (RFC 6265bis §5.1.3). */
export function underDomain(hostname: string, domain: string): boolean {
  return hostname === domain || hostname.endsWith(`.${domain}`);
}

/**
 * With COOKIE_DOMAIN, every host a rule names must receive the cookie: a browser drops a
 * `Set-Cookie` whose Domain does not cover the host it came from, so a login there would
 * silently fail. A pattern counts by what follows its last `*`.
 */
export function cookieDomainProblems(cookie: SessionCookieSpec, rules: readonly { readonly host?: string }[], env: Env): string[] {
  const { domain } = cookie;
  if (domain === null) return [];
  const problems = rules.flatMap((rule, index) => {
    if (rule.host === undefined) return [];
    const star = rule.host.lastIndexOf("*");
    const covered = star === -1 ? underDomain(rule.host, domain) : rule.host.slice(star + 1).endsWith(`.${domain}`);
    return covered ? [] : [`ROUTES[${index}].host (${quote(rule.host)}) is not under COOKIE_DOMAIN (${quote(domain)}): the session cookie would not reach it`];
  });
  const redirect = typeof env.OIDC_REDIRECT_URI === "string" && URL.canParse(env.OIDC_REDIRECT_URI) ? new URL(env.OIDC_REDIRECT_URI).hostname : null;
  if (env.AUTH_MODE === "oidc" && redirect !== null && !underDomain(redirect, domain)) {
    problems.push(`OIDC_REDIRECT_URI's host (${quote(redirect)}) is not under COOKIE_DOMAIN (${quote(domain)}): the callback could not set the shared session cookie`);
  }
  return problems;
}
