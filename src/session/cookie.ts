/**
 * Reading and writing the session cookie. The cookie is looked up by its exact name only;
 * two cookies of that name make the request ambiguous and it is treated as having none
 * (RFC 6265bis §5.4 gives no order a server could trust; SECURITY-CHECKLIST C-07).
 */
import { serialize } from "hono/utils/cookie";

export type SessionCookie = { kind: "none" } | { kind: "ambiguous" } | { kind: "one"; value: string };

/** A Cookie header longer than this is not parsed for a session (cookie bombs). */
export const MAX_COOKIE_HEADER_LENGTH = 16 * 1024;

export function readSessionCookie(cookieHeader: string | null, name: string): SessionCookie {
  if (!cookieHeader || cookieHeader.length > MAX_COOKIE_HEADER_LENGTH) return { kind: "none" };
  const values = cookiePairs(cookieHeader)
    .filter((pair) => pair.name === name)
    .map((pair) => pair.value);
  if (values.length === 0) return { kind: "none" };
  if (values.length > 1) return { kind: "ambiguous" };
  return { kind: "one", value: values[0]! };
}

/** The Cookie header without the named cookies, or null when nothing is left. */
export function cookieHeaderWithout(cookieHeader: string | null, names: readonly string[]): string | null {
  if (!cookieHeader) return null;
  const kept = splitPairs(cookieHeader).filter((part) => !names.includes(cookieName(part)));
  return kept.length > 0 ? kept.join("; ") : null;
}

/** RFC 6265bis §4.1: `__Host-` needs Secure, Path=/ and no Domain; Max-Age caps the lifetime. */
export function sessionSetCookie(name: string, token: string, maxAgeSeconds: number): string {
  return serialize(name, token, {
    path: "/",
    secure: true,
    httpOnly: true,
    sameSite: "Lax",
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

/** Sent with every logout. Not "cookies": that would clear every cookie of the site (T-02). */
export const CLEAR_SITE_DATA = '"cache", "storage"';

/** The deletion browsers accept: same name and attributes, empty value, Max-Age=0. */
export function clearedSessionSetCookie(name: string): string {
  return serialize(name, "", { path: "/", secure: true, httpOnly: true, sameSite: "Lax", maxAge: 0 });
}

/**
 * Cookie pairs, split on `;` and on `,`: a runtime joins two Cookie header lines with ", "
 * (RFC 9110 §5.3), and a cookie value cannot contain a comma (RFC 6265bis cookie-octet).
 */
function cookiePairs(header: string): { name: string; value: string }[] {
  return splitPairs(header).map((part) => {
    const eq = part.indexOf("=");
    return eq === -1 ? { name: "", value: part } : { name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
  });
}

function splitPairs(header: string): string[] {
  return header
    .split(/[;,]/)
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

function cookieName(pair: string): string {
  const eq = pair.indexOf("=");
  return eq === -1 ? "" : pair.slice(0, eq).trim();
}
