/**
 * A trusted issuer's public keys (its JWKS, RFC 7517 §5), fetched and kept per isolate.
 *
 * - Where: the entry's `jwksUrl`, or the `jwks_uri` of its discovery document (OpenID Connect
 *   Discovery 1.0 §4), which must name exactly the configured issuer (§4.3). The discovery
 *   document is read again with each JWKS fetch, so it is never older than the keys.
 * - How long: as long as the JWKS answer's Cache-Control allows (`max-age` less `Age`;
 *   `no-store`/`no-cache`: only for the verification that fetched it), DEFAULT_TTL_MS when it
 *   says nothing, and never more than MAX_TTL_MS.
 * - An unknown `kid`: `refresh()` fetches again, at most once per REFRESH_INTERVAL_MS per
 *   issuer (counted from any fetch), so tokens with made-up kids cannot make the gateway
 *   hammer the issuer.
 * - Bounded: the whole fetch (discovery, JWKS, reading the bodies) within `deadlineMs`
 *   (default FETCH_DEADLINE_MS), each body at most `maxBytes`, and no redirect followed
 *   (RFC 9110 §15.4: a JWKS that moved is a configuration to update, not a hop to take on
 *   trust). A failed fetch is remembered for FAILURE_RETRY_MS, so an issuer that is down costs
 *   one waiting request per interval, not every request.
 *
 * Every way the issuer can fail — unreachable, too slow, a non-200, a redirect, too large, not
 * a JWKS, no usable key — is a classified `KeysUnavailable`, which the caller answers with 503;
 * none is an exception (STYLE: only a bug becomes a 500).
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWK } from "jose";
import { readBoundedBody } from "../http/body";
import { DeadlineExceeded, withDeadline } from "../http/deadline";
import { withoutUrlSecrets } from "../config/schemas";
import { issuerUrl, type TrustedIssuer } from "./trusted-issuers";

/** Both documents fetched and read within this; as OIDC's provider calls (auth/oidc/provider.ts). */
export const FETCH_DEADLINE_MS = 5000;
/** A discovery document or a JWKS larger than this is refused unread (GitHub's JWKS is ~2 KB). */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
export const DEFAULT_TTL_MS = 10 * 60_000;
export const MAX_TTL_MS = 60 * 60_000;
export const REFRESH_INTERVAL_MS = 30_000;
export const FAILURE_RETRY_MS = 5000;

export type KeysFailure = "unreachable" | "timeout" | "status" | "redirect" | "too-large" | "malformed" | "discovery" | "no-keys";

/** The keys could not be had: the caller answers 503 (issuer unavailable); `detail` is for the log. */
export interface KeysUnavailable {
  readonly ok: false;
  readonly failure: KeysFailure;
  readonly detail: string;
}

export type IssuerKeys = { readonly ok: true; readonly keySet: ReturnType<typeof createLocalJWKSet> } | KeysUnavailable;

export interface JwksCacheOptions {
  /** The fetch every call goes through (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Milliseconds for one whole fetch (discovery and JWKS). Default FETCH_DEADLINE_MS. */
  readonly deadlineMs?: number;
  /** Bytes per document. Default MAX_DOCUMENT_BYTES. */
  readonly maxBytes?: number;
}

export interface JwksCache {
  /** The issuer's keys: cached while fresh, fetched otherwise. */
  keys(issuer: TrustedIssuer, nowMs: number): Promise<IssuerKeys>;
  /** Fetched again for an unknown `kid`; null when the last fetch was under REFRESH_INTERVAL_MS ago. */
  refresh(issuer: TrustedIssuer, nowMs: number): Promise<IssuerKeys | null>;
}

type Source = Pick<TrustedIssuer, "issuer" | "jwksUrl" | "discoveryUrl" | "allowInsecureHttp">;

interface Entry {
  keys: IssuerKeys | null;
  freshUntilMs: number;
  lastFetchMs: number;
  inflight: Promise<IssuerKeys> | null;
}

class Unavailable extends Error {
  constructor(
    readonly failure: KeysFailure,
    message: string,
  ) {
    super(message);
  }
}

export function jwksCache(options: JwksCacheOptions = {}): JwksCache {
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  const deadlineMs = options.deadlineMs ?? FETCH_DEADLINE_MS;
  const maxBytes = options.maxBytes ?? MAX_DOCUMENT_BYTES;
  const entries = new Map<string, Entry>();

  function entryOf(issuer: Source): Entry {
    const key = `${issuer.issuer}\n${issuer.jwksUrl ?? issuer.discoveryUrl}`;
    let entry = entries.get(key);
    if (!entry) entries.set(key, (entry = { keys: null, freshUntilMs: 0, lastFetchMs: Number.NEGATIVE_INFINITY, inflight: null }));
    return entry;
  }

  async function fetchInto(entry: Entry, issuer: Source, nowMs: number): Promise<IssuerKeys> {
    // Requests that arrive while a fetch is under way wait for it, each within its own deadline.
    if (entry.inflight) return waitFor(entry.inflight, deadlineMs);
    entry.lastFetchMs = nowMs;
    const fetched = withDeadline(deadlineMs, (signal) => fetchKeys(fetcher, issuer, maxBytes, signal!))
      .then(({ keySet, ttlMs }): IssuerKeys => {
        entry.freshUntilMs = nowMs + ttlMs;
        return { ok: true, keySet };
      })
      .catch((error: unknown): IssuerKeys => {
        if (error instanceof Unavailable) return unavailable(error.failure, error.message);
        if (error instanceof DeadlineExceeded) return unavailable("timeout", `no answer within ${deadlineMs} ms`);
        throw error;
      })
      .then((keys) => {
        // A failed refresh leaves keys that are still fresh in place; any other failure stands
        // for FAILURE_RETRY_MS, then the next request tries again.
        const keepPrevious = !keys.ok && entry.keys?.ok === true && nowMs < entry.freshUntilMs;
        if (!keepPrevious) {
          if (!keys.ok) entry.freshUntilMs = nowMs + FAILURE_RETRY_MS;
          entry.keys = keys;
        }
        return keys;
      })
      .finally(() => {
        entry.inflight = null;
      });
    entry.inflight = fetched;
    return fetched;
  }

  return {
    async keys(issuer, nowMs) {
      const entry = entryOf(issuer);
      if (entry.keys && nowMs < entry.freshUntilMs) return entry.keys;
      return fetchInto(entry, issuer, nowMs);
    },
    async refresh(issuer, nowMs) {
      const entry = entryOf(issuer);
      if (entry.inflight) return waitFor(entry.inflight, deadlineMs);
      if (nowMs - entry.lastFetchMs < REFRESH_INTERVAL_MS) return null;
      return fetchInto(entry, issuer, nowMs);
    },
  };
}

function unavailable(failure: KeysFailure, detail: string): KeysUnavailable {
  return { ok: false, failure, detail };
}

async function waitFor(inflight: Promise<IssuerKeys>, deadlineMs: number): Promise<IssuerKeys> {
  try {
    return await withDeadline(deadlineMs, () => inflight);
  } catch (error) {
    if (error instanceof DeadlineExceeded) return unavailable("timeout", `no answer within ${deadlineMs} ms`);
    throw error;
  }
}

async function fetchKeys(fetcher: typeof fetch, issuer: Source, maxBytes: number, signal: AbortSignal) {
  const jwksUrl = issuer.jwksUrl ?? (await discoverJwksUrl(fetcher, issuer, maxBytes, signal));
  const { body, headers } = await getJson(fetcher, jwksUrl, "JWKS", maxBytes, signal);
  const keys = usableKeys(body);
  let keySet: ReturnType<typeof createLocalJWKSet>;
  try {
    keySet = createLocalJWKSet({ keys } satisfies JSONWebKeySet);
  } catch (error) {
    throw new Unavailable("malformed", `JWKS at ${shown(jwksUrl)} is not a key set: ${(error as Error).message}`);
  }
  return { keySet, ttlMs: freshnessMs(headers) };
}

async function discoverJwksUrl(fetcher: typeof fetch, issuer: Source, maxBytes: number, signal: AbortSignal): Promise<string> {
  const { body } = await getJson(fetcher, issuer.discoveryUrl, "discovery document", maxBytes, signal);
  const metadata = body as { issuer?: unknown; jwks_uri?: unknown };
  if (metadata.issuer !== issuer.issuer) {
    throw new Unavailable("discovery", `discovery document at ${shown(issuer.discoveryUrl)} names the issuer ${shown(JSON.stringify(metadata.issuer) ?? "nothing")}, not the configured one`);
  }
  const url = typeof metadata.jwks_uri === "string" ? issuerUrl(metadata.jwks_uri) : null;
  // An https issuer's keys come over https; http only for a loopback http issuer (tests).
  if (!url || (url.protocol === "http:" && !issuer.allowInsecureHttp)) {
    throw new Unavailable("discovery", `discovery document at ${shown(issuer.discoveryUrl)} has no usable jwks_uri (an https URL)`);
  }
  return metadata.jwks_uri as string;
}

async function getJson(fetcher: typeof fetch, url: string, what: string, maxBytes: number, signal: AbortSignal) {
  let response: Response;
  let bytes: Uint8Array | null;
  try {
    response = await fetcher(url, { headers: { accept: "application/json" }, redirect: "manual", signal });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      if (response.status >= 300 && response.status < 400) {
        throw new Unavailable("redirect", `${what} at ${shown(url)} answered ${response.status} to ${shown(response.headers.get("location") ?? "nowhere")}: redirects are not followed (configure the final URL)`);
      }
      throw new Unavailable("status", `${what} at ${shown(url)} answered ${response.status}`);
    }
    bytes = await readBoundedBody(response, maxBytes);
  } catch (error) {
    if (error instanceof Unavailable || error instanceof DeadlineExceeded) throw error;
    // fetch() itself or the body's stream failed: the network, not a bug.
    throw new Unavailable("unreachable", `${what} at ${shown(url)} could not be fetched: ${(error as Error).message ?? String(error)}`);
  }
  if (bytes === null) {
    await response.body?.cancel().catch(() => {});
    throw new Unavailable("too-large", `${what} at ${shown(url)} is larger than ${maxBytes} bytes`);
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Unavailable("malformed", `${what} at ${shown(url)} is not JSON`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Unavailable("malformed", `${what} at ${shown(url)} is not a JSON object`);
  return { body, headers: response.headers };
}

/** The public signing keys of a JWKS: asymmetric, for signatures; a shared secret (`oct`) never. */
function usableKeys(body: object): JWK[] {
  const keys = (body as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new Unavailable("malformed", "JWKS has no keys array");
  const usable = keys.filter(
    (key): key is JWK =>
      typeof key === "object" && key !== null && ["RSA", "EC", "OKP"].includes((key as JWK).kty!) && ((key as JWK).use === undefined || (key as JWK).use === "sig"),
  );
  if (usable.length === 0) throw new Unavailable("no-keys", `JWKS has no public signing key (${keys.length} entries)`);
  return usable;
}

/** RFC 9111 §4.2.1 and §5.2.2: how long the answer may be used, within MAX_TTL_MS. */
export function freshnessMs(headers: Headers): number {
  const directives = (headers.get("cache-control") ?? "").toLowerCase().split(",").map((part) => part.trim());
  if (directives.some((directive) => directive === "no-store" || directive === "no-cache")) return 0;
  const maxAge = directives.map((directive) => /^max-age=(\d+)$/.exec(directive)).find((match) => match !== null);
  if (!maxAge) return DEFAULT_TTL_MS;
  const ageSeconds = /^\d+$/.test(headers.get("age") ?? "") ? Number(headers.get("age")) : 0;
  return Math.min(MAX_TTL_MS, Math.max(0, Number(maxAge[1]) - ageSeconds) * 1000);
}

/** A URL for the log, without what it could carry as a secret (R10). */
function shown(value: string): string {
  const text = withoutUrlSecrets(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
