// The benchmark's workload-token issuer: plain node:http on 127.0.0.1 (TRUSTED_ISSUERS allows
// plain http for loopback issuers) serving what the gateway fetches of a real one, and signing
// the tokens the load runs send. One ES256 key, made with jose for the run.
//   GET /.well-known/openid-configuration   the discovery document (names the JWKS)
//   GET /jwks                               the public key, Cache-Control max-age=3600
// The gateway fetches the two once per isolate and keeps the keys for the hour (workload-tokens.md),
// so this server sits in the load generator's thread without competing with the load.
import http from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** The `TRUSTED_ISSUERS` name, audience and roles claim of the benchmark's issuer. */
export const ISSUER_NAME = "bench";
export const AUDIENCE = "bench-gateway";
/** A token's lifetime: `exp − iat`, at most the entry's maxTokenLifetimeSeconds (default 3600). */
export const TOKEN_LIFETIME_SECONDS = 3600;

/**
 * Starts the issuer; resolves to { url, trustedIssuer, token(subject, roles), close() }.
 * `trustedIssuer` is the TRUSTED_ISSUERS entry for the gateway's config.
 */
export async function startIssuer() {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench-1", alg: "ES256", use: "sig" };
  let url = "";
  const server = http.createServer((req, res) => {
    req.resume();
    const json = (value, headers = {}) => res.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
    if (req.url === "/.well-known/openid-configuration") return json({ issuer: url, jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ["ES256"] });
    if (req.url === "/jwks") return json({ keys: [jwk] }, { "cache-control": "max-age=3600" });
    res.writeHead(404).end();
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    trustedIssuer: { name: ISSUER_NAME, issuer: url, audiences: [AUDIENCE], algorithms: ["ES256"], rolesClaim: "roles" },
    /** A workload token for `subject`, valid from now for TOKEN_LIFETIME_SECONDS. */
    token(subject, roles) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ roles })
        .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" })
        .setIssuer(url)
        .setAudience(AUDIENCE)
        .setSubject(subject)
        .setIssuedAt(now)
        .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
        .sign(privateKey);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
