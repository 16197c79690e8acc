/**
 * The bearer reader (docs/principals.md): on a rule that admits machines, `Authorization:
 * Bearer <credential>` decides the request on its own — a service token (`gws_…`) or a workload
 * token (a JWT of a TRUSTED_ISSUERS entry). Whatever the header holds, the answer is a principal
 * or a refusal (401 `invalid_token`); an issuer whose keys cannot be had fails the request with
 * 503 (fail closed). The header is parsed as RFC 6750 §2.1 writes it: the scheme `Bearer` in any
 * case (RFC 9110 §11.1), one or more spaces, one b64token — anything else (Basic, two tokens, two
 * Authorization headers joined by a comma, an empty token) is a malformed credential.
 */
import type { Context } from "hono";
import { GatewayError } from "../http/responses";
import { clientIp } from "../http/client";
import { logEvent } from "../log";
import type { GatewayEnv } from "../pipeline/types";
import type { Credential } from "./credential";
import type { JwksCache } from "./jwks-cache";
import type { Principal } from "./principal";
import type { TrustedIssuer } from "./trusted-issuers";
import type { VerifiedTokens } from "./verified-tokens";
import { MAX_TOKEN_LENGTH, verifyWorkloadToken, type WorkloadIdentity } from "./workload-token";
import { limitCredentialFailures } from "./failure-limit";
import { SERVICE_TOKEN_PREFIX } from "../services/token";

/** What a service token turned out to be: checked at the edge, then by its Durable Object. */
export type ServiceCheck = (c: Context<GatewayEnv>, token: string, nowMs: number) => Promise<{ readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string }>;

export interface BearerReaderOptions {
  /** TRUSTED_ISSUERS and their keys; null: none configured, a JWT is an unknown credential. */
  readonly workload: { readonly issuers: readonly TrustedIssuer[]; readonly cache: JwksCache; readonly verified: VerifiedTokens } | null;
  /** Service tokens' check (credentials/service-token.ts). */
  readonly services: ServiceCheck;
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
/** A header past this is refused unread: no credential is longer (workload-token.ts). */
const MAX_HEADER_LENGTH = MAX_TOKEN_LENGTH + 16;

/** Reads the request's Authorization header as a bearer credential; null when it has none. */
export type BearerReader = (c: Context<GatewayEnv>) => Promise<Credential | null>;

export function bearerReader(options: BearerReaderOptions): BearerReader {
  return async function bearerCredential(c) {
    const header = c.req.header("authorization");
    if (header === undefined) return null;
    const token = header.length <= MAX_HEADER_LENGTH ? BEARER.exec(header.trim())?.[1] : undefined;
    if (token === undefined) return forged(c, "malformed", header.length > MAX_HEADER_LENGTH ? "Authorization header too long" : "not one Bearer token");
    const nowMs = Date.now();
    if (token.startsWith(SERVICE_TOKEN_PREFIX)) {
      const result = await options.services(c, token, nowMs);
      if (result.ok) return { state: "bearer", principal: result.principal };
      return FORGERIES.has(result.reason) ? forged(c, "service", result.reason) : refused(c, "service", result.reason);
    }
    if (!options.workload) return forged(c, "unknown", "not a service token, and no TRUSTED_ISSUERS is set");
    const result = await verifyWorkloadToken(token, options.workload.issuers, nowMs, options.workload.cache, options.workload.verified);
    if (result.ok) return { state: "bearer", principal: workloadPrincipal(result.identity) };
    if (result.status === 503) throw new GatewayError("unavailable", `workload token: ${result.detail}`, { event: "credential.issuer_unavailable", fields: { reason: result.reason } });
    return FORGERIES.has(result.reason) ? forged(c, `workload.${result.reason}`, result.detail) : refused(c, `workload.${result.reason}`, result.detail);
  };
}

/**
 * Refusals that no honest client causes — a credential that is not one, or whose signature
 * fails — which count against the client's address (failure-limit.ts). An expired or revoked
 * credential, or a token of an issuer whose keys rotated, does not: a CI job with a stale token
 * must not lock its whole address out.
 */
const FORGERIES: ReadonlySet<string> = new Set(["malformed", "forged", "too-large", "algorithm", "signature"]);

/** A verified workload token as a principal: its issuer's name, its subject, roles and claims. */
export function workloadPrincipal(identity: WorkloadIdentity): Principal {
  const { iat } = identity.claims;
  return {
    kind: "workload",
    id: identity.subject,
    roles: identity.roles,
    issuer: identity.issuer,
    claims: identity.claims,
    // When the issuer authenticated it: what `maxAuthAgeSeconds` counts from.
    authenticatedAtMs: typeof iat === "number" ? iat * 1000 : null,
    expiresAtMs: identity.expiresAtSeconds * 1000,
  };
}

function refused(c: Context<GatewayEnv>, reason: string, detail: string): Credential {
  logEvent("credential.bearer_refused", { reason, detail, ip: clientIp(c.req.raw), path: c.get("canonicalPath") });
  return { state: "bearer-refused", reason };
}

/** A refusal that counts against the client's address: past COOKIE_FAILURE_LIMITER's limit, 429. */
async function forged(c: Context<GatewayEnv>, reason: string, detail: string): Promise<Credential> {
  const credential = refused(c, reason, detail);
  await limitCredentialFailures(c.env.COOKIE_FAILURE_LIMITER, clientIp(c.req.raw));
  return credential;
}
