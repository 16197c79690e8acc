/**
 * `GET /_gateway/login` in OIDC mode: the authorization code flow with PKCE (RFC 7636, S256),
 * `state` (RFC 9700 §2.1) and `nonce` (OIDC Core §3.1.2.1), all fresh for each login and
 * kept only in the sealed transaction cookie, so no state is created on the server for an
 * anonymous visitor (SECURITY.md D-02). `redirect_uri` is the configured one, or that of a
 * host a rule names (callback-host.ts), never derived from an arbitrary Host (L-06).
 */
import type { Context } from "hono";
import * as oauth from "oauth4webapi";
import { gatewayHeaders } from "../../http/responses";
import { clientIp } from "../../http/client";
import { logEvent } from "../../log";
import type { GatewayEnv } from "../../pipeline/types";
import { loginFailure } from "./login-failure";
import { authorizationServer, describe, isAllowedUrl, ProviderError } from "./provider";
import type { CallbackHosts } from "./callback-host";
import type { ResolvedOidcConfig } from "./settings";
import { sealTransaction, TRANSACTION_TTL_SECONDS, transactionSetCookie } from "./transaction";

/**
 * "Sign in as someone else" (`/_gateway/login?prompt=select_account`, or `login`): the
 * provider's account choice (OIDC Core §3.1.2.1), never whatever else a link might carry.
 * `select_account` goes only to a provider that lists it in `prompt_values_supported`; any
 * other gets `login` — a provider may refuse a prompt it does not support (oidc-provider
 * does), and every provider must ask who signs in at `login`.
 */
function accountPrompt(asked: string | undefined, supported: unknown): "select_account" | "login" | null {
  if (asked !== "select_account" && asked !== "login") return null;
  if (asked === "select_account" && Array.isArray(supported) && supported.includes("select_account")) return "select_account";
  return "login";
}

/** OIDC Core §5.5: `auth_time` in the ID token, as an Essential Claim (§5.5.1). */
export const AUTH_TIME_CLAIMS = JSON.stringify({ id_token: { auth_time: { essential: true } } });

export async function startOidcLogin(c: Context<GatewayEnv>, oidc: ResolvedOidcConfig, hosts: CallbackHosts, returnTo: string, maxAgeSeconds: number | null): Promise<Response> {
  const start = hosts.start(c.get("url"), returnTo);
  // A shared session's logins all start on the callback host, whose cookie the callback reads.
  if (start.kind === "elsewhere") return new Response(null, { status: 302, headers: gatewayHeaders({ Location: start.loginUrl.href }) });
  let authorizationEndpoint: string;
  let promptValues: unknown;
  let claimsParameter = false;
  try {
    const metadata = await authorizationServer(oidc);
    promptValues = metadata.prompt_values_supported;
    claimsParameter = metadata.claims_parameter_supported === true;
    if (!isAllowedUrl(oidc, metadata.authorization_endpoint)) throw new ProviderError("authorization_endpoint is missing or not https");
    authorizationEndpoint = metadata.authorization_endpoint;
  } catch (error) {
    // authorizationServer() fails only with ProviderError; anything else is a bug (500).
    if (!(error instanceof ProviderError)) throw error;
    throw loginFailure("provider", describe(error));
  }

  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(authorizationEndpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", oidc.clientId);
  url.searchParams.set("redirect_uri", start.redirectUri);
  url.searchParams.set("scope", oidc.scopes);
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  const prompt = accountPrompt(c.req.query("prompt"), promptValues);
  if (prompt) url.searchParams.set("prompt", prompt);
  // OIDC Core §3.1.2.1: the provider must authenticate the user again if its own login is
  // older; the callback checks the ID token's auth_time against it.
  if (maxAgeSeconds !== null) url.searchParams.set("max_age", String(maxAgeSeconds));
  // Every login asks for auth_time, so that even one without max_age records when the user
  // really signed in (a silent sign-in on an old provider session is not "now"; R1). Only to
  // a provider that announces the claims parameter: others may refuse it, and with max_age
  // they must send auth_time anyway (OIDC Core §3.1.2.1); without either, the login time
  // stays unknown (callback.ts).
  if (claimsParameter) url.searchParams.set("claims", AUTH_TIME_CLAIMS);

  const sealed = await sealTransaction(oidc.transactionKeys, {
    state,
    nonce,
    codeVerifier,
    returnTo,
    redirectUri: start.redirectUri,
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
