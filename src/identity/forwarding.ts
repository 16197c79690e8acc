/**
 * X-Forwarded-* come from the gateway alone: the client's copies and `Forwarded` are
 * dropped, and the client address is `CF-Connecting-IP`, which Cloudflare sets itself.
 */
import { clientIp } from "../http/client";
import { asOriginReadsIt } from "./header-names";

/**
 * Request headers the client may not set because an origin could act on them (checklist
 * I-02, R-07, X-07): forwarding information (the address, scheme and host an origin may take
 * as the client's), the identity headers of other proxies that origins are configured to trust
 * (Grafana's `X-WEBAUTH-USER`, Azure's `X-MS-CLIENT-PRINCIPAL-*`, IAP's
 * `X-Goog-Authenticated-User-*`, Cloudflare Access's `Cf-Access-*`, Kong's `X-Consumer-*` and
 * `X-Authenticated-*`, oauth2-proxy's `X-Auth-Request-*`, Authelia's `Remote-*`, Pomerium's,
 * authentik's and Vouch's own), client-certificate headers that TLS terminators set, and the method and path
 * overrides that some frameworks honour (IIS, Symfony, Express method-override), which would
 * run another method or path than the one authorized. Matched with `_` read as `-`.
 */
const CLIENT_FORBIDDEN = new Set([
  // addresses: go-chi's RealIP reads True-Client-IP first; Rails, Django and Spring read others
  "forwarded",
  "x-real-ip",
  "x-client-ip",
  "true-client-ip",
  "client-ip",
  "x-cluster-client-ip",
  "cf-connecting-ipv6",
  "fastly-client-ip",
  "x-originating-ip",
  "x-remote-ip",
  "x-remote-addr",
  "x-envoy-external-address",
  "x-proxyuser-ip",
  "proxy-client-ip", // WebLogic and Tomcat's RemoteIpValve-style setups
  "wl-proxy-client-ip",
  "forwarded-for",
  "x-forwarded", // the bare name some frameworks read beside X-Forwarded-For (the prefix below needs a dash)
  "x-real-forwarded-for",
  "x-client-addr",
  // scheme and host
  "x-scheme",
  "x-url-scheme",
  "front-end-https",
  "x-arr-ssl",
  "x-host",
  // identities other proxies assert
  "x-remote-user",
  "x-user",
  "x-email",
  "x-userinfo", // Kong's OIDC plugin: the userinfo, base64 JSON
  "x-id-token",
  "x-access-token",
  "x-credential-identifier",
  "x-anonymous-consumer",
  // client certificates, as TLS terminators pass them on (Apache, nginx, IIS ARR, Envoy)
  "ssl-client-cert",
  "x-ssl-client-cert",
  "x-client-cert",
  "x-client-verify",
  "x-ssl-client-verify",
  "x-client-dn",
  "x-ssl-client-dn",
  "x-arr-clientcert",
  // method and path overrides
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
]);

/** Prefixes of the same kinds: `x-forwarded-*` (Envoy's X-Forwarded-Client-Cert too) and `x-original-*` (URL, URI, Host, For). */
const CLIENT_FORBIDDEN_PREFIXES = [
  "x-forwarded-",
  "x-original-",
  "x-rewrite-",
  "x-webauth-",
  "x-ms-client-principal",
  "x-goog-authenticated-user-",
  "x-amzn-oidc-",
  "cf-access-",
  "x-consumer-", // Kong: X-Consumer-Username, -ID, -Custom-ID, -Groups
  "x-authenticated-", // Kong: X-Authenticated-Userid, -Scope, -Groups
  "x-auth-request-", // oauth2-proxy
  "remote-", // Authelia: Remote-User, Remote-Groups, Remote-Name, Remote-Email
  "x-pomerium-",
  "x-authentik-",
  "x-vouch-",
  "x-ssl-client-",
  "x-client-cert-",
];

function isClientForbidden(name: string): boolean {
  const normalized = asOriginReadsIt(name);
  return CLIENT_FORBIDDEN.has(normalized) || CLIENT_FORBIDDEN_PREFIXES.some((prefix) => normalized.startsWith(prefix));
}

export function setForwardingHeaders(headers: Headers, request: Request, url: URL): void {
  for (const name of [...headers.keys()]) {
    if (isClientForbidden(name)) headers.delete(name);
  }
  headers.set("X-Forwarded-Host", url.host);
  headers.set("X-Forwarded-Proto", url.protocol.slice(0, -1));
  const ip = clientIp(request);
  if (ip) headers.set("X-Forwarded-For", ip);
}
