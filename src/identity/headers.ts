/**
 * Identity headers: strip every client copy, then inject ours (oauth2-proxy's "strip before
 * inject"; SECURITY.md I-01, I-02). A header counts as an identity header when its
 * name, with `_` read as `-` (as CGI-style origins read it), starts with `x-auth-` or
 * `x-gateway-`.
 */
import type { Principal } from "../credentials/principal";
import { setForwardingHeaders } from "./forwarding";
import { asOriginReadsIt } from "./header-names";
import type { IdentityPropagator } from "./propagator";

export function isIdentityHeaderName(name: string): boolean {
  const normalized = asOriginReadsIt(name);
  return normalized.startsWith("x-auth-") || normalized.startsWith("x-gateway-");
}


export function stripIdentityHeaders(headers: Headers): void {
  for (const name of [...headers.keys()]) {
    if (isIdentityHeaderName(name)) headers.delete(name);
  }
}

/**
 * Who is asking, as headers (docs/principals.md): its kind, its id (`service:<name>` for a
 * service, the subject for a workload), a user's email, name and session, a workload's issuer.
 */
export function injectIdentityHeaders(headers: Headers, principal: Principal): void {
  headers.set("X-Auth-Principal", principal.kind);
  headers.set("X-Auth-User", headerValue(principal.id));
  if (principal.email) headers.set("X-Auth-Email", headerValue(principal.email));
  if (principal.name) headers.set("X-Auth-Name", headerValue(principal.name));
  headers.set("X-Auth-Roles", principal.roles.map(headerValue).join(","));
  if (principal.session) headers.set("X-Auth-Session", principal.session.id);
  if (principal.issuer) headers.set("X-Auth-Issuer", headerValue(principal.issuer));
}

/**
 * Header values are printable ASCII: `%` and anything outside printable ASCII is sent as
 * UTF-8 percent-encoding, so an origin gets the exact value back with decodeURIComponent and
 * a plain ASCII value arrives unchanged.
 */
export function headerValue(value: string): string {
  // A lone surrogate cannot be encoded (URIError); it becomes U+FFFD rather than a 500.
  const wellFormed = value.replace(/[\uD800-\uDFFF]/gu, "\uFFFD");
  return wellFormed.replace(/[^\x20-\x24\x26-\x7e]+/gu, (run) => encodeURIComponent(run));
}

/**
 * The plain identity headers (X-Auth-*), with the gateway's forwarding headers: every client
 * copy stripped first, then ours set.
 */
export function headerPropagator(): IdentityPropagator {
  return {
    prepare(headers, { request, url, principal }) {
      stripIdentityHeaders(headers);
      setForwardingHeaders(headers, request, url);
      if (principal) injectIdentityHeaders(headers, principal);
    },
    isOwnHeader: isIdentityHeaderName,
  };
}
