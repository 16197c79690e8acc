// A local token issuer for test/workload-token.test.ts, run in Node by the workers project's
// globalSetup: it serves, over real HTTP on 127.0.0.1, a discovery document and a JWKS for each
// "tenant" (one issuer per test: `http://127.0.0.1:PORT/<tenant>`), with the public keys the
// test hands it. The tests make their keys and sign their tokens with jose inside workerd; this
// server only publishes keys and misbehaves on request.
//
//   PUT /<tenant>/_control {keys?, mode?, cacheControl?, age?, discoveryIssuer?}   → 204
//   GET /<tenant>/_control → {jwksHits, discoveryHits}
//   GET /<tenant>/.well-known/openid-configuration, GET /<tenant>/jwks
//
// Modes (of the JWKS answer): ok, status-500, hang (headers never sent), garbage (an HTML page),
// not-a-key-set (JSON without keys), huge (1 MB, chunked: no Content-Length to refuse it by),
// redirect (302 to another host).
import http from "node:http";

export async function startWorkloadIssuer() {
  const tenants = new Map();
  let origin = "";
  const tenantOf = (name) => {
    if (!tenants.has(name)) tenants.set(name, { keys: [], mode: "ok", cacheControl: null, age: null, discoveryIssuer: null, jwksHits: 0, discoveryHits: 0 });
    return tenants.get(name);
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const [, name, ...rest] = url.pathname.split("/");
    const path = `/${rest.join("/")}`;
    const tenant = tenantOf(name);
    const json = (status, value, headers = {}) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
    if (path === "/_control" && req.method === "PUT") {
      let body = "";
      for await (const chunk of req) body += chunk;
      Object.assign(tenant, JSON.parse(body));
      return res.writeHead(204).end();
    }
    if (path === "/_control") return json(200, { jwksHits: tenant.jwksHits, discoveryHits: tenant.discoveryHits });
    if (path === "/.well-known/openid-configuration") {
      tenant.discoveryHits++;
      const issuer = `${origin}/${name}`;
      return json(200, { issuer: tenant.discoveryIssuer ?? issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ["RS256", "ES256", "EdDSA"] });
    }
    if (path !== "/jwks") return json(404, { error: "not_found" });
    tenant.jwksHits++;
    const headers = { ...(tenant.cacheControl ? { "cache-control": tenant.cacheControl } : {}), ...(tenant.age !== null ? { age: String(tenant.age) } : {}) };
    switch (tenant.mode) {
      case "ok":
        return json(200, { keys: tenant.keys }, headers);
      case "status-500":
        return json(500, { error: "server_error" });
      case "hang":
        return; // never answers; closed when the server stops
      case "garbage":
        return res.writeHead(200, { "content-type": "text/html" }).end("<h1>maintenance</h1>");
      case "not-a-key-set":
        return json(200, { keys: "none today" });
      case "huge": {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"keys":[],"padding":"');
        const chunk = "x".repeat(64 * 1024);
        for (let i = 0; i < 16; i++) res.write(chunk);
        return res.end('"}');
      }
      case "redirect":
        return res.writeHead(302, { location: `http://127.0.0.2:${server.address().port}/${name}/jwks` }).end();
      default:
        return json(400, { error: `unknown mode ${tenant.mode}` });
    }
  });

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
