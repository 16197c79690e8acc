/**
 * The signed identity assertion (docs/design.md "Identity the origin can verify"; SECURITY.md
 * I-03): beside the plain headers, every request forwarded with a session carries
 * `X-Auth-Assertion`, a compact JWS (RFC 7515, `typ` JWT per RFC 7519) that the origin checks
 * against `/_gateway/jwks.json`. A client copy never gets through: it is an `x-auth-*` header,
 * stripped by the plain propagator before anything is set.
 *
 * Its `aud` is the origin's it is sent to (R6): an assertion that one origin received — a
 * public blog routed beside the app on the same host — is refused by every other origin's
 * verifier. The default origin's is ASSERTION_AUDIENCE (else the issuer), as it always was; a
 * named origin's is the `audience` its ORIGINS entry names, else the default origin's + `#` +
 * its name.
 */
import { SignJWT, type JWTPayload } from "jose";
import type { Principal } from "../credentials/principal";
import type { AssertionCache } from "./assertion-cache";
import type { SigningKey } from "./assertion-keys";
import type { IdentityPropagator } from "./propagator";

/** The default origin's name (policy/routes.ts DEFAULT_ORIGIN; identity may not import policy). */
const DEFAULT_ORIGIN = "default";

export const ASSERTION_HEADER = "X-Auth-Assertion";

/** `exp` − `iat`: short, so a copied assertion is soon worthless (the contract's 60 s at most). */
export const ASSERTION_LIFETIME_SECONDS = 60;

export interface AssertionOptions {
  /** The first key of ASSERTION_KEYS. */
  readonly signingKey: SigningKey;
  /** ASSERTION_ISSUER; null: `https://` + the request's host. */
  readonly issuer: string | null;
  /** ASSERTION_AUDIENCE, the default origin's; null: the issuer. */
  readonly audience: string | null;
  /** Audiences ORIGINS names, by origin name; an origin not here (or null) gets a derived one. */
  readonly originAudiences?: ReadonlyMap<string, string | null>;
  readonly cache: AssertionCache;
  /** Epoch milliseconds; tests pass their own. Default Date.now. */
  readonly now?: () => number;
}

/**
 * The claims of one principal's assertion, without `iat` and `exp`: `principal` says which kind
 * `sub` names (a user's and a workload's subjects may be spelled alike); a user's carries its
 * session (`sid`) and login time, a workload's its issuer's name, a service's its name.
 */
export function assertionClaims(principal: Principal, issuer: string, audience: string): JWTPayload {
  const { id, email, name, roles, session } = principal;
  return {
    iss: issuer,
    aud: audience,
    sub: id,
    principal: principal.kind,
    ...(email ? { email } : {}),
    ...(name ? { name } : {}),
    roles: [...roles],
    ...(session ? { sid: session.id } : {}),
    ...(principal.service ? { service: principal.service } : {}),
    ...(principal.issuer ? { issuer: principal.issuer } : {}),
    // Only a login time the gateway knows: an unknown one is left out, never stated as now.
    ...(session && session.authenticatedAt !== null ? { auth_time: Math.floor(Date.parse(session.authenticatedAt) / 1000) } : {}),
  };
}

/** `inner` (the plain headers) first, then the assertion for a request with a session. */
export function assertionPropagator(inner: IdentityPropagator, options: AssertionOptions): IdentityPropagator {
  const { signingKey, cache, now = Date.now } = options;
  return {
    async prepare(headers, context) {
      await inner.prepare(headers, context);
      const { principal, url } = context;
      if (!principal) return;
      const issuer = options.issuer ?? `https://${url.host}`;
      const claims = assertionClaims(principal, issuer, audienceOf(context.originName, options.audience ?? issuer));
      // Everything the assertion states but its times: a changed identity is another entry.
      const cacheKey = `${signingKey.kid}\n${JSON.stringify(claims)}`;
      const nowSeconds = Math.floor(now() / 1000);
      let jwt = cache.get(cacheKey, nowSeconds);
      if (!jwt) {
        const expiresAtSeconds = nowSeconds + ASSERTION_LIFETIME_SECONDS;
        jwt = await new SignJWT(claims)
          .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: "JWT" })
          .setIssuedAt(nowSeconds)
          .setExpirationTime(expiresAtSeconds)
          .sign(signingKey.privateKey);
        cache.set(cacheKey, jwt, expiresAtSeconds);
      }
      headers.set(ASSERTION_HEADER, jwt);
    },
    isOwnHeader: inner.isOwnHeader,
  };

  function audienceOf(originName: string, defaultAudience: string): string {
    if (originName === DEFAULT_ORIGIN) return defaultAudience;
    return options.originAudiences?.get(originName) ?? `${defaultAudience}#${originName}`;
  }
}
