// How an origin checks the gateway's signed assertion (README, "How your origin trusts the
// gateway"): X-Auth-Assertion verified with jose against the gateway's JWKS, for issuer and
// audience `https://<host>` (the gateway's defaults), ES256 or EdDSA only. The demo fetches the
// JWKS through its GATEWAY service binding; a real origin fetches
// `https://<your host>/_gateway/jwks.json` and keeps it cached (jose does).
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from "jose";

export type AssertionCheck =
  | { readonly state: "absent" }
  | { readonly state: "verified"; readonly alg: string; readonly kid: string; readonly sub: string; readonly expiresInSeconds: number }
  | { readonly state: "refused"; readonly reason: string };

export interface DemoEnv {
  /** The gateway Worker (demo/wrangler.toml), to fetch its JWKS without leaving workerd. */
  readonly GATEWAY?: Fetcher;
}

const keySets = new WeakMap<Fetcher, JWTVerifyGetKey>();

function keySetFor(gateway: Fetcher): JWTVerifyGetKey {
  let keySet = keySets.get(gateway);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL("https://gateway.internal/_gateway/jwks.json"), {
      [customFetch]: (url: string, init: RequestInit) => gateway.fetch(url, { headers: init.headers, signal: init.signal }),
    });
    keySets.set(gateway, keySet);
  }
  return keySet;
}

export async function checkAssertion(request: Request, env: DemoEnv): Promise<AssertionCheck> {
  const jwt = request.headers.get("X-Auth-Assertion");
  if (!jwt) return { state: "absent" };
  if (!env.GATEWAY) return { state: "refused", reason: "no GATEWAY service binding to fetch the JWKS with" };
  const expected = `https://${new URL(request.url).host}`;
  try {
    const { payload, protectedHeader } = await jwtVerify(jwt, keySetFor(env.GATEWAY), {
      issuer: expected,
      audience: expected,
      algorithms: ["ES256", "EdDSA"],
      typ: "JWT",
    });
    // The plain header and the signed claim must name the same user.
    if (payload.sub !== decodeHeader(request.headers.get("X-Auth-User"))) {
      return { state: "refused", reason: "its sub is not the X-Auth-User header" };
    }
    return {
      state: "verified",
      alg: protectedHeader.alg,
      kid: protectedHeader.kid ?? "",
      sub: payload.sub ?? "",
      expiresInSeconds: (payload.exp ?? 0) - Math.floor(Date.now() / 1000),
    };
  } catch (error) {
    return { state: "refused", reason: (error as { code?: string }).code ?? String(error) };
  }
}

function decodeHeader(value: string | null): string | undefined {
  if (value === null) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
