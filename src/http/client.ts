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
}

export function clientInfo(request: Request): ClientInfo {
  const ip = clientIp(request);
  const userAgent = request.headers.get("user-agent");
  return {
    ...(ip ? { clientIp: ip } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT_LENGTH) } : {}),
  };
}
