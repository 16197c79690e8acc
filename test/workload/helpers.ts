/**
 * Helpers for the workload-token tests: one issuer per test at the local issuer
 * (test/workload/issuer.mjs, started by test/workload/global-setup.mjs), keys made with jose
 * inside workerd, tokens shaped like GitHub Actions'. Time is the `nowMs` each call is given.
 */
import { expect, inject } from "vitest";
import { resolveTrustedIssuers, type TrustedIssuer } from "../../src/credentials/trusted-issuers";
import type { WorkloadVerification } from "../../src/credentials/workload-token";
import { AUDIENCE, signingKey, type Alg, type SigningKey } from "./tokens";

export * from "./tokens";

declare module "vitest" {
  export interface ProvidedContext {
    workloadIssuerOrigin: string;
  }
}
export const ISSUER_ORIGIN = inject("workloadIssuerOrigin");

export const NOW_MS = Date.UTC(2026, 11, 8, 12, 0, 0);
export const NOW = NOW_MS / 1000;

/** One issuer at the local server: its URL, its published keys and how it behaves. */
export class LocalIssuer {
  readonly tenant = crypto.randomUUID();
  readonly url = `${ISSUER_ORIGIN}/${this.tenant}`;
  readonly audience = AUDIENCE;

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

export function refusal(result: WorkloadVerification) {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  return result as Extract<WorkloadVerification, { ok: false }>;
}

