// A Node stand-in for a Java servlet application's router, which no Debian package gives us
// small enough to start per test run. It reproduces what such stacks do to a path before
// routing, each step taken from a real component:
//   1. the container percent-decodes the path as UTF-8 (Tomcat's URIEncoding default);
//   2. the application normalizes the string with NFKC (java.text.Normalizer, as apps that
//      normalize identifiers do), so `％`, `ａ`, `K` (Kelvin) and `／` become ASCII;
//   3. it is split into segments, each trimmed of Unicode whitespace (String.strip, as Spring's
//      AntPathMatcher with trimTokens), empty ones dropped (ignoreEmptyTokens: `/admin/` is
//      `/admin`), and dot segments resolved;
//   4. literal segments are compared with String.equalsIgnoreCase (a case-insensitive
//      AntPathMatcher).
// The method is overridden as Spring's HiddenHttpMethodFilter does: on a POST, the `_method`
// parameter (query string first, then a urlencoded or multipart body, as getParameter reads
// them), upper-cased with Locale.ENGLISH, if it is PUT, DELETE or PATCH.
// Listens on 127.0.0.1, port 0; prints `listening <port>` when ready (global-setup.mjs).
import { createServer } from "node:http";

const ROUTES = [
  { segments: ["public", "**"], methods: { GET: "public" } },
  { segments: ["admin"], methods: { GET: "admin-index", POST: "admin-index" } },
  { segments: ["admin", ":x"], methods: { GET: "admin-item" } },
  { segments: ["api", "reports", ":id"], methods: { GET: "report-show", POST: "report-update", DELETE: "report-delete" } },
  { segments: ["keys"], methods: { GET: "keys" } },
];

// Character.isWhitespace: Unicode space separators except the no-break ones (U+00A0, U+2007,
// U+202F), line and paragraph separators, and the ASCII/C0 white space controls.
const JAVA_WHITESPACE = /^[\t\n\u000B\f\r\u001C-\u001F \u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]+|[\t\n\u000B\f\r\u001C-\u001F \u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]+$/gu;

// Character.toUpperCase / toLowerCase are the simple (one char to one char) mappings; JS has
// only the full ones, which agree wherever the full mapping is one char. U+0130 (İ) is the
// one letter whose simple lower case (i) differs from a multi-char full one that matters here.
const upper = (c) => (c.toUpperCase().length === 1 ? c.toUpperCase() : c);
const lower = (c) => (c === "\u0130" ? "i" : c.toLowerCase().length === 1 ? c.toLowerCase() : c);

/** java.lang.String.equalsIgnoreCase, char by char (UTF-16 code units). */
function equalsIgnoreCase(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const c1 = a[i];
    const c2 = b[i];
    if (c1 === c2) continue;
    const u1 = upper(c1);
    const u2 = upper(c2);
    if (u1 === u2 || lower(u1) === lower(u2)) continue;
    return false;
  }
  return true;
}

function routingSegments(rawPath) {
  const decoded = decodeURIComponent(rawPath).normalize("NFKC");
  const out = [];
  for (const segment of decoded.split("/").map((s) => s.replace(JAVA_WHITESPACE, ""))) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return out;
}

function match(segments) {
  for (const route of ROUTES) {
    const rest = route.segments.at(-1) === "**";
    const fixed = rest ? route.segments.slice(0, -1) : route.segments;
    if (rest ? segments.length <= fixed.length : segments.length !== fixed.length) continue;
    if (fixed.every((p, i) => p.startsWith(":") || equalsIgnoreCase(p, segments[i]))) return route;
  }
  return null;
}

/** HiddenHttpMethodFilter on top of getParameter("_method"). */
async function effectiveMethod(req, url, body) {
  if (req.method !== "POST") return req.method;
  let value = url.searchParams.get("_method");
  const type = req.headers["content-type"] ?? "";
  if (value === null && /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) {
    const form = await new Request("http://origin/", { method: "POST", headers: { "content-type": type }, body }).formData();
    const field = form.get("_method");
    value = typeof field === "string" ? field : null;
  }
  const method = value ? value.toUpperCase() : "";
  return ["PUT", "DELETE", "PATCH"].includes(method) ? method : "POST";
}

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  // Errors name the origin, so they are never taken for the gateway's own `{"error": ...}`.
  res.end(JSON.stringify(body.handler ? body : { origin: "java-like", ...body }));
}

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  try {
    const url = new URL(req.url, "http://origin");
    let segments;
    try {
      segments = routingSegments(req.url.split("?")[0]);
    } catch {
      return send(res, 400, { error: "undecodable path" });
    }
    const method = await effectiveMethod(req, url, body);
    const route = match(segments);
    const name = route && (route.methods[method] ?? (method === "HEAD" ? route.methods.GET : undefined));
    if (!route) return send(res, 404, { error: "not found" });
    if (!name) return send(res, 405, { error: "method not allowed" });
    return send(res, 200, { handler: name, method });
  } catch (error) {
    return send(res, 500, { error: String(error) });
  }
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
// Idle connections outlive the gateway's pool (Node's 5 s default races it: 502s), as for
// any Node app behind a proxy.
server.keepAliveTimeout = 120_000;
