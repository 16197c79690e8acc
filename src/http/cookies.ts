/**
 * Reading and writing the session cookie. The Cookie header is read as browsers write it and
 * origin frameworks read it: pairs separated by `;` only (RFC 6265bis §5.4). A comma is part
 * of a value (browsers keep it, and so do Go, Rails and Express), so `x=a,__Host-session=<t>`
 * is one cookie `x`, never a second session cookie (SECURITY.md X-02). The cookie is looked up
 * by its exact name; two cookies of that name make the request ambiguous and it is treated as
 * having none (no order a server could trust; C-07), without clearing either.
 */
import { serialize } from "hono/utils/cookie";

export type SessionCookie =
  | { kind: "none" }
  | { kind: "ambiguous"; values: readonly string[] }
  | { kind: "one"; value: string };

/** A Cookie header longer than this is not parsed for a session (cookie bombs). */
export const MAX_COOKIE_HEADER_LENGTH = 16 * 1024;

export function readSessionCookie(cookieHeader: string | null, name: string): SessionCookie {
  if (!cookieHeader || cookieHeader.length > MAX_COOKIE_HEADER_LENGTH) return { kind: "none" };
  const values = cookiePairs(cookieHeader)
    .filter((pair) => pair.name === name)
    .map((pair) => pair.value);
  if (values.length === 0) return { kind: "none" };
  if (values.length > 1) return { kind: "ambiguous", values };
  return { kind: "one", value: values[0]! };
}

/**
 * The Cookie header without the named cookies, or null when nothing is left. A pair that holds
 * one of them after a comma (`x=a,__Host-session=<t>`, or two Cookie lines a runtime joined
 * with ", ") goes whole: a reader that splits on commas must not find the token either.
 * Every other pair passes byte for byte, commas included.
 */
export function cookieHeaderWithout(cookieHeader: string | null, names: readonly string[] | ((name: string) => boolean)): string | null {
  if (!cookieHeader) return null;
  const isNamed = typeof names === "function" ? names : (name: string) => names.includes(name);
  const kept = splitPairs(cookieHeader).filter((pair) => !pair.split(",").some((part) => isNamed(cookieName(part))));
  return kept.length > 0 ? kept.join("; ") : null;
}

/**
 * Every cookie the gateway owns besides the session cookie is named with this prefix (the
 * OIDC login transaction is `__Host-gateway-login`), in every mode: the origin never sees one
 * and can never set one.
 */
export const GATEWAY_COOKIE_PREFIX = "__Host-gateway-";

/** Whether a cookie is the gateway's: the session cookie, or one under GATEWAY_COOKIE_PREFIX. */
export function gatewayCookie(sessionCookieName: string): (name: string) => boolean {
  return (name) => name === sessionCookieName || name.startsWith(GATEWAY_COOKIE_PREFIX);
}

/**
 * A gateway cookie's `Set-Cookie` line. RFC 6265bis §4.1: `__Host-` needs Secure, Path=/ and
 * no Domain; HttpOnly; SameSite=Lax (Strict would not come back on a provider's redirect,
 * SECURITY.md C-04); Max-Age caps the lifetime, and 0 deletes the cookie.
 */
export function hostCookie(name: string, value: string, maxAgeSeconds: number): string {
  return serialize(name, value, { path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: Math.max(0, Math.floor(maxAgeSeconds)) });
}

/**
 * The session cookie: `__Host-` on one hostname by default, or with COOKIE_DOMAIN a
 * `__Secure-` cookie with `Domain=`, sent to every subdomain of that domain (one session for
 * several apps; docs/several-apps.md states what that exposes).
 */
export interface SessionCookieSpec {
  readonly name: string;
  /** COOKIE_DOMAIN, or null: a host-only `__Host-` cookie. */
  readonly domain: string | null;
}

export function sessionSetCookie(spec: SessionCookieSpec, token: string, maxAgeSeconds: number): string {
  if (spec.domain === null) return hostCookie(spec.name, token, maxAgeSeconds);
  return serialize(spec.name, token, { domain: spec.domain, path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: Math.max(0, Math.floor(maxAgeSeconds)) });
}

/** Sent with every logout. Not "cookies": that would clear every cookie of the site (T-02). */
export const CLEAR_SITE_DATA = '"cache", "storage"';

/** The deletion browsers accept: same name and attributes, empty value, Max-Age=0. */
export function clearedSessionSetCookie(spec: SessionCookieSpec): string {
  return sessionSetCookie(spec, "", 0);
}

/**
 * What every answer that signs this browser out carries, whoever ended the session (the
 * user, the origin, the user's "end all"): the session cookie deleted, and the site's cache
 * and storage cleared.
 */
export function markSignedOut(headers: Headers, sessionCookie: SessionCookieSpec): void {
  headers.append("Set-Cookie", clearedSessionSetCookie(sessionCookie));
  headers.set("Clear-Site-Data", CLEAR_SITE_DATA);
}

/** Cookie pairs, split on `;` only (RFC 6265bis §5.4 step 1): a comma stays in its value. */
function cookiePairs(header: string): { name: string; value: string }[] {
  return splitPairs(header).map((part) => {
    const eq = part.indexOf("=");
    return eq === -1 ? { name: "", value: part } : { name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
  });
}

function splitPairs(header: string): string[] {
  return header
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

function cookieName(pair: string): string {
  const eq = pair.indexOf("=");
  return eq === -1 ? "" : pair.slice(0, eq).trim();
}
