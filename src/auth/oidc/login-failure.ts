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
import { errorPage, errorResponse, wantsHtmlNavigation, type ErrorCode } from "../../http/responses";
import { logError, logWarning } from "../../log";
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

export class LoginFailure extends Error {
  readonly kind: LoginFailureKind;
  /** For the log only: never shown to the client. */
  readonly reason: string;

  constructor(kind: LoginFailureKind, reason: string) {
    super(`${kind}: ${reason}`);
    this.name = "LoginFailure";
    this.kind = kind;
    this.reason = reason;
  }
}

/** The answer to a failed login step; it also clears the transaction cookie. */
export function loginFailureResponse(request: Request, failure: LoginFailure): Response {
  const fields = { via: "oidc", kind: failure.kind, reason: failure.reason };
  if (failure.kind === "provider") logError("login.provider_failed", fields);
  else logWarning("login.refused", fields);
  const answer = ANSWERS[failure.kind];
  const response = wantsHtmlNavigation(request) ? errorPage(answer.code, answer) : errorResponse(answer.code);
  response.headers.append("Set-Cookie", clearedTransactionSetCookie());
  response.headers.set("Referrer-Policy", "no-referrer");
  return response;
}
