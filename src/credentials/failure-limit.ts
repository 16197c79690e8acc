/**
 * Floods of forged credentials (token guessing; checklist D-01): each session cookie or bearer
 * credential that fails its signature check counts against the client's address in the Workers
 * rate-limiting binding COOKIE_FAILURE_LIMITER — one budget for every kind of credential — and
 * past the limit the client gets 429, still without any Durable Object call. Without the
 * binding, failures are only logged (by the caller).
 */
import { GatewayError } from "../http/responses";

export async function limitCredentialFailures(limiter: RateLimit | undefined, ip: string | null): Promise<void> {
  if (!limiter) return;
  // The key predates bearer credentials; kept, so a deploy does not reset the counts.
  const key = `cookie-failure:${ip ?? "unknown"}`;
  const now = Date.now();
  // Once the limiter has said no, this isolate answers 429 on its own for the rest of the
  // window: a flood then costs neither a limiter call nor a Durable Object call.
  if ((limitedUntil.get(key) ?? 0) > now) throw rateLimited(ip);
  const { success } = await limiter.limit({ key });
  if (success) return;
  if (limitedUntil.size >= MAX_LIMITED_CLIENTS) limitedUntil.clear();
  limitedUntil.set(key, now + LIMIT_WINDOW_MS);
  throw rateLimited(ip);
}

/** wrangler.toml `[[ratelimits]]` period for COOKIE_FAILURE_LIMITER. */
const LIMIT_WINDOW_MS = 60_000;
/** Bounds the per-isolate memory of limited clients; clearing only costs extra limiter calls. */
const MAX_LIMITED_CLIENTS = 10_000;
const limitedUntil = new Map<string, number>();

function rateLimited(ip: string | null): GatewayError {
  const headers = { "Retry-After": String(LIMIT_WINDOW_MS / 1000) };
  return new GatewayError("rate_limited", `too many invalid credentials from ${ip ?? "an unknown address"}`, { headers });
}
