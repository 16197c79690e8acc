/**
 * The spine's shared vocabulary: what each step of a request learns, in the order it learns
 * it, and the shape of the step that ends an allowed request.
 *
 *   target (canonical path) → credential (cookie → one touch → principal) → decision (policy)
 *   → answer or terminal
 */
import type { Context, Handler } from "hono";
import type { Credential } from "../credentials/credential";
import type { Env } from "../env";

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
  /** What the request's credential turned out to be (credentials/credential.ts). */
  credential: Credential;
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

/** Turns a request into its credential (credentials/): chosen once per configuration (app.ts). */
export type CredentialReader = (c: Context<GatewayEnv>) => Promise<Credential>;
