/**
 * Logout Token validation (OpenID Connect Back-Channel Logout 1.0 §2.6; SECURITY.md
 * T-05), with `jose`. The cheap checks come first, on the undecoded token, so junk is refused
 * without a network call or any Durable Object: three base64url parts, a JSON header with an
 * asymmetric `alg` (never `none`, never HMAC), `typ` `logout+jwt` when present (§2.4), the
 * configured issuer. Then the signature against the provider's JWKS (cached per isolate), and
 * the claims: `aud` holds the client id, `iat` within LOGOUT_TOKEN_MAX_AGE_SECONDS and not in
 * the future, `exp` when present, a `jti`, the back-channel member of `events`, `sid` and/or
 * `sub`, and no `nonce` (which is what keeps an ID token from passing as a logout token).
 */
import { isNetworkFailure } from "../../http/network";
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { GatewayError } from "../../http/responses";
import { authorizationServer, CLOCK_TOLERANCE_SECONDS, describe, isAllowedUrl, PROVIDER_TIMEOUT_MS, ProviderError } from "./provider";
import type { ResolvedOidcConfig } from "./settings";

export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";
/** A logout token older than this (by `iat`) is refused, `exp` or not. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 300;
export const MAX_LOGOUT_TOKEN_LENGTH = 8192;
const MAX_CLAIM_LENGTH = 256;
/** Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037): the provider signs with its JWKS. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

export interface VerifiedLogoutToken {
  readonly iss: string;
  readonly jti: string;
  readonly sub?: string;
  readonly sid?: string;
  /** Epoch ms after which the token would be refused anyway: how long to remember its jti. */
  readonly retainUntil: number;
}

/** A logout token refused: 400 `invalid_request` (§2.8); the reason goes to the log only. */
export function logoutRefused(reason: string, fields: Record<string, unknown> = {}): GatewayError {
  return new GatewayError("bad_request", reason, { event: "logout.backchannel_refused", publicError: "invalid_request", fields });
}

/** The provider's keys, the replay cache or the session store could not be had: 503, so the provider retries. */
export function logoutUnavailable(reason: string): GatewayError {
  return new GatewayError("unavailable", reason, { event: "logout.backchannel_failed" });
}

const keySets = new Map<string, { readonly fetch: typeof fetch | undefined; readonly set: ReturnType<typeof createRemoteJWKSet> }>();

/** The provider's JWKS, fetched through `oidc.fetch` like every other call to the provider. */
function keySet(oidc: ResolvedOidcConfig, jwksUri: string) {
  const cached = keySets.get(jwksUri);
  if (cached && cached.fetch === oidc.fetch) return cached.set;
  const set = createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: PROVIDER_TIMEOUT_MS,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
    ...(oidc.fetch ? { [customFetch]: oidc.fetch } : {}),
  });
  keySets.set(jwksUri, { fetch: oidc.fetch, set });
  return set;
}

export async function verifyLogoutToken(oidc: ResolvedOidcConfig, token: string): Promise<VerifiedLogoutToken> {
  precheck(oidc, token);

  let jwksUri: string;
  try {
    const metadata = await authorizationServer(oidc);
    if (!isAllowedUrl(oidc, metadata.jwks_uri)) throw new ProviderError("jwks_uri is missing or not https");
    jwksUri = metadata.jwks_uri;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    throw logoutUnavailable(`provider metadata: ${describe(error)}`);
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySet(oidc, jwksUri), {
      issuer: oidc.issuer,
      audience: oidc.clientId,
      algorithms: ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
      requiredClaims: ["iat", "jti", "events"],
    }));
  } catch (error) {
    if (keysUnavailable(error)) throw logoutUnavailable(`provider keys: ${describe(error)}`);
    // Every verification failure is a JOSEError; anything else is a bug (500).
    if (error instanceof errors.JOSEError) throw logoutRefused(describe(error));
    throw error;
  }
  return checkClaims(payload);
}

function precheck(oidc: ResolvedOidcConfig, token: string): void {
  if (token.length > MAX_LOGOUT_TOKEN_LENGTH) throw logoutRefused("logout token is too long");
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) throw logoutRefused("logout token is not a signed JWT");
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch (error) {
    throw logoutRefused(`logout token does not decode: ${describe(error)}`);
  }
  if (typeof header.alg !== "string" || !ALGORITHMS.includes(header.alg)) throw logoutRefused(`alg ${shown(header.alg)} is not accepted`);
  // §2.4: "logout+jwt", also written with the "application/" prefix (RFC 7515 §4.1.9).
  if (header.typ !== undefined && String(header.typ).toLowerCase().replace(/^application\//, "") !== "logout+jwt") {
    throw logoutRefused(`typ ${shown(header.typ)} is not logout+jwt`);
  }
  if (payload.iss !== oidc.issuer) throw logoutRefused("iss is not the configured issuer");
}

function checkClaims(payload: JWTPayload): VerifiedLogoutToken {
  const { iss, jti, sub, sid, iat, exp } = payload as JWTPayload & { sid?: unknown };
  const events = payload.events;
  if (typeof events !== "object" || events === null || Array.isArray(events)) throw logoutRefused("events is not an object");
  const member = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT];
  if (typeof member !== "object" || member === null || Array.isArray(member)) {
    throw logoutRefused("events has no back-channel logout member");
  }
  if (Object.hasOwn(payload, "nonce")) throw logoutRefused("a logout token must not contain nonce");
  if (!isBoundedString(jti)) throw logoutRefused("jti is missing or not a string");
  if (sub !== undefined && !isBoundedString(sub)) throw logoutRefused("sub is not a string");
  if (sid !== undefined && !isBoundedString(sid)) throw logoutRefused("sid is not a string");
  if (sub === undefined && sid === undefined) throw logoutRefused("neither sub nor sid");
  const acceptedUntil = Math.min(exp ?? Number.POSITIVE_INFINITY, iat! + LOGOUT_TOKEN_MAX_AGE_SECONDS) + CLOCK_TOLERANCE_SECONDS;
  return {
    iss: iss!,
    jti,
    ...(sub !== undefined ? { sub } : {}),
    ...(typeof sid === "string" ? { sid } : {}),
    retainUntil: acceptedUntil * 1000,
  };
}

/** A value from the token, for the log: JSON, and short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

function isBoundedString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_CLAIM_LENGTH;
}

/** The JWKS could not be fetched or read: the provider's fault, worth a retry (503). */
function keysUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (error instanceof errors.JOSEError) return error.code === "ERR_JOSE_GENERIC";
  // fetch() itself failing: connection refused, DNS, timeout.
  return isNetworkFailure(error);
}
