/**
 * The OpenID Provider as the gateway sees it, through `oauth4webapi`: discovery (OpenID
 * Connect Discovery 1.0), the client and its authentication, the options of every call.
 *
 * Discovery is cached per isolate for an hour (a failure is not cached); oauth4webapi caches
 * the provider's JWKS per discovered metadata object, so the same object is reused. Every call
 * to the provider is bounded by PROVIDER_TIMEOUT_MS, and goes through the configuration's
 * `fetch` when the login method was given one (tests), the global fetch otherwise. An
 * unreachable or misbehaving provider is a ProviderError, which the callers turn into 502
 * (login) or 503 (back-channel logout).
 */
import * as oauth from "oauth4webapi";
import type { OidcSettings, ResolvedOidcConfig } from "./settings";

export const PROVIDER_TIMEOUT_MS = 5000;
export const DISCOVERY_TTL_MS = 60 * 60 * 1000;
/** Seconds of clock difference tolerated with the provider on `iat`, `exp` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/** The provider could not be reached, or answered something the gateway cannot use. */
export class ProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProviderError";
  }
}

type Provider = Pick<ResolvedOidcConfig, "issuer" | "allowInsecureRequests" | "fetch">;

const discoveries = new Map<string, { metadata: Promise<oauth.AuthorizationServer>; fetchedAt: number }>();

/** The provider's metadata, discovered from `<issuer>/.well-known/openid-configuration`. */
export function authorizationServer(provider: Provider): Promise<oauth.AuthorizationServer> {
  // Not keyed by `fetch`: the document is the issuer's whichever way it was fetched, and a
  // failure (what a test's failing fetch produces) is never cached.
  const key = `${provider.allowInsecureRequests}:${provider.issuer}`;
  const cached = discoveries.get(key);
  if (cached && Date.now() - cached.fetchedAt < DISCOVERY_TTL_MS) return cached.metadata;
  const entry = { metadata: discover(provider), fetchedAt: Date.now() };
  discoveries.set(key, entry);
  entry.metadata.catch(() => {
    if (discoveries.get(key) === entry) discoveries.delete(key);
  });
  return entry.metadata;
}

async function discover(provider: Provider): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(provider.issuer);
  let metadata: oauth.AuthorizationServer;
  try {
    const response = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...requestOptions(provider) });
    // Checks that the document names exactly this issuer (Discovery §4.3).
    metadata = await oauth.processDiscoveryResponse(issuer, response);
  } catch (error) {
    throw new ProviderError(`discovery failed: ${describe(error)}`, { cause: error });
  }
  for (const name of ["authorization_endpoint", "token_endpoint", "jwks_uri"] as const) {
    if (!isAllowedUrl(provider, metadata[name])) throw new ProviderError(`discovery: ${name} is missing or not an https URL`);
  }
  return metadata;
}

/** An https URL; http only when the issuer itself is a loopback http one (dev and tests). */
export function isAllowedUrl(provider: Provider, value: unknown): value is string {
  if (typeof value !== "string") return false;
  const url = URL.parse(value);
  return url !== null && (url.protocol === "https:" || (provider.allowInsecureRequests && url.protocol === "http:"));
}

export function client(settings: Pick<OidcSettings, "clientId">): oauth.Client {
  return { client_id: settings.clientId, [oauth.clockTolerance]: CLOCK_TOLERANCE_SECONDS };
}

/**
 * client_secret_basic unless the provider lists only client_secret_post (RFC 8414 §2: an
 * absent list means client_secret_basic).
 */
export function clientAuthentication(metadata: oauth.AuthorizationServer, settings: Pick<OidcSettings, "clientSecret">): oauth.ClientAuth {
  const supported = metadata.token_endpoint_auth_methods_supported;
  if (supported && !supported.includes("client_secret_basic") && supported.includes("client_secret_post")) {
    return oauth.ClientSecretPost(settings.clientSecret);
  }
  return oauth.ClientSecretBasic(settings.clientSecret);
}

/** Options for every oauth4webapi call that may reach the provider. */
export function requestOptions(provider: Pick<Provider, "allowInsecureRequests" | "fetch">) {
  return {
    signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    // oauth4webapi refuses http unless told; only a loopback http issuer tells it.
    [oauth.allowInsecureRequests]: provider.allowInsecureRequests,
    ...(provider.fetch ? { [oauth.customFetch]: provider.fetch } : {}),
  };
}

/** One line for the log: the error's code and message, never a token. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : `${error.name}: ${error.message}`;
  }
  return String(error);
}
