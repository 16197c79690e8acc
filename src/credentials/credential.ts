/**
 * What the request's credential turned out to be: one value, set once by the credential step
 * (app.ts) and read by every later one. It replaces four variables that described one fact
 * (the live session, the verified cookies' public ids, "a cookie to clear", "a session
 * ALLOWED_USERS shuts out"); the helpers below answer the questions those variables answered.
 */
import type { Principal, UserPrincipal } from "./principal";
import type { SessionView } from "../session/types";

export type Credential =
  /** No session cookie, or one of another realm's login (session/realm.ts): as if none was sent. */
  | { readonly state: "none" }
  /**
   * Several session cookies (SECURITY.md X-02): no session, and none cleared; a login or a
   * logout still ends each of them whose signature verified.
   */
  | { readonly state: "ambiguous"; readonly presentedPublicIds: readonly string[] }
  /** A cookie whose signature fails: no Durable Object was asked. Refusals clear it. */
  | { readonly state: "forged" }
  /** A verified cookie whose session is no more (expired, idle, revoked, unknown). Refusals clear it. */
  | { readonly state: "ended"; readonly publicId: string }
  /** A live session: its user is the principal. */
  | { readonly state: "live"; readonly principal: UserPrincipal }
  /**
   * A live session whose user fails ALLOWED_USERS (the setting changed after the login): it is
   * not used — no identity reaches the origin — and a route that needs one answers 403.
   */
  | { readonly state: "excluded"; readonly principal: UserPrincipal; readonly requirement: "ALLOWED_USERS" }
  /**
   * A good bearer credential (credentials/bearer.ts), on a rule that admits machines: it decides
   * the request alone, and the session cookie is neither read nor cleared.
   */
  | { readonly state: "bearer"; readonly principal: Principal }
  /**
   * A bearer credential that is no good (malformed, forged, expired, revoked, unknown): 401
   * `invalid_token`, never a redirect. `reason` is for the log only.
   */
  | { readonly state: "bearer-refused"; readonly reason: string };

export const NO_CREDENTIAL: Credential = { state: "none" };

/** The principal the request is decided as; null when it has none to use. */
export function principalOf(credential: Credential): Principal | null {
  return credential.state === "live" || credential.state === "bearer" ? credential.principal : null;
}

/** Whether the request came with a bearer credential: its answers are 401/403, never a redirect. */
export function isBearer(credential: Credential): boolean {
  return credential.state === "bearer" || credential.state === "bearer-refused";
}

/** The live session, or null (an excluded one is not used). */
export function liveSession(credential: Credential): SessionView | null {
  return credential.state === "live" ? credential.principal.session : null;
}

/**
 * The public ids of the session cookies whose signature verified, live, ended or excluded: a
 * login or a logout ends every one of them.
 */
export function presentedPublicIds(credential: Credential): readonly string[] {
  switch (credential.state) {
    case "ambiguous":
      return credential.presentedPublicIds;
    case "ended":
      return [credential.publicId];
    case "live":
    case "excluded":
      return [credential.principal.session.id];
    default:
      return [];
  }
}

/** A session cookie was sent but gave no session: an answer that refuses clears it. */
export function clearsCookie(credential: Credential): boolean {
  return credential.state === "forged" || credential.state === "ended";
}
