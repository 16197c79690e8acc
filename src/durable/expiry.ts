/**
 * Expiry arithmetic, pure and with time as a parameter so tests control it.
 *
 * Touch coalescing: a touch updates `lastSeenAt` in memory on every request but writes it to
 * storage only when the stored value is at least `idleTimeoutMs / COALESCE_DIVISOR` old. If
 * the object is evicted, the stored `lastSeenAt` is at most that window old, so a session can
 * end early by at most 1/COALESCE_DIVISOR of the idle timeout (3 minutes of 30), never late.
 */
import type { SessionRecord, SessionView } from "../session/types";

export const COALESCE_DIVISOR = 10;

export type ExpiryState = "live" | "idle-timeout" | "absolute-timeout";

export function idleExpiresAt(record: SessionRecord): number {
  return Math.min(record.lastSeenAt + record.idleTimeoutMs, record.absoluteExpiresAt);
}

export function expiryState(record: SessionRecord, now: number): ExpiryState {
  if (now >= record.absoluteExpiresAt) return "absolute-timeout";
  if (now >= record.lastSeenAt + record.idleTimeoutMs) return "idle-timeout";
  return "live";
}

export function coalesceWindowMs(record: SessionRecord): number {
  return record.idleTimeoutMs / COALESCE_DIVISOR;
}

/** Whether a touch at `now` must write, given the `lastSeenAt` that storage holds. */
export function touchNeedsWrite(record: SessionRecord, storedLastSeenAt: number, now: number): boolean {
  return now - storedLastSeenAt >= coalesceWindowMs(record);
}

export function toView(record: SessionRecord): SessionView {
  return {
    id: record.publicId,
    ...(record.realm !== undefined ? { realm: record.realm } : {}),
    user: record.user,
    createdAt: new Date(record.createdAt).toISOString(),
    authenticatedAt: record.authenticatedAt === null ? null : new Date(record.authenticatedAt ?? record.createdAt).toISOString(),
    lastSeenAt: new Date(record.lastSeenAt).toISOString(),
    idleExpiresAt: new Date(idleExpiresAt(record)).toISOString(),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt).toISOString(),
    ...(record.clientIp || record.userAgent || record.clientCountry ? { client: clientOf(record) } : {}),
  };
}

function clientOf(record: SessionRecord): NonNullable<SessionView["client"]> {
  return {
    ...(record.clientIp ? { ip: record.clientIp } : {}),
    ...(record.clientCountry ? { country: record.clientCountry } : {}),
    ...(record.userAgent ? { userAgent: record.userAgent } : {}),
  };
}
