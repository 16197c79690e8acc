/**
 * `GET /_gateway/callback`: finishes a login this browser started (login.ts).
 *
 * 1. The sealed transaction cookie must be present, open under SESSION_SECRET, be unexpired
 *    and name the configured issuer; it is cleared whatever happens next, so a state works
 *    once (RFC 9700 §2.1.1; SECURITY.md L-01).
 * 2. The authorization response must carry that `state` and, when the provider announces
 *    RFC 9207, its own `iss` (mix-up defence, RFC 9700 §4.4; L-05). An `error=` answer ends
 *    here with no session (F-02).
 * 3. The code is exchanged with the PKCE verifier; the ID token is validated: signature by the
 *    provider's JWKS, `iss`, `aud`/`azp`, `exp`, `iat`, and the transaction's `nonce` (OIDC
 *    Core §3.1.3.7; L-04). A code works once at the provider, so a replayed callback fails.
 * 4. Claims the ID token lacks are read from userinfo (its `sub` must match), mapped, and the
 *    session created like any login (begin-session.ts), with the provider's `sid` and the ID
 *    token kept for logout.
 *    With `max_age` in the request (a rule's maxAuthAgeSeconds), the ID token must carry an
 *    `auth_time` at most that old, plus AUTH_TIME_SKEW_SECONDS (OIDC Core §3.1.2.1): a
 *    provider that ignored max_age does not pass for a fresh login. `auth_time` becomes the
 *    session's authenticatedAt; without it the login time is unknown (null), never the
 *    callback's "now": a silent sign-in on a provider session must not pass for a fresh
 *    password (SECURITY.md R1), so every maxAuthAgeSeconds rule then asks for a login with
 *    max_age, which the provider must answer with an auth_time.
 * 5. 303 to `return_to` with `Referrer-Policy: no-referrer` and `Cache-Control: no-store`:
 *    the code never leaks through a Referer (L-08).
 */
import type { Context, Handler } from "hono";
import * as oauth from "oauth4webapi";
import { gatewayHeaders, type GatewayError } from "../../http/responses";
import { logWarning } from "../../log";
import type { GatewayEnv } from "../../pipeline/types";
import { readSessionCookie } from "../../http/cookies";
import type { BeginSession } from "../method";
import { idpIndexes, type IdpLink } from "./idp-index";
import { lacksMappedClaims, mapIdentity, type Claims } from "./claims";
import { loginFailure } from "./login-failure";
import { isNetworkFailure } from "../../http/network";
import { authorizationServer, client, clientAuthentication, describe, ProviderError, requestOptions } from "./provider";
import type { CallbackHosts } from "./callback-host";
import type { ResolvedOidcConfig } from "./settings";
import { clearedTransactionSetCookie, openTransaction, TRANSACTION_COOKIE, type LoginTransaction } from "./transaction";

/** An ID token longer than this is not kept for `id_token_hint` (logout then sends client_id only). */
export const MAX_STORED_ID_TOKEN_LENGTH = 8192;
const MAX_SID_LENGTH = 256;
/** Clock difference allowed between the provider and the gateway when `auth_time` is checked. */
export const AUTH_TIME_SKEW_SECONDS = 60;

/** Authorization errors that mean "the user was not signed in", not "something is broken". */
const REFUSALS = new Set(["access_denied", "login_required", "consent_required", "interaction_required", "account_selection_required"]);

export function oidcCallback(oidc: ResolvedOidcConfig, begin: BeginSession, hosts: CallbackHosts): Handler<GatewayEnv> {
  return async function oidcCallback(c) {
    // A failed step throws loginFailure(): app.ts answers it and clears the transaction.
    const transaction = await readTransaction(c, oidc);
    const { user, idp, idToken, authenticatedAt } = await completeLogin(c, oidc, transaction, hosts.redirectUriFor(c.get("url")));
    // Listed under the provider's session and subject, for back-channel logout; the ID token
    // comes back at logout as id_token_hint.
    // authenticatedAt is the provider's auth_time, or null (unknown), never the callback's time.
    const begun = await begin(c, user, { indexes: idpIndexes(idp), ...(idToken ? { logoutHint: idToken } : {}), authenticatedAt });
    if (!begun.ok) {
      begun.refusal.headers.append("Set-Cookie", clearedTransactionSetCookie());
      begun.refusal.headers.set("Referrer-Policy", "no-referrer");
      return begun.refusal;
    }
    const headers = gatewayHeaders({ Location: transaction.returnTo, "Referrer-Policy": "no-referrer" });
    headers.append("Set-Cookie", begun.setCookie);
    headers.append("Set-Cookie", clearedTransactionSetCookie());
    return new Response(null, { status: 303, headers });
  };
}

async function readTransaction(c: Context<GatewayEnv>, oidc: ResolvedOidcConfig): Promise<LoginTransaction> {
  const cookie = readSessionCookie(c.req.header("cookie") ?? null, TRANSACTION_COOKIE);
  if (cookie.kind !== "one") throw loginFailure("transaction", cookie.kind === "none" ? "no login transaction cookie" : "two login transaction cookies");
  const transaction = await openTransaction(oidc.transactionKeys, cookie.value, Math.floor(Date.now() / 1000));
  if (!transaction) throw loginFailure("transaction", "login transaction cookie does not open or has expired");
  if (transaction.issuer !== oidc.issuer) throw loginFailure("transaction", "login transaction was started with another issuer");
  return transaction;
}

async function completeLogin(c: Context<GatewayEnv>, oidc: ResolvedOidcConfig, transaction: LoginTransaction, redirectUri: string) {
  // Started for another host's callback: the provider would refuse the code with this one.
  if (transaction.redirectUri !== undefined && transaction.redirectUri !== redirectUri) throw loginFailure("transaction", "login transaction was started for another callback");
  const metadata = await provider("discovery", () => authorizationServer(oidc));
  const oauthClient = client(oidc);

  let callbackParameters: URLSearchParams;
  try {
    callbackParameters = oauth.validateAuthResponse(metadata, oauthClient, new URL(c.req.url), transaction.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      const kind = REFUSALS.has(error.error) ? "refused" : "provider";
      throw loginFailure(kind, `provider answered error=${error.error}`);
    }
    throw loginFailure("transaction", `authorization response: ${describe(error)}`);
  }

  const tokenResponse = await provider("token request", () =>
    oauth.authorizationCodeGrantRequest(
      metadata,
      oauthClient,
      clientAuthentication(metadata, oidc),
      callbackParameters,
      redirectUri,
      transaction.codeVerifier,
      requestOptions(oidc),
    ),
  );
  let tokens: oauth.TokenEndpointResponse;
  try {
    tokens = await oauth.processAuthorizationCodeResponse(metadata, oauthClient, tokenResponse, {
      expectedNonce: transaction.nonce,
      requireIdToken: true,
    });
    // oauth4webapi checks the claims; the signature is checked here, with the cached JWKS.
    await oauth.validateApplicationLevelSignature(metadata, tokenResponse, requestOptions(oidc));
  } catch (error) {
    throw tokenFailure(error);
  }
  const idTokenClaims = oauth.getValidatedIdTokenClaims(tokens)!;
  const authTime = typeof idTokenClaims.auth_time === "number" && Number.isFinite(idTokenClaims.auth_time) ? idTokenClaims.auth_time : null;
  if (transaction.maxAgeSeconds !== undefined) checkAuthTime(authTime, transaction.maxAgeSeconds);

  let claims: Claims = idTokenClaims;
  if (metadata.userinfo_endpoint && lacksMappedClaims(idTokenClaims, oidc.claims)) {
    const userinfo = await provider("userinfo", async () => {
      const response = await oauth.userInfoRequest(metadata, oauthClient, tokens.access_token, requestOptions(oidc));
      // OIDC Core §5.3.4: the userinfo `sub` must be the ID token's.
      return oauth.processUserInfoResponse(metadata, oauthClient, idTokenClaims.sub, response);
    });
    // The signed ID token wins over userinfo where both have a claim.
    claims = { ...userinfo, ...idTokenClaims };
  }

  const mapped = mapIdentity(claims, oidc.claims);
  if (!mapped.ok) throw loginFailure("provider", `identity: ${mapped.problem}`);
  if (mapped.dropped.length > 0) logWarning("login.claims_dropped", { sub: mapped.user.sub, dropped: mapped.dropped });

  const sid = idTokenClaims.sid;
  const idToken = tokens.id_token!;
  const idp: IdpLink = {
    iss: idTokenClaims.iss,
    sub: idTokenClaims.sub,
    ...(typeof sid === "string" && sid.length > 0 && sid.length <= MAX_SID_LENGTH ? { sid } : {}),
  };
  return {
    user: mapped.user,
    idp,
    idToken: idToken.length <= MAX_STORED_ID_TOKEN_LENGTH ? idToken : null,
    authenticatedAt: authTime === null ? null : authTime * 1000,
  };
}

function checkAuthTime(authTime: number | null, maxAgeSeconds: number): void {
  if (authTime === null) throw loginFailure("stale", `max_age=${maxAgeSeconds} was asked, and the ID token has no auth_time`);
  const ageSeconds = Math.floor(Date.now() / 1000) - authTime;
  if (ageSeconds > maxAgeSeconds + AUTH_TIME_SKEW_SECONDS) {
    throw loginFailure("stale", `max_age=${maxAgeSeconds} was asked, and auth_time is ${ageSeconds} s old`);
  }
}

/**
 * A call to the provider: no answer, or one that does not verify, is a `provider` failure
 * (502). Any other error is a bug and goes on to app.ts, which logs its stack (500).
 */
async function provider<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isProviderFailure(error)) throw error;
    throw loginFailure("provider", `${what}: ${describe(error)}`);
  }
}

function isProviderFailure(error: unknown): boolean {
  return (
    error instanceof ProviderError ||
    error instanceof oauth.OperationProcessingError ||
    error instanceof oauth.ResponseBodyError ||
    error instanceof oauth.WWWAuthenticateChallengeError ||
    error instanceof oauth.AuthorizationResponseError ||
    isNetworkFailure(error)
  );
}

/**
 * A refused code (`invalid_grant`: used, expired, or not issued for this verifier and
 * redirect URI) or a nonce that is not this login's is a transaction failure (400): the code
 * did not come from the login this browser started. Anything else is the provider's (502).
 */
function tokenFailure(error: unknown): GatewayError {
  if (error instanceof oauth.ResponseBodyError && error.error === "invalid_grant") {
    return loginFailure("transaction", `token endpoint: invalid_grant`);
  }
  if (error instanceof oauth.OperationProcessingError && error.code === oauth.JWT_CLAIM_COMPARISON && (error.cause as { claim?: string } | undefined)?.claim === "nonce") {
    return loginFailure("transaction", "ID token nonce is not this login's");
  }
  if (!isProviderFailure(error)) throw error;
  return loginFailure("provider", `token response: ${describe(error)}`);
}
