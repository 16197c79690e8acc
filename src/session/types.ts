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
  /** OIDC login only: the provider's side, for back-channel and RP-initiated logout. */
  readonly idp?: IdpLink;
}

/** What the OpenID Provider said about a session it stands behind (OIDC mode). */
export interface IdpLink {
  /** The issuer identifier. */
  readonly iss: string;
  /** The provider's subject (the ID token's `sub`, whatever OIDC_SUB_CLAIM maps). */
  readonly sub: string;
  /** The provider's session id (`sid`), when the ID token has one. */
  readonly sid?: string;
  /** The ID token, sent back as `id_token_hint` at logout; left out when very large. */
  readonly idToken?: string;
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
  /** Live sessions the user may have; older ones are revoked on create. 0: no cap. */
  readonly maxSessionsPerUser: number;
  readonly idp?: IdpLink;
}

/** Who is using the session now, compared with who logged in (SMCS binding; checklist F-03). */
export interface TouchClient {
  readonly clientIp?: string;
  readonly userAgent?: string;
  /** End the session when the User-Agent differs from the login's. */
  readonly endOnUserAgentChange: boolean;
}

/** Why a session is over; the client sees one generic answer for all of them. */
export type EndReason =
  | "idle-timeout"
  | "absolute-timeout"
  | "logout"
  | "login-replaced"
  | "admin"
  | "admin-user"
  | "session-limit"
  | "user-agent-changed"
  | (string & {});

export type TouchResult =
  | { readonly ok: true; readonly session: SessionView }
  | { readonly ok: false; readonly reason: "unknown" | "revoked" | "secret-mismatch" | "idle-timeout" | "absolute-timeout" };
