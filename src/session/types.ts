/** The identity a session carries, as the origin (or the IdP) stated it at login. */
export interface SessionUser {
  readonly sub: string;
  readonly email?: string;
  readonly name?: string;
  readonly roles: readonly string[];
}

/** What a SessionObject stores under the key `session` (docs/storage.md). Times are epoch ms. */
export interface SessionRecord {
  readonly publicId: string;
  /** Hex SHA-256 of the token's secret part; the secret itself is never stored. */
  readonly secretHash: string;
  readonly user: SessionUser;
  readonly createdAt: number;
  lastSeenAt: number;
  readonly idleTimeoutMs: number;
  readonly absoluteExpiresAt: number;
  /** `CF-Connecting-IP` and `User-Agent` at login, for the audit trail. */
  readonly clientIp?: string;
  readonly userAgent?: string;
}

/** A session as JSON (DESIGN.md "Gateway endpoints"). */
export interface SessionView {
  readonly id: string;
  readonly user: SessionUser;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly idleExpiresAt: string;
  readonly absoluteExpiresAt: string;
}

export interface CreateSessionInput {
  readonly publicId: string;
  readonly secretHash: string;
  readonly user: SessionUser;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  readonly clientIp?: string;
  readonly userAgent?: string;
}

/** Why a session is over; the client sees one generic answer for all of them. */
export type EndReason = "idle-timeout" | "absolute-timeout" | "logout" | "login-replaced" | "admin" | "admin-user" | string;

export type TouchResult =
  | { readonly ok: true; readonly session: SessionView }
  | { readonly ok: false; readonly reason: "unknown" | "revoked" | "secret-mismatch" | "idle-timeout" | "absolute-timeout" };
