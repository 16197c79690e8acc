/**
 * Service credentials (docs/service-credentials.md): what their Durable Objects store and answer,
 * shared by the objects (durable/service-credential.ts, durable/service-directory.ts) and the
 * Worker's client (services/store.ts). Times in records are epoch ms; in views ISO 8601 or null.
 */

/** What a ServiceCredential stores under the key `service` (docs/storage.md). */
export interface ServiceRecord {
  /** The credential's id (also its object's name): the first part of its token. */
  readonly id: string;
  /** Unique among the credentials (ServiceDirectory); what `services` rules and `X-Auth-User: service:<name>` name. */
  readonly name: string;
  roles: readonly string[];
  readonly createdAt: number;
  /** When its tokens stop working, whatever else; null: never. */
  readonly expiresAt: number | null;
  enabled: boolean;
  /** Hex SHA-256 of the current token's secret; the secret itself is never stored. */
  secretHash: string;
  /** The token before the last rotation, accepted until `previousTokenValidUntil`; else null. */
  previousSecretHash: string | null;
  previousTokenValidUntil: number | null;
  /** The last accepted use, as last written (written at most once a minute: SERVICE_USE_WRITE_MS). */
  lastUsedAt: number | null;
}

/** A credential as the admin API and the console show it: never a token or a hash. */
export interface ServiceView {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly enabled: boolean;
  /** Until when the token before the last rotation is still accepted; null: it is not. */
  readonly previousTokenValidUntil: string | null;
}

export interface CreateServiceInput {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly secretHash: string;
  /** Epoch ms; null: never expires. */
  readonly expiresAt: number | null;
}

/** An admin's PATCH: effective from the next request on. */
export interface ServiceChanges {
  readonly enabled?: boolean;
  readonly roles?: readonly string[];
}

/**
 * Why the object refused a token whose signature verified. `rotated`: the secret is not the
 * current one, nor the previous one within its grace period.
 */
export type ServiceRefusal = "unknown" | "disabled" | "expired" | "rotated";

export type ServiceAuthentication = { readonly ok: true; readonly view: ServiceView } | { readonly ok: false; readonly reason: ServiceRefusal };

/** The last use is written to storage at most this often (memory holds the exact time). */
export const SERVICE_USE_WRITE_MS = 60_000;
/** How many credentials the directory holds at most; one more is refused (409). */
export const MAX_SERVICES = 1000;
/** What ServiceDirectory.reserve answers. */
export type Reservation = "reserved" | "duplicate" | "full";
/** One name the directory holds: epoch ms of its reservation. */
export interface DirectoryEntry {
  readonly id: string;
  readonly name: string;
  readonly reservedAt: number;
}

/**
 * A service credential's watch (services/watch.ts; docs/live-connections.md): the query
 * parameters of the watch request. `secret`: the hex SHA-256 of the secret the connection's
 * token carries — the watch also ends when that secret is no longer accepted (a rotation);
 * `roles`: JSON of the roles the connection was authorized with — a change of them ends it
 * (`identity changed`); `max`: the credential's open watches, this one included (0: no cap).
 */
export const SERVICE_WATCH_PARAMS = { secret: "secret", roles: "roles", max: "max" } as const;

export function toServiceView(record: ServiceRecord): ServiceView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: record.id,
    name: record.name,
    roles: record.roles,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: iso(record.expiresAt),
    lastUsedAt: iso(record.lastUsedAt),
    enabled: record.enabled,
    previousTokenValidUntil: iso(record.previousTokenValidUntil),
  };
}
