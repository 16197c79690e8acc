/**
 * How an OIDC login that cannot finish is answered: a clear page for the browser (JSON for
 * anything else), never a 500 and never a session (SECURITY.md F-02). Three answers,
 * whatever the detail, which goes to the log:
 *
 * - `transaction` (400): no, a bad, an expired or a used login transaction; a `state` or an
 *   `iss` that does not match; a code or nonce that does not belong to this login.
 * - `refused` (403): the provider answered `access_denied` or another "the user did not sign
 *   in" error (OAuth 2.0 RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
 * - `stale` (403): the page needs a recent login (`max_age`) and the ID token's `auth_time`
 *   is older, or missing.
 * - `provider` (502): the provider is unreachable, or answered something that does not verify.
 */
import { GatewayError, type ErrorCode } from "../../http/responses";
import { clearedTransactionSetCookie } from "./transaction";

export type LoginFailureKind = "transaction" | "refused" | "stale" | "provider";

const ANSWERS: Record<LoginFailureKind, { code: ErrorCode; title: string; text: string }> = {
  transaction: {
    code: "bad_request",
    title: "Sign-in expired",
    text: "This sign-in could not be completed: it took too long, was already used, or was started in another browser. Please sign in again.",
  },
  refused: {
    code: "forbidden",
    title: "Not signed in",
    text: "The identity provider did not sign you in. You can try again.",
  },
  stale: {
    code: "forbidden",
    title: "Sign in again",
    text: "This page needs a recent sign-in, and the identity provider did not ask you to sign in again. Please sign in again.",
  },
  provider: {
    code: "bad_gateway",
    title: "Sign-in unavailable",
    text: "The identity provider could not be reached, or its answer could not be verified. Please try again later.",
  },
};

/**
 * A failed login step as a GatewayError: app.ts logs it (`login.provider_failed` is an error,
 * `login.refused` a warning) and answers it, clearing the transaction cookie either way.
 */
export function loginFailure(kind: LoginFailureKind, reason: string): GatewayError {
  const { code, ...page } = ANSWERS[kind];
  const headers = new Headers({ "Referrer-Policy": "no-referrer" });
  headers.append("Set-Cookie", clearedTransactionSetCookie());
  return new GatewayError(code, reason, {
    page,
    headers,
    event: kind === "provider" ? "login.provider_failed" : "login.refused",
    fields: { via: "oidc", kind },
  });
}
