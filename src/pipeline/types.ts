/**
 * The spine's shared vocabulary: what each step of a request learns, in the order it learns
 * it, and the shape of the step that ends an allowed request.
 *
 *   target (canonical path) → session (cookie → one touch) → decision (policy) → terminal
 */
import type { Context, Handler } from "hono";
import type { Env } from "../env";
import type { Access } from "../policy/routes";
import type { SessionView } from "../session/types";

/**
 * Read with `c.get(name)`, never `c.var.name`: Hono's `c.var` builds a new object of every
 * variable on each access (Object.fromEntries), which the profile showed at ~15 µs a request.
 */
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
  /**
   * The public id of a live session whose user fails ALLOWED_USERS (allowed-users.ts): the
   * request goes on without it, and where it needs a session it gets 403. Otherwise null.
   */
  disallowedSession: string | null;
  /** The origin that serves the request (the decision step: its rule's `origin`). */
  originName: string;
  /**
   * Epoch ms when the session's login becomes too old for the rules that allowed this request
   * (their smallest `maxAuthAgeSeconds`): a live connection ends then. Unset: no such rule.
   */
  reauthenticateAtMs: number | null;
}

export interface GatewayEnv {
  Bindings: Env;
  Variables: GatewayVariables;
}

/** Where an allowed request goes (upstream/proxy.ts: the origin). */
export type Terminal = Handler<GatewayEnv>;

/**
 * What becomes of an allowed answer that stays open — a WebSocket's 101, a streamed body — for
 * a request with a session (live/hold.ts: it ends when the session ends). `answer` asks the
 * origin; for a handshake it is called only once the connection is admitted.
 */
export interface LiveConnections {
  hold(c: Context<GatewayEnv>, handshake: boolean, answer: () => Promise<Response>): Promise<Response>;
}

/** How the decision step decided a request (metrics: observability/metrics.ts). */
export type DecisionOutcome = "allowed" | "unauthenticated" | "reauthenticate" | "forbidden";

/** One decision, as the decision step reports it (app.ts: metrics). */
export interface Decision {
  readonly outcome: DecisionOutcome;
  /** The access that decided: the strictest of the request's method and its overrides. */
  readonly access: Access;
  /** Why: "public", "session", "requirements", "no-session", or the requirement that failed. */
  readonly reason: string;
  /** The rule the request's own method matched, as written (RouteMatch.rule). */
  readonly rule: string;
}
