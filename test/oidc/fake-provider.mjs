// A deliberately misbehaving OpenID Provider for the negative cases a real provider cannot be
// made to produce: ID tokens from another issuer or for another audience, signed by an unknown
// key or not at all, expired, with another nonce; failing token and userinfo endpoints.
//
// The tests skip the interactive part: they take `state` and `nonce` from the gateway's
// authorization redirect and call the gateway's callback with a `code` that is base64url JSON
// `{ scenario, nonce, sub, sid?, claims?, userinfo? }`; the token endpoint answers per scenario.
// Runs in Node (vitest globalSetup); its private key reaches the tests so they can sign logout
// tokens as this provider.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import http from "node:http";

export const FAKE_CLIENT_ID = "gateway-fake-client";
export const FAKE_CLIENT_SECRET = "fake-client-secret-0123456789abcdef0123456789";

export async function startFakeProvider() {
  const signing = await keyPair("fake-signing-key");
  const unknown = await keyPair("unknown-key");
  /**
   * Each token request's form parameters by its code, for the tests to inspect
   * (GET /_token-request?code=…): by code, since test files run at once against this provider.
   */
  const tokenRequests = new Map();
  let issuer = "";

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", issuer || "http://127.0.0.1");
    const body = await readBody(req);
    const json = (status, value, headers = {}) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
    try {
      if (url.pathname === "/.well-known/openid-configuration") {
        return json(200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`,
          jwks_uri: `${issuer}/jwks`,
          end_session_endpoint: `${issuer}/logout`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_methods_supported: ["client_secret_basic"],
          backchannel_logout_supported: true,
          backchannel_logout_session_supported: true,
          prompt_values_supported: ["none", "login", "consent", "select_account"],
          // The gateway then asks for auth_time in every authorization request (login.ts).
          claims_parameter_supported: true,
        });
      }
      if (url.pathname === "/jwks") return json(200, { keys: [signing.publicJwk] });
      if (url.pathname === "/_token-request") return json(200, tokenRequests.get(url.searchParams.get("code")) ?? null);
      if (url.pathname === "/userinfo") {
        const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
        const claims = JSON.parse(Buffer.from(token, "base64url").toString());
        if (claims === "fail") return json(500, { error: "server_error" });
        return json(200, claims);
      }
      if (url.pathname === "/token" && req.method === "POST") {
        const form = Object.fromEntries(new URLSearchParams(body));
        tokenRequests.set(form.code, { ...form, authorization: req.headers.authorization ?? null });
        // RFC 6749 §2.3.1: client_secret_basic, each part form-urlencoded.
        const [id, secret] = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString().split(":").map((part) => decodeURIComponent(part.replaceAll("+", " ")));
        if (id !== FAKE_CLIENT_ID || secret !== FAKE_CLIENT_SECRET) return json(401, { error: "invalid_client" });
        const code = JSON.parse(Buffer.from(form.code ?? "", "base64url").toString());
        return await tokenResponse(code, res, json);
      }
      return json(404, { error: "not_found" });
    } catch (error) {
      return json(400, { error: "invalid_request", error_description: String(error) });
    }
  });

  async function tokenResponse(code, res, json) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: code.sub,
      aud: FAKE_CLIENT_ID,
      iat: now,
      exp: now + 300,
      nonce: code.nonce,
      ...(code.sid ? { sid: code.sid } : {}),
      ...code.claims,
    };
    let key = signing;
    let alg = "RS256";
    switch (code.scenario) {
      case "good":
      case "userinfo":
        break;
      case "wrong-iss":
        claims.iss = `${issuer}/someone-else`;
        break;
      case "wrong-aud":
        claims.aud = "another-client";
        break;
      case "extra-aud-no-azp":
        claims.aud = [FAKE_CLIENT_ID, "another-client"];
        break;
      case "expired":
        claims.iat = now - 3600;
        claims.exp = now - 1800;
        break;
      case "nonce-mismatch":
        claims.nonce = "a-nonce-from-another-login";
        break;
      case "no-nonce":
        delete claims.nonce;
        break;
      case "unknown-key":
        key = unknown;
        break;
      case "forged-signature":
        key = { ...unknown, publicJwk: { ...unknown.publicJwk, kid: signing.publicJwk.kid } };
        break;
      case "alg-none":
        alg = "none";
        break;
      case "no-id-token":
        return json(200, { access_token: "at", token_type: "Bearer", expires_in: 300 });
      case "invalid-grant":
        return json(400, { error: "invalid_grant", error_description: "code already used" });
      case "server-error":
        return json(500, { error: "server_error" });
      case "not-json":
        return res.writeHead(200, { "content-type": "text/html" }).end("<h1>maintenance</h1>");
      default:
        return json(400, { error: "invalid_grant", error_description: `unknown scenario ${code.scenario}` });
    }
    const idToken = alg === "none" ? unsecured(claims) : await new SignJWT(claims).setProtectedHeader({ alg, kid: key.publicJwk.kid, typ: "JWT" }).sign(key.privateKey);
    const accessToken = Buffer.from(JSON.stringify(code.userinfo ?? { sub: code.sub })).toString("base64url");
    return json(200, { access_token: accessToken, token_type: "Bearer", expires_in: 300, id_token: idToken }, { "cache-control": "no-store" });
  }

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;
  return {
    issuer,
    /** The signing key as a private JWK (for tests that sign logout tokens as this provider). */
    privateJwk: signing.privateJwk,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

async function keyPair(kid) {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  return {
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256" },
  };
}

function unsecured(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
  });
}
