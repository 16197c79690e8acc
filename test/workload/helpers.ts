/**
 * Helpers for the workload-token tests: one issuer per test at the local issuer
 * (test/workload/issuer.mjs, started by test/workload/global-setup.mjs), keys made with jose
 * inside workerd, tokens shaped like GitHub Actions'. Time is the `nowMs` each call is given.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { expect, inject } from "vitest";
import { resolveTrustedIssuers, type TrustedIssuer } from "../../src/credentials/trusted-issuers";
import type { WorkloadVerification } from "../../src/credentials/workload-token";

declare module "vitest" {
  export interface ProvidedContext {
    workloadIssuerOrigin: string;
  }
}
export const ISSUER_ORIGIN = inject("workloadIssuerOrigin");

export const NOW_MS = Date.UTC(2026, 11, 8, 12, 0, 0);
export const NOW = NOW_MS / 1000;
export const AUDIENCE = "https://github.com/acme";

export type Alg = "RS256" | "ES256" | "EdDSA";
export interface SigningKey {
  readonly kid: string;
  readonly alg: Alg;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function signingKey(alg: Alg, kid = `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** One issuer at the local server: its URL, its published keys and how it behaves. */
export class LocalIssuer {
  readonly tenant = crypto.randomUUID();
  readonly url = `${ISSUER_ORIGIN}/${this.tenant}`;

  async control(state: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${this.url}/_control`, { method: "PUT", body: JSON.stringify(state) });
    expect(response.status).toBe(204);
  }

  async publish(...keys: SigningKey[]): Promise<void> {
    await this.control({ keys: keys.map((key) => key.publicJwk), mode: "ok" });
  }

  async hits(): Promise<{ jwksHits: number; discoveryHits: number }> {
    return (await fetch(`${this.url}/_control`)).json();
  }

  entry(fields: Record<string, unknown> = {}): TrustedIssuer {
    const problems: string[] = [];
    const issuers = resolveTrustedIssuers(problems, [{ name: "ci", issuer: this.url, audiences: [AUDIENCE], ...fields }]);
    expect(problems).toEqual([]);
    return issuers![0]!;
  }
}

export async function issuerWith(...algs: Alg[]): Promise<{ issuer: LocalIssuer; keys: SigningKey[] }> {
  const issuer = new LocalIssuer();
  const keys = await Promise.all(algs.map((alg) => signingKey(alg)));
  await issuer.publish(...keys);
  return { issuer, keys };
}

/** Claims as GitHub Actions puts them in its OIDC token. */
export function githubClaims(issuer: LocalIssuer, overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: issuer.url,
    aud: AUDIENCE,
    sub: "repo:acme/api:ref:refs/heads/main",
    repository: "acme/api",
    repository_owner: "acme",
    ref: "refs/heads/main",
    workflow: "deploy",
    job_workflow_ref: "acme/api/.github/workflows/deploy.yml@refs/heads/main",
    run_id: "7311",
    jti: crypto.randomUUID(),
    iat: NOW - 10,
    nbf: NOW - 10,
    exp: NOW + 290,
    ...overrides,
  };
}

export function sign(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey);
}

export const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

export function refusal(result: WorkloadVerification) {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  return result as Extract<WorkloadVerification, { ok: false }>;
}

