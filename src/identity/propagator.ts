/**
 * What the origin learns about a request's identity, chosen once by app.ts: plain headers
 * (headers.ts) today; a signed assertion is another propagator behind the same interface.
 */
import type { Principal } from "../credentials/principal";

export interface PropagationContext {
  readonly request: Request;
  /** The request URL with its canonical path. */
  readonly url: URL;
  /** Who is asking (a user with their session, a service, a workload); null: nobody (a public route). */
  readonly principal: Principal | null;
  /** The origin the request goes to (the rule's `origin`, or `default`). */
  readonly originName: string;
}

export interface IdentityPropagator {
  /** Strips every client-sent copy of what it sets, then sets it for this request. */
  prepare(headers: Headers, context: PropagationContext): void | Promise<void>;
  /** A response header the origin may not pass to the client (its own names and control headers). */
  isOwnHeader(name: string): boolean;
}
