/**
 * A workload token (a JWT from a TRUSTED_ISSUERS entry: GitHub Actions, a Kubernetes service
 * account, SPIFFE) checked, with `jose`, into the fields of a `workload` principal — or refused
 * with a reason for the log and the status to answer: 401 for a token that is not good, 503
 * when its issuer's keys cannot be had (docs/workload-tokens.md).
 *
 * The cheap checks come first, on the undecoded token, so junk costs no key and no network
 * call: at most MAX_TOKEN_LENGTH characters (a 16 KiB token or a 1 MB header is refused before
 * any decoding), three base64url parts (the third may be empty, only to be refused for its
 * `alg`), an `iss` naming a trusted issuer (read unverified to pick the entry, then verified),
 * an `alg` among that issuer's algorithms (so never `none`, never HMAC: an HS256 token "signed"
 * with the public key goes no further). Then the signature by a key of the issuer's JWKS, `iss`
 * exactly, `aud` holding one of its audiences, `exp` in the future (no leeway: an expired token
 * is refused at once), `nbf` and `iat` not more than CLOCK_SKEW_SECONDS in the future (an
 * issuer whose clock runs ahead), `exp − iat` within the entry's maxTokenLifetimeSeconds, and
 * a usable subject.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from "jose";
import { claimAt } from "../http/claims";
import { MAX_ROLES, parseSessionUser } from "../session/user";
import type { IssuerKeys, JwksCache } from "./jwks-cache";
import type { VerifiedTokens } from "./verified-tokens";
import type { TrustedIssuer } from "./trusted-issuers";

/** 8 KiB: GitHub's and Kubernetes' tokens are 1–2 KB; anything past this is refused unread. */
export const MAX_TOKEN_LENGTH = 8192;
/** Seconds an issuer's clock may run ahead of ours, on `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 60;

export type RefusalReason =
  | "too-large"
  | "malformed"
  | "unknown-issuer"
  | "algorithm"
  | "unknown-key"
  | "signature"
  | "issuer"
  | "audience"
  | "expired"
  | "not-yet-valid"
  | "issued-in-future"
  | "lifetime"
  | "claims"
  | "subject"
  | "issuer-unavailable";

/** What a verified workload token says, for the principal. */
export interface WorkloadIdentity {
  /** The TRUSTED_ISSUERS entry's name. */
  readonly issuer: string;
  /** The entry's subjectClaim: `repo:org/repo:ref:refs/heads/main`, `system:serviceaccount:ns:name`. */
  readonly subject: string;
  /** From the entry's rolesClaim; empty without one. */
  readonly roles: readonly string[];
  /** Every claim of the verified token (rules' `claims` read them). */
  readonly claims: Readonly<JWTPayload>;
  /** The token's `exp`, seconds since the epoch. */
  readonly expiresAtSeconds: number;
}

export type WorkloadVerification =
  | { readonly ok: true; readonly identity: WorkloadIdentity }
  /** `detail` is for the log: it names the check, never the token. */
  | { readonly ok: false; readonly reason: RefusalReason; readonly status: 401 | 503; readonly detail: string };

// The signature may be empty here so that an `alg: none` token is refused for its alg (below).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The key set threw something other than a JOSE error: a key of the issuer's JWKS does not import. */
class BrokenKey extends Error {}

/**
 * `verified`: tokens this isolate has verified with the keys `cache` still hands out; their
 * signature is not checked again (verified-tokens.ts), everything that depends on the time is.
 */
export async function verifyWorkloadToken(token: string, issuers: readonly TrustedIssuer[], nowMs: number, cache: JwksCache, verified: VerifiedTokens | null = null): Promise<WorkloadVerification> {
  if (token.length > MAX_TOKEN_LENGTH) return refused("too-large", `token is longer than ${MAX_TOKEN_LENGTH} characters`);
  if (!COMPACT_JWS.test(token)) return refused("malformed", "token is not a signed JWT (three base64url parts)");
  let header: JWTHeaderParameters;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
    unverified = decodeJwt(token);
  } catch (error) {
    return refused("malformed", `token does not decode: ${(error as Error).message}`);
  }
  const issuer = issuers.find((entry) => entry.issuer === unverified.iss);
  if (!issuer) return refused("unknown-issuer", `iss ${shown(unverified.iss)} is not a trusted issuer`);
  if (typeof header.alg !== "string" || !issuer.algorithms.includes(header.alg)) {
    return refused("algorithm", `alg ${shown(header.alg)} is not one of ${issuer.name}'s algorithms (${issuer.algorithms.join(", ")})`);
  }

  const keys = await cache.keys(issuer, nowMs);
  if (!keys.ok) return unavailable(issuer, keys);
  const payload = verified?.get(token, keys.keySet);
  if (payload) return checkClaims(issuer, { payload }, nowMs);
  let outcome = await verifyWith(token, issuer, keys, nowMs);
  if (outcome === "no-matching-key") {
    // A kid the cached JWKS lacks: the issuer may have rotated its keys (rate-limited refetch).
    const refreshed = await cache.refresh(issuer, nowMs);
    if (refreshed === null) return refused("unknown-key", `no key of ${issuer.name}'s JWKS fits kid ${shown(header.kid)} (the JWKS was fetched under 30 s ago)`);
    if (!refreshed.ok) return unavailable(issuer, refreshed);
    outcome = await verifyWith(token, issuer, refreshed, nowMs);
    if (outcome === "no-matching-key") return refused("unknown-key", `no key of ${issuer.name}'s JWKS fits kid ${shown(header.kid)}, after fetching it again`);
    if (!("reason" in outcome)) remember(refreshed, outcome);
  } else if (!("reason" in outcome)) remember(keys, outcome);
  if ("reason" in outcome) return outcome;
  return checkClaims(issuer, outcome, nowMs);

  function remember(usedKeys: Extract<IssuerKeys, { ok: true }>, { payload }: Verified): void {
    verified?.set(token, usedKeys.keySet, payload, payload.exp! * 1000);
  }
}

type Verified = { readonly payload: JWTPayload };
type Refused = Extract<WorkloadVerification, { ok: false }>;

async function verifyWith(token: string, issuer: TrustedIssuer, keys: Extract<IssuerKeys, { ok: true }>, nowMs: number): Promise<Verified | Refused | "no-matching-key"> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (protectedHeader, jws) => {
        let key: Awaited<ReturnType<typeof keys.keySet>>;
        try {
          key = await keys.keySet(protectedHeader, jws);
        } catch (error) {
          if (error instanceof errors.JOSEError) throw error;
          throw new BrokenKey((error as Error).message);
        }
        // jose throws a TypeError for a short RSA key (RFC 7518 §3.3 wants 2048 bits): the
        // issuer's fault, said here before it could become a 500.
        const { modulusLength } = key.algorithm as { modulusLength?: number };
        if (modulusLength !== undefined && modulusLength < 2048) throw new BrokenKey(`an RSA key of ${modulusLength} bits (at least 2048 are required)`);
        return key;
      },
      {
        issuer: issuer.issuer,
        audience: [...issuer.audiences],
        algorithms: [...issuer.algorithms],
        requiredClaims: ["exp", "iat"],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(nowMs),
      },
    );
    return { payload };
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) return "no-matching-key";
    if (error instanceof BrokenKey) return { ok: false, reason: "issuer-unavailable", status: 503, detail: `a key of ${issuer.name}'s JWKS does not import: ${error.message}` };
    if (!(error instanceof errors.JOSEError)) throw error;
    return refusedBy(error, issuer);
  }
}

function refusedBy(error: errors.JOSEError, issuer: TrustedIssuer): Refused {
  if (error instanceof errors.JWKSMultipleMatchingKeys) return refused("unknown-key", `the token names no kid and several keys of ${issuer.name}'s JWKS fit`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return refused("signature", "signature does not verify");
  if (error instanceof errors.JOSEAlgNotAllowed) return refused("algorithm", error.message);
  if (error instanceof errors.JWTExpired) return refused("expired", "exp is in the past");
  if (error instanceof errors.JWTClaimValidationFailed) {
    // An aud that is missing or foreign is one reason; a malformed nbf is not a future one.
    const reason = error.claim === "iss" ? "issuer" : error.claim === "aud" ? "audience" : error.claim === "nbf" && error.reason === "check_failed" ? "not-yet-valid" : undefined;
    return refused(reason ?? "claims", `${error.claim}: ${error.message}`);
  }
  // JWTInvalid (a payload that is not a claims set), JWSInvalid, JOSENotSupported (crit, b64).
  return refused("malformed", `${error.code}: ${error.message}`);
}

function checkClaims(issuer: TrustedIssuer, { payload }: Verified, nowMs: number): WorkloadVerification {
  const nowSeconds = nowMs / 1000;
  // jose checked that both are numbers and tolerated CLOCK_SKEW_SECONDS on exp; this does not.
  const exp = payload.exp!;
  const iat = payload.iat!;
  if (exp <= nowSeconds) return refused("expired", "exp is in the past");
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) return refused("issued-in-future", `iat is more than ${CLOCK_SKEW_SECONDS} s in the future`);
  if (exp - iat > issuer.maxTokenLifetimeSeconds) {
    return refused("lifetime", `exp − iat is ${exp - iat} s, over ${issuer.name}'s maxTokenLifetimeSeconds (${issuer.maxTokenLifetimeSeconds})`);
  }
  const subject = claimAt(payload, issuer.subjectClaim);
  // The same bound as a user's id: it becomes X-Auth-User (SECURITY.md I-06).
  if (typeof subject !== "string" || !parseSessionUser({ sub: subject }).ok) {
    return refused("subject", `claim ${issuer.subjectClaim} is missing or not a usable subject (1–256 characters, no control characters)`);
  }
  return { ok: true, identity: { issuer: issuer.name, subject, roles: rolesOf(payload, issuer, subject), claims: payload, expiresAtSeconds: exp } };
}

/** The roles claim's strings that fit a header, at most MAX_ROLES; anything else gives none (never more access). */
function rolesOf(payload: JWTPayload, issuer: TrustedIssuer, subject: string): string[] {
  if (issuer.rolesClaim === null) return [];
  const value = claimAt(payload, issuer.rolesClaim);
  const candidates = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  const usable = candidates.filter((role): role is string => typeof role === "string" && parseSessionUser({ sub: subject, roles: [role] }).ok);
  return [...new Set(usable)].slice(0, MAX_ROLES);
}

function refused(reason: RefusalReason, detail: string): Refused {
  return { ok: false, reason, status: 401, detail };
}

function unavailable(issuer: TrustedIssuer, keys: Extract<IssuerKeys, { ok: false }>): Refused {
  return { ok: false, reason: "issuer-unavailable", status: 503, detail: `${issuer.name}'s keys: ${keys.failure}: ${keys.detail}` };
}

/** A value from the unverified token, for the log: JSON, and short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
