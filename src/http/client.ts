/**
 * Who is calling, as Cloudflare saw it: the address from `CF-Connecting-IP` (which Cloudflare
 * sets itself; never `X-Forwarded-For`, SECURITY.md F-03) and the User-Agent, bounded.
 */

/** What is recorded of a User-Agent (at login and when compared later). */
export const MAX_USER_AGENT_LENGTH = 512;

export function clientIp(request: Request): string | null {
  return request.headers.get("cf-connecting-ip");
}

export interface ClientInfo {
  readonly clientIp?: string;
  readonly userAgent?: string;
  /** `request.cf.country` (ISO 3166 alpha-2), set by Cloudflare; absent locally. */
  readonly clientCountry?: string;
}

export function clientInfo(request: Request): ClientInfo {
  const ip = clientIp(request);
  const userAgent = request.headers.get("user-agent");
  const country = clientCountry(request);
  return {
    ...(ip ? { clientIp: ip } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT_LENGTH) } : {}),
    ...(country ? { clientCountry: country } : {}),
  };
}

/** The request's country as Cloudflare saw it, or null (`XX` and `T1` are Cloudflare's unknown and Tor). */
export function clientCountry(request: Request): string | null {
  const country = (request as Request & { cf?: { country?: unknown } }).cf?.country;
  return typeof country === "string" && /^[A-Z0-9]{2}$/.test(country) ? country : null;
}
