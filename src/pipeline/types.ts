/**
 * The spine's shared vocabulary: what each step of a request learns, in the order it learns
 * it, and the shape of the step that ends an allowed request.
 *
 *   target (canonical path) → session (cookie → one touch) → decision (policy) → terminal
 */
import type { Handler } from "hono";
import type { Env } from "../env";
import type { SessionView } from "../session/types";

export interface GatewayVariables {
  /** When the request arrived (Date.now()), for latencies (app.ts sets it with metrics on). */
  receivedAtMs: number;
  /** The canonical path (http/canonical-path.ts): what is authorized is what is forwarded. */
  canonicalPath: string;
  /** The request URL (with the canonical path), parsed once for every step that needs it. */
  url: URL;
  /** The live session after touch, or null. */
  session: SessionView | null;
  /**
   * The public ids of the session cookies whose signature verified, live or not: one, or
   * several when the request was ambiguous. A login or a logout revokes every one of them.
   */
  presentedPublicIds: readonly string[];
  /** A session cookie was sent but gave no session: refusals clear it. */
  staleCookie: boolean;
}

export interface GatewayEnv {
  Bindings: Env;
  Variables: GatewayVariables;
}

/** Where an allowed request goes (upstream/proxy.ts: the origin). */
export type Terminal = Handler<GatewayEnv>;
