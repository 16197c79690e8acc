// A local OpenID Provider (the `oidc-provider` package, certified) on loopback, for
// `npm run dev:oidc` and the tests. Anyone can sign in under any name with any password
// (devInteractions): this is a development tool, never a real identity provider.
//
// Accounts: the login name is the subject. Claims: `email` = `<name>@example.com` (verified),
// `name` = the login name, `groups` = ["admin", "user"] for names starting with "admin", else
// ["user"]. `email` comes with the `email` scope, `name` and `groups` with `profile`. As
// oidc-provider does by default (conformIdTokenClaims), the ID token carries only `sub`, `sid`
// and the protocol claims when an access token is issued; the rest is at userinfo.
//
// Needs Node 22 (node_modules/.bin/node, which `npm run` and `npx` put first on PATH).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

/**
 * @typedef {object} LocalProviderOptions
 * @property {string} [host] interface to listen on (default 127.0.0.1)
 * @property {number} [port] TCP port (default 0: any free port)
 * @property {string} [issuerHost] host name in the issuer URL (default: `host`)
 * @property {object[]} clients oidc-provider client metadata (client_id, client_secret, redirect_uris, …)
 * @property {object} [signingJwk] private JWK (RS256) to sign with; default: a fresh RSA key
 * @property {(event: string, ...args: unknown[]) => void} [onEvent] provider events, e.g. "backchannel.error"
 */

/**
 * Starts the provider. `clients` may also be set later with `setClients` before the first
 * request (for a client whose redirect URI is not known until another server has started).
 * @param {LocalProviderOptions} options
 */
export async function startLocalProvider(options) {
  const host = options.host ?? "127.0.0.1";
  let handler = (_req, res) => res.writeHead(503).end("provider not ready");
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  const issuer = `http://${options.issuerHost ?? host}:${port}`;
  const signingJwk = options.signingJwk ?? generateSigningJwk();

  /** @type {import("oidc-provider").default | null} */
  let provider = null;
  const setClients = (clients) => {
    provider = new Provider(issuer, providerConfiguration(clients, signingJwk));
    for (const event of ["backchannel.error", "backchannel.success", "server_error"]) {
      provider.on(event, (...args) => options.onEvent?.(event, ...args));
    }
    handler = provider.callback();
  };
  if (options.clients) setClients(options.clients);

  return {
    issuer,
    port,
    /** The public half of the signing key, as the provider publishes it. */
    publicJwk: publicJwkOf(signingJwk),
    get provider() {
      return provider;
    },
    setClients,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** An RS256 private JWK with a `kid`. */
export function generateSigningJwk() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), alg: "RS256", use: "sig" };
}

function publicJwkOf(jwk) {
  const { kty, n, e, kid, alg, use } = jwk;
  return { kty, n, e, kid, alg, use };
}

function providerConfiguration(clients, signingJwk) {
  return {
    clients,
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    // The code flow with PKCE S256, as the gateway uses it; PKCE required for every client.
    pkce: { required: () => true },
    // Seconds; set so oidc-provider does not print a notice for each default it uses.
    ttl: { Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    scopes: ["openid", "email", "profile", "offline_access"],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "groups"],
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
    },
    async findAccount(_ctx, accountId) {
      return {
        accountId,
        async claims() {
          return {
            sub: accountId,
            email: `${accountId}@example.com`,
            email_verified: true,
            name: accountId,
            groups: accountId.startsWith("admin") ? ["admin", "user"] : ["user"],
          };
        },
      };
    },
    // oidc-provider refuses to send back-channel logout tokens to loopback addresses (its SSRF
    // guard, applied through an undici dispatcher); here the relying party IS on loopback.
    fetch: (url, init) => {
      delete init.dispatcher;
      return globalThis.fetch(url, init);
    },
  };
}
