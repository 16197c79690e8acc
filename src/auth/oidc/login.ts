/**
 * `GET /_gateway/login` in OIDC mode: the authorization code flow with PKCE (RFC 7636, S256),
 * `state` (RFC 9700 §2.1) and `nonce` (OIDC Core §3.1.2.1), all fresh for each login and
 * kept only in the sealed transaction cookie, so no state is created on the server for an
 * anonymous visitor (SECURITY.md D-02). `redirect_uri` is the configured one, never
 * derived from the request (L-06).
 */
import type { Context } from "hono";
import * as oauth from "oauth4webapi";
import { gatewayHeaders } from "../../http/responses";
import { clientIp } from "../../http/client";
import { logEvent } from "../../log";
import type { GatewayEnv } from "../../pipeline/types";
import { LoginFailure, loginFailureResponse } from "./login-failure";
import { authorizationServer, describe, isAllowedUrl, ProviderError } from "./provider";
import type { ResolvedOidcConfig } from "./settings";
import { sealTransaction, TRANSACTION_TTL_SECONDS, transactionSetCookie } from "./transaction";

export async function startOidcLogin(c: Context<GatewayEnv>, oidc: ResolvedOidcConfig, returnTo: string, maxAgeSeconds: number | null): Promise<Response> {
  let authorizationEndpoint: string;
  try {
    const metadata = await authorizationServer(oidc);
    if (!isAllowedUrl(oidc, metadata.authorization_endpoint)) throw new ProviderError("authorization_endpoint is missing or not https");
    authorizationEndpoint = metadata.authorization_endpoint;
  } catch (error) {
    // authorizationServer() fails only with ProviderError; anything else is a bug (500).
    if (!(error instanceof ProviderError)) throw error;
    return loginFailureResponse(c.req.raw, new LoginFailure("provider", describe(error)));
  }

  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(authorizationEndpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", oidc.clientId);
  url.searchParams.set("redirect_uri", oidc.redirectUri);
  url.searchParams.set("scope", oidc.scopes);
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  // OIDC Core §3.1.2.1: the provider must authenticate the user again if its own login is
  // older; the callback checks the ID token's auth_time against it.
  if (maxAgeSeconds !== null) url.searchParams.set("max_age", String(maxAgeSeconds));

  const sealed = await sealTransaction(oidc.transactionKeys, {
    state,
    nonce,
    codeVerifier,
    returnTo,
    issuer: oidc.issuer,
    ...(maxAgeSeconds !== null ? { maxAgeSeconds } : {}),
    expiresAt: Math.floor(Date.now() / 1000) + TRANSACTION_TTL_SECONDS,
  });
  logEvent("login.started", { via: "oidc", ip: clientIp(c.req.raw) });
  const headers = gatewayHeaders({
    Location: url.href,
    "Set-Cookie": transactionSetCookie(sealed),
    // The provider need not learn which page of the site the user was on.
    "Referrer-Policy": "no-referrer",
  });
  return new Response(null, { status: 302, headers });
}
