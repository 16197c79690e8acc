/**
 * The Worker's end of a service credential's watch (docs/live-connections.md): the same watch as
 * a session's (session/watch.ts, the same SessionWatch), on the credential's own Durable Object.
 * The object closes it before a disable, a delete, a change of roles or a rotation that drops the
 * connection's secret answers, and at the expiry or the end of that secret's grace period.
 */
import type { Env } from "../env";
import { openWatch, type SessionWatch, type WatchRefused } from "../session/watch";
import { serviceStub } from "./stubs";
import { SERVICE_USE_WRITE_MS, SERVICE_WATCH_PARAMS } from "./types";

export interface ServiceWatchOptions {
  /**
   * The roles the connection was authorized with: a watch for others is refused (`identity
   * changed`), and a later change of them ends it the same way. Absent: not checked.
   */
  readonly roles?: readonly string[];
  /** Epoch ms when the route's max auth age passes; null or absent: no such rule. */
  readonly notAfterMs?: number | null;
  /** The credential's open watches, this one included (`too many connections` beyond); 0 or absent: no cap. */
  readonly maxConnections?: number;
}

/**
 * Opens a watch on a service credential, or answers why not. `secretHash` (from
 * authenticateService): the watch also ends when that secret is no longer accepted (a rotation
 * and its grace); without it, only when the credential ends. Activity counts as a use of the
 * credential (`lastUsedAt`), told at most once a minute.
 */
export function watchService(env: Env, id: string, secretHash?: string, options: ServiceWatchOptions = {}): Promise<SessionWatch | WatchRefused> {
  const params = new URLSearchParams();
  if (secretHash !== undefined) params.set(SERVICE_WATCH_PARAMS.secret, secretHash);
  if (options.roles !== undefined) params.set(SERVICE_WATCH_PARAMS.roles, JSON.stringify(options.roles));
  if (options.maxConnections) params.set(SERVICE_WATCH_PARAMS.max, String(options.maxConnections));
  const url = `https://service.invalid/watch?${params}`;
  return openWatch(
    { what: "service watch", holder: { service: id }, connect: () => serviceStub(env, id).fetch(url, { headers: { Upgrade: "websocket" } }) },
    { activityWindowMs: SERVICE_USE_WRITE_MS, notAfterMs: options.notAfterMs ?? null },
  );
}
