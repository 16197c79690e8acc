import type { ResolvedConfig } from "../config/resolve";
import type { Env } from "../env";
import type { SessionView } from "../session/types";

/** What the middleware chain knows about a request, in the order it learns it. */
export interface GatewayVariables {
  config: ResolvedConfig;
  /** The canonical path (canonical-path.ts): what is authorized is what is forwarded. */
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
