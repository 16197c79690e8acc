/** Keys, gateways and a jose verifier for the signed-assertion tests (test/assertion*.test.ts). */
import { env } from "cloudflare:workers";
import { createRemoteJWKSet, customFetch, exportJWK, generateKeyPair, jwtVerify, type JWK } from "jose";
import type { Env } from "../src/env";
import { echoHeader, fetchWithSession, gatewayFetchIn, login, uniqueUser, type EchoBody } from "./helpers";

/** A new private JWK, as `npm run assertion-key` writes it. */
export async function privateJwk(kid: string, alg: "ES256" | "EdDSA" = "ES256"): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}), extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: "sig" };
}

/** A gateway (one env object: its configuration and assertion cache live as long as it). */
export function assertionGateway(keys: readonly JWK[], settings: Partial<Env> = {}): Env {
  return { ...(env as unknown as Env), ASSERTION_KEYS: JSON.stringify(keys), ...settings };
}

/** The origin's view of a GET with a session through `gateway`. */
export async function forwarded(gateway: Env, token: string, path = "/zzz", headers: HeadersInit = {}): Promise<EchoBody> {
  const request = new Headers(headers);
  request.set("cookie", `__Host-session=${token}`);
  const response = await gatewayFetchIn(gateway, path, { headers: request });
  if (response.status !== 200) throw new Error(`expected the origin's 200, got ${response.status}`);
  return response.json();
}

export function assertionOf(body: EchoBody): string | null {
  return echoHeader(body, "x-auth-assertion");
}

/** A fresh user's session (logged in through the default gateway: sessions do not depend on it). */
export async function newSession(overrides: Parameters<typeof uniqueUser>[0] = {}) {
  const user = uniqueUser(overrides);
  const { token } = await login(user);
  const view = (await (await fetchWithSession(token, "/_gateway/session")).json()) as { id: string; createdAt: string };
  return { user, token, sessionId: view.id, createdAt: view.createdAt };
}

/**
 * An origin's verifier, as README shows it: jose's remote JWKS set, here fetching the JWKS
 * from the gateway's own handler (the pool has no network between the two).
 */
export function verifierFor(gateway: Env) {
  const jwks = createRemoteJWKSet(new URL("https://gateway.test/_gateway/jwks.json"), {
    [customFetch]: (url: string, init: RequestInit) => gatewayFetchIn(gateway, new URL(url).pathname, { headers: init.headers, method: init.method }),
  });
  return (jwt: string, options: { audience?: string; issuer?: string; currentDate?: Date } = {}) =>
    jwtVerify(jwt, jwks, {
      issuer: options.issuer ?? "https://gateway.test",
      audience: options.audience ?? "https://gateway.test",
      algorithms: ["ES256", "EdDSA"],
      typ: "JWT",
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    });
}
