/**
 * Who is asking, as a plain value: what a credential reader makes of a request and what
 * policy/evaluate.ts decides on (docs/principals.md). The session cookie gives a `user`; a
 * service token (`Authorization: Bearer gws_…`) a `service`; a JWT of a TRUSTED_ISSUERS entry a
 * `workload`. `agent` is named for the OAuth grants still to come.
 */
import type { SessionView } from "../session/types";

export type PrincipalKind = "user" | "agent" | "service" | "workload";

export interface Principal {
  readonly kind: PrincipalKind;
  /**
   * What `X-Auth-User` and the assertion's `sub` say: a user's `sub`, `service:<name>` for a
   * service, the subject claim for a workload.
   */
  readonly id: string;
  readonly roles: readonly string[];
  readonly email?: string;
  readonly name?: string;
  /** What its credential says beyond the above (a workload token's claims); absent for a user. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * Epoch ms of the authentication `maxAuthAgeSeconds` counts from. null: unknown (an ID token
   * without `auth_time`, or an unreadable time), which no `maxAuthAgeSeconds` accepts.
   */
  readonly authenticatedAtMs: number | null;
  /** The session that carries a user (its cookie's); absent for the other kinds. */
  readonly session?: SessionView;
  /** A service's name (what `services` requirements name). */
  readonly service?: string;
  /**
   * A service's credential: its id and the hash of the secret that authenticated this request,
   * which a live connection's watch is tied to (a rotation ends it with that secret).
   */
  readonly serviceCredential?: { readonly id: string; readonly secretHash: string };
  /** A workload's issuer: its TRUSTED_ISSUERS name (`issuers`, `X-Auth-Issuer`). */
  readonly issuer?: string;
  /**
   * Epoch ms after which the credential is no longer good by itself (a workload token's `exp`):
   * a live connection it opened ends then. Absent: its own Durable Object says (a session, a service).
   */
  readonly expiresAtMs?: number;
}

/** A user signed in through a session: the principal its cookie stands for. */
export interface UserPrincipal extends Principal {
  readonly kind: "user";
  readonly session: SessionView;
}

/** The session's user as a principal; built once per request, after the session's touch. */
export function userPrincipal(session: SessionView): UserPrincipal {
  const { user } = session;
  return {
    kind: "user",
    id: user.sub,
    roles: user.roles,
    ...(user.email === undefined ? {} : { email: user.email }),
    ...(user.name === undefined ? {} : { name: user.name }),
    authenticatedAtMs: authenticatedAtMs(session),
    session,
  };
}

/** A session's authenticatedAt as epoch ms; null when unknown (or unreadable: fail closed). */
export function authenticatedAtMs(session: { readonly authenticatedAt: string | null }): number | null {
  if (session.authenticatedAt === null) return null;
  const parsed = Date.parse(session.authenticatedAt);
  return Number.isNaN(parsed) ? null : parsed;
}
