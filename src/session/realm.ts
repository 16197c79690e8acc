/**
 * A session's realm: the hosts the login that minted it reaches (docs/several-apps.md
 * "Whose session is it"). It is the scope a browser gives the session cookie, made the
 * gateway's rule too, because a client that sends the cookie itself ignores the browser's:
 *
 * - without COOKIE_DOMAIN the cookie is `__Host-`, sent to the one host that set it, so the
 *   realm is that hostname (`app.example.com`);
 * - with COOKIE_DOMAIN every host under the domain shares the cookie, so they share one realm,
 *   written as the domain with a leading dot (`.example.com`) — the form a `Domain` cookie's
 *   scope has always been written in, and never a hostname.
 *
 * A session is a session only on a host of its realm; its user index is the realm's (one
 * subject at two apps is two users).
 */

/** The realm of a login at `hostname` (lower-case, as the URL parser gives it; no port). */
export function realmOf(hostname: string, sharedDomain: string | null): string {
  if (sharedDomain !== null && domainMatches(hostname, sharedDomain)) return sharedRealm(sharedDomain);
  return hostname;
}

/** The one realm of every host under COOKIE_DOMAIN. */
export function sharedRealm(sharedDomain: string): string {
  return `.${sharedDomain}`;
}

/** RFC 6265 §5.1.3: the host is the domain itself or a subdomain of it. */
function domainMatches(hostname: string, domain: string): boolean {
  return hostname === domain || hostname.endsWith(`.${domain}`);
}

// A hostname, one with a leading dot, or an IPv6 literal as URL gives it (`[::1]`): what
// realmOf can answer, and nothing else.
const REALM = /^\.?[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
const IPV6_REALM = /^\[[0-9a-f:.]{2,45}\]$/;

/** Whether a value (the admin API's `realm` parameter, lower-cased) can be a realm at all. */
export function isRealm(value: string): boolean {
  return (REALM.test(value) && !value.includes("..")) || IPV6_REALM.test(value);
}
