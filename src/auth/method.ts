/**
 * A way of logging users in (delegated to the origin, or OpenID Connect), chosen once by
 * app.ts. The shared endpoints and the proxy call it through this interface and never name a
 * concrete method.
 */
import type { Context, Hono } from "hono";
import type { GatewayEnv } from "../pipeline/types";
import type { SessionExtras, SessionUser, SessionView } from "../session/types";

export interface LoginMethod {
  readonly name: "delegated" | "oidc";
  /** Its endpoints that carry no session (back-channel logout), under /_gateway. */
  readonly beforeSession?: Hono<GatewayEnv>;
  /** Its endpoints under /_gateway, after the session is loaded (the OIDC callback). */
  readonly routes?: Hono<GatewayEnv>;
  /**
   * `GET /_gateway/login`: send the browser to sign in; `returnTo` is already same-site.
   * `maxAgeSeconds`: the route needs a login at most this old (a rule's `maxAuthAgeSeconds`).
   */
  startLogin(c: Context<GatewayEnv>, returnTo: string, maxAgeSeconds: number | null): Response | Promise<Response>;
  /** An absolute `return_to` it may send the browser back to (another host of a shared session); absent: none. */
  readonly acceptsReturnUrl?: (url: URL) => boolean;
  /** After the gateway's own logout: where the browser goes on (the provider's logout), or null. */
  continueLogout(logoutHint: string | null): Promise<string | null>;
  /** The origin answered an authorized request with `X-Gateway-Login: <header>`. */
  originLogin(c: Context<GatewayEnv>, response: Response, header: string): Promise<Response>;
}

/**
 * Creates the session of a login, however it happened (begin-session.ts), or refuses it when
 * the user fails ALLOWED_USERS: then `refusal` is the answer to send, and nothing was created.
 */
export type BeginSession = (c: Context<GatewayEnv>, user: SessionUser, extras?: SessionExtras) => Promise<BegunSession>;

export type BegunSession = { readonly ok: true; readonly session: SessionView; readonly setCookie: string } | { readonly ok: false; readonly refusal: Response };
