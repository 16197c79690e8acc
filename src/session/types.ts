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
  /** Replaced by an admin's PATCH of the user's identity (session-object.ts updateUser). */
  user: SessionUser;
  readonly createdAt: number;
  /**
   * The hosts the login that minted it reaches (session/realm.ts): a hostname, or `.domain`
   * with COOKIE_DOMAIN. Absent in records written before it existed: such a session is a
   * session on no host (docs/storage.md).
   */
  readonly realm?: string;
  /**
   * When the user proved who they are: the login time, or in OIDC mode the ID token's
   * `auth_time`. null: unknown (an ID token without `auth_time`), which no `maxAuthAgeSeconds`
   * accepts. Absent in records written before it existed: then `createdAt` (docs/storage.md).
   */
  readonly authenticatedAt?: number | null;
  lastSeenAt: number;
  readonly idleTimeoutMs: number;
  readonly absoluteExpiresAt: number;
  /** `CF-Connecting-IP` and `User-Agent` at login, for the audit trail. */
  readonly clientIp?: string;
  readonly userAgent?: string;
  /** `cf.country` at login, for the user's own sessions page. */
  readonly clientCountry?: string;
  /**
   * The indexes this session is listed in (the user's, and any its login method adds): it
   * adds itself at creation and removes itself when it ends. Absent in records written before
   * indexes were named here: then only the user's index.
   */
  readonly indexes?: readonly IndexRef[];
  /** Opaque to the session: what its login method wants back at logout (OIDC: the ID token). */
  readonly logoutHint?: string;
  /** Records written before logoutHint kept the ID token here (docs/storage.md). */
  readonly idp?: { readonly idToken?: string };
}

/** One index a session is listed in: a SessionIndex Durable Object, by namespace and name. */
export interface IndexRef {
  /** `user`: USER_SESSIONS; `idp`: IDP_SESSIONS. */
  readonly kind: "user" | "idp";
  /** The Durable Object's name in that namespace. */
  readonly name: string;
  /** Live sessions the index allows; adding one more revokes the oldest. Absent or 0: no cap. */
  readonly maxSessions?: number;
}

/** What a login method adds to a new session: more indexes, and its logout hint. */
export interface SessionExtras {
  readonly indexes?: readonly IndexRef[];
  readonly logoutHint?: string;
  /**
   * Epoch ms when the user authenticated (OIDC `auth_time`); null: unknown, never "now" (an
   * ID token without `auth_time`); absent: the login time (delegated login).
   */
  readonly authenticatedAt?: number | null;
}

/** A session as JSON (docs/design.md "Gateway endpoints"). */
export interface SessionView {
  readonly id: string;
  /** The realm it was signed in to (session/realm.ts); absent for a record from before realms. */
  readonly realm?: string;
  readonly user: SessionUser;
  readonly createdAt: string;
  /**
   * When the user authenticated (ISO 8601): what `maxAuthAgeSeconds` and `auth_time` count
   * from. null: unknown (the provider did not say), so every `maxAuthAgeSeconds` rule fails.
   */
  readonly authenticatedAt: string | null;
  readonly lastSeenAt: string;
  readonly idleExpiresAt: string;
  readonly absoluteExpiresAt: string;
  /** Where the session was signed in from (address, country, User-Agent), when known. */
  readonly client?: { readonly ip?: string; readonly country?: string; readonly userAgent?: string };
}

export interface CreateSessionInput {
  readonly publicId: string;
  readonly secretHash: string;
  /** The realm of the host the login happened on (session/realm.ts). */
  readonly realm: string;
  readonly user: SessionUser;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  /** Epoch ms; null: unknown; absent: the creation time. */
  readonly authenticatedAt?: number | null;
  readonly clientIp?: string;
  readonly userAgent?: string;
  readonly clientCountry?: string;
  /** Every index the session is listed in, the user's first. */
  readonly indexes: readonly IndexRef[];
  readonly logoutHint?: string;
}

/** An admin's change of a live user's identity (`PATCH /_gateway/admin/users/:sub/sessions`). */
export interface UserChanges {
  readonly roles?: readonly string[];
  readonly email?: string;
  readonly name?: string;
}

/** Who is using the session now, compared with who logged in (SMCS binding; checklist F-03). */
export interface TouchClient {
  /** The realm of the host the request was sent to: a session of another realm is none here. */
  readonly realm: string;
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
  | { readonly ok: false; readonly reason: "unknown" | "revoked" | "secret-mismatch" | "other-realm" | "idle-timeout" | "absolute-timeout" };

/**
 * A watch (a WebSocket from the Worker to a SessionObject, docs/live-connections.md): the
 * message the Worker sends for client activity, and the close reason when the session ends.
 */
export const WATCH_ACTIVITY = "activity";
export const WATCH_ENDED = "session ended";
/** The close reason when the session lives on with another identity (an admin's PATCH). */
export const WATCH_IDENTITY_CHANGED = "identity changed";
/** The close reason when the route's `maxAuthAgeSeconds` passes while the connection is open. */
export const WATCH_REAUTHENTICATE = "reauthentication required";

/**
 * What a watch is opened with: the Worker's decision, checked by the session's object
 * (docs/live-connections.md). Sent as JSON in the watch request's `terms` query parameter.
 */
export interface WatchTerms {
  /** The identity the connection was authorized with: a watch for any other is refused. */
  readonly user: SessionUser;
  /** MAX_CONNECTIONS_PER_SESSION: the object's open watches, this one included; 0: no cap. */
  readonly maxPerSession: number;
  /** MAX_CONNECTIONS_PER_USER: across the user's sessions (the user's index); 0: no cap. */
  readonly maxPerUser: number;
}

/** Why the object refused a watch: its status, and the header naming the cap that was hit. */
export const WATCH_STATUS = { ended: 410, identityChanged: 409, tooMany: 429, unavailable: 503 } as const;
export const WATCH_LIMIT_HEADER = "x-watch-limit";
