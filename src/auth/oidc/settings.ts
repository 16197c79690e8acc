/**
 * The OIDC settings (`AUTH_MODE = "oidc"`), validated with the rest of the configuration:
 * every problem is added to the same list, naming the setting, quoting the value (never the
 * client secret) and stating the rule.
 *
 * The redirect URI is a setting, never built from the request's Host header (OWASP ASVS 5.0
 * §10.4.1; SECURITY.md L-06), and so is the post-logout redirect URI.
 */
import * as v from "valibot";
import type { Env } from "../../env";
import { parseSetting, quote } from "../../config/schemas";
import { defaultOf } from "../../config/settings";
import { TRANSACTION_COOKIE, type TransactionKeys } from "./transaction";

/** Where the provider sends the browser back: the gateway's callback path, fixed. */
export const CALLBACK_PATH = "/_gateway/callback";

export interface ClaimNames {
  /** Claim that becomes the session's subject (`X-Auth-User`). Default `sub`. */
  readonly sub: string;
  /** Default `email`. */
  readonly email: string;
  /** Default `name`. */
  readonly name: string;
  /** A string or an array of strings. Default `groups`. */
  readonly roles: string;
}

export interface OidcSettings {
  /** The issuer identifier exactly as configured; discovery must state the same string. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Absolute URL whose path is CALLBACK_PATH; registered at the provider. */
  readonly redirectUri: string;
  /** Where the provider sends the browser after RP-initiated logout; registered too. */
  readonly postLogoutRedirectUri: string;
  /** Space-separated scopes of the authorization request; always holds `openid`. */
  readonly scopes: string;
  readonly claims: ClaimNames;
  /**
   * The issuer is plain http on a loopback address (local development and tests). Only then
   * may the provider's endpoints be http; any other issuer must be https.
   */
  readonly allowInsecureRequests: boolean;
}

export interface ResolvedOidcConfig extends OidcSettings {
  /** Seal the login-transaction cookie (derived from SESSION_SECRET). */
  readonly transactionKeys: TransactionKeys;
  /** The fetch calls to the provider go through; unset: the global fetch (set by method.ts). */
  readonly fetch?: typeof fetch;
}


const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The OIDC settings, or null with the problems added to `problems`. */
export function parseOidcSettings(problems: string[], env: Env, sessionCookieName: string): OidcSettings | null {
  const before = problems.length;
  if (sessionCookieName === TRANSACTION_COOKIE) {
    problems.push(`COOKIE_NAME (${quote(sessionCookieName)}) must not be ${TRANSACTION_COOKIE}, the OIDC login transaction cookie`);
  }
  const issuer = requiredUrl(problems, "OIDC_ISSUER", env.OIDC_ISSUER, { allowQuery: false });
  const clientId = parseSetting(problems, "OIDC_CLIENT_ID", env.OIDC_CLIENT_ID, ClientIdSetting, null);
  if (clientId === null && !env.OIDC_CLIENT_ID) problems.push("OIDC_CLIENT_ID is not set: the client id registered at the provider");
  const clientSecret = env.OIDC_CLIENT_SECRET;
  if (!clientSecret) problems.push("OIDC_CLIENT_SECRET is not set: `wrangler secret put OIDC_CLIENT_SECRET` (or .dev.vars locally)");
  const redirectUri = requiredUrl(problems, "OIDC_REDIRECT_URI", env.OIDC_REDIRECT_URI, { allowQuery: false });
  if (redirectUri && new URL(redirectUri).pathname !== CALLBACK_PATH) {
    problems.push(`OIDC_REDIRECT_URI (${quote(redirectUri)}) must end in ${CALLBACK_PATH}: the gateway's callback, e.g. https://app.example.com${CALLBACK_PATH}`);
  }
  const postLogout = env.OIDC_POST_LOGOUT_REDIRECT_URI
    ? requiredUrl(problems, "OIDC_POST_LOGOUT_REDIRECT_URI", env.OIDC_POST_LOGOUT_REDIRECT_URI, { allowQuery: true })
    : redirectUri && `${new URL(redirectUri).origin}/`;
  const scopes = parseSetting(problems, "OIDC_SCOPES", env.OIDC_SCOPES, ScopesSetting, defaultOf("OIDC_SCOPES"));
  const claims: ClaimNames = {
    sub: parseSetting(problems, "OIDC_SUB_CLAIM", env.OIDC_SUB_CLAIM, ClaimNameSetting, defaultOf("OIDC_SUB_CLAIM")),
    email: parseSetting(problems, "OIDC_EMAIL_CLAIM", env.OIDC_EMAIL_CLAIM, ClaimNameSetting, defaultOf("OIDC_EMAIL_CLAIM")),
    name: parseSetting(problems, "OIDC_NAME_CLAIM", env.OIDC_NAME_CLAIM, ClaimNameSetting, defaultOf("OIDC_NAME_CLAIM")),
    roles: parseSetting(problems, "OIDC_ROLES_CLAIM", env.OIDC_ROLES_CLAIM, ClaimNameSetting, defaultOf("OIDC_ROLES_CLAIM")),
  };
  if (problems.length > before || !issuer || !clientId || !clientSecret || !redirectUri || !postLogout) return null;
  return {
    issuer,
    clientId,
    clientSecret,
    redirectUri,
    postLogoutRedirectUri: postLogout,
    scopes,
    claims,
    allowInsecureRequests: new URL(issuer).protocol === "http:",
  };
}

/**
 * An absolute https URL, or http on a loopback host (local development and tests), without
 * credentials or fragment (RFC 6749 §3.1.2), and without a query unless `allowQuery`.
 */
function requiredUrl(problems: string[], name: string, value: unknown, { allowQuery }: { allowQuery: boolean }): string | null {
  if (value === undefined || value === "") {
    problems.push(`${name} is not set: it must be an absolute https URL`);
    return null;
  }
  if (typeof value !== "string") {
    problems.push(`${name} (${quote(value)}) must be a string holding an absolute https URL`);
    return null;
  }
  const url = URL.parse(value);
  if (!url || !["https:", "http:"].includes(url.protocol)) {
    problems.push(`${name} (${quote(value)}) must be an absolute https URL`);
    return null;
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) {
    problems.push(`${name} (${quote(value)}) must use https (plain http is accepted only for localhost, 127.0.0.1 and [::1])`);
    return null;
  }
  if (url.username || url.password || url.hash || value.includes("#") || (!allowQuery && url.search)) {
    problems.push(`${name} (${quote(value)}) must not contain credentials, a fragment${allowQuery ? "" : " or a query"}`);
    return null;
  }
  // The string as written: an issuer identifier is compared character for character.
  return value;
}

const NoControlCharacters = /^[^\x00-\x20\x7f]+$/;

const ClientIdSetting = v.pipe(
  v.string("must be a string"),
  v.maxLength(255, "must be at most 255 characters"),
  v.regex(NoControlCharacters, "must not contain spaces or control characters"),
);

// RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const ScopesSetting = v.pipe(
  v.string("must be a string"),
  v.transform((value) => value.trim()),
  v.regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, "must be scope tokens separated by single spaces"),
  v.check((value) => value.split(" ").includes("openid"), 'must include "openid"'),
);

const ClaimNameSetting = v.pipe(
  v.string("must be a string"),
  v.maxLength(200, "must be at most 200 characters"),
  v.regex(NoControlCharacters, "must be a claim name (a dotted path such as realm_access.roles reaches into objects)"),
);
