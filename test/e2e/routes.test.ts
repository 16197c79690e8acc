/**
 * Checklist §6 (R-01..R-07), black-box: the normalization corpus sent byte for byte, as an
 * anonymous client, a user without the admin role, and an admin. Whenever the origin is reached,
 * the path it saw must be exactly the path that was authorized.
 *
 * What the Worker is handed (observed under wrangler dev 4.124 / workerd, with a probe Worker
 * that echoes `request.url`): not the raw request target but its WHATWG URL parse. Dot
 * segments are already resolved (`/public/../admin` and `/public/%2e%2e/admin` arrive as
 * `/admin`), a raw `\` has become `/` (`/admin\x` arrives as `/admin/x`), raw non-ASCII bytes
 * and characters such as `"<>^`` ` are percent-encoded, a `#fragment` is dropped; every other
 * escape is left exactly as sent (`%61`, `%2F`, `%2561`, `%00`, `%3b` all arrive verbatim), as
 * are `;` and `//`. The gateway's own canonicalization (src/canonical-path.ts) then decodes
 * unreserved escapes and refuses the rest of the ambiguous forms with 400. So a raw backslash
 * is never seen by the Worker and is not refused: it is authorized and forwarded as `/`, which
 * is consistent (the origin sees what was authorized). An absolute-form or `*` request target,
 * and a method workerd does not know (`FOO`), are answered by workerd itself (500 / 501) before
 * the Worker runs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { loginAs, rawRequest } from "./harness";
import { observe, pathOf, sessionCookie } from "./helpers";

type Identity = "anonymous" | "user" | "admin";
const IDENTITIES: Identity[] = ["anonymous", "user", "admin"];

/** The rules of ROUTES, restated: what each identity may reach at a canonical path. */
function allowed(path: string, identity: Identity): boolean {
  if (path.startsWith("/public/") || path === "/login") return true;
  // `/admin{/*}?` covers a format suffix too (`/admin.json`, `/admin.`: Rails' `(.:format)`).
  if (/^\/admin(?:\.[^/]*)?(?:\/|$)/.test(path)) return identity === "admin";
  return identity !== "anonymous"; // DEFAULT_ACCESS = session
}

let origin: RemoteOrigin;
let gateway: SharedGateway;
const cookies: Record<Identity, Record<string, string>> = { anonymous: {}, user: {}, admin: {} };

beforeAll(async () => {
  // ROUTES and /reports/* public for GET only (SHARED_SETTINGS).
  ({ gateway, origin } = await useGateway("shared"));
  cookies.user = { cookie: sessionCookie((await loginAs(gateway.port, { sub: "r-user", roles: ["staff"] })).token) };
  cookies.admin = { cookie: sessionCookie((await loginAs(gateway.port, { sub: "r-admin", roles: ["admin"] })).token) };
});

/** The status of a path refused before any rule: ambiguous (400) or over a limit (414). */
type Refused = 400 | 414;

/**
 * [raw request target, the canonical path it is authorized and forwarded as, or 400 / 414].
 * Checklist rows first, then additions.
 */
const CORPUS: [string, string | Refused][] = [
  // R-01 deny by default
  ["/zzz", "/zzz"],
  // R-02 decode once, then authorize; malformed encoding fails closed
  ["/%61dmin", "/admin"],
  ["/%2561dmin", 400],
  ["/admin/%", 400],
  ["/admin/%c0", 400],
  ["/adm%69n", "/admin"],
  ["/%61%64%6d%69%6e/x", "/admin/x"],
  ["/admin%", 400],
  ["/admin/%zz", 400],
  ["/%252e%252e/admin", 400],
  ["/%25%36%31dmin", 400],
  // An overlong UTF-8 "/" is not UTF-8 at all: refused, never left for the origin to decode.
  ["/admin/%c0%af", 400],
  ["/public/..%c0%af..%c0%afadmin", 400],
  ["/%c3%a1dmin", "/%C3%A1dmin"],
  // R-03 encoded and doubled separators
  ["/admin%2Fx", 400],
  ["/admin%2fx", 400],
  ["/public%2F..%2Fadmin", 400],
  ["/public/..%2Fadmin", 400],
  ["/public/%2e%2e%2fadmin", 400],
  ["/admin%5Cx", 400],
  ["/public/..%5cadmin", 400],
  ["//admin", 400],
  ["///admin", 400],
  ["/public//admin", 400],
  ["/admin//x", 400],
  ["/public/.//admin", 400],
  // R-04 dot segments (workerd resolves the raw and %2e forms before the Worker runs)
  ["/public/../admin", "/admin"],
  ["/public/%2e%2e/admin", "/admin"],
  ["/public/%2E%2E/admin", "/admin"],
  ["/public/.%2e/admin", "/admin"],
  ["/public/%2e./admin", "/admin"],
  ["/admin/.", "/admin/"],
  ["/./admin", "/admin"],
  ["/../admin", "/admin"],
  ["/%2e%2e/admin", "/admin"],
  ["/public/./../admin", "/admin"],
  ["/public/x/../../admin", "/admin"],
  ["/admin/..", "/"],
  ["/admin/../zzz", "/zzz"],
  ["/admin/%2e%2e/public/x", "/public/x"],
  // R-05 case and trailing characters. `/ADMIN` is another path to a case-sensitive origin
  // (an origin that ignores case needs CASE_INSENSITIVE_PATHS: test/access.test.ts).
  ["/ADMIN", "/ADMIN"],
  ["/Admin/x", "/Admin/x"],
  ["/admin/", "/admin/"],
  ["/admin.", "/admin."],
  ["/admin%2e", "/admin."],
  ["/admin%20", 400],
  ["/admin%C2%A0", 400],
  ["/admin%E2%80%8B", 400],
  ["/admin.json", "/admin.json"],
  ["/admin~", "/admin~"],
  ["/admin%00", 400],
  ["/admin%09", 400],
  ["/admin%0a", 400],
  ["/admin%0d%0a", 400],
  ["/admin%7f", 400],
  ["/admin%1f", 400],
  ["/public", "/public"],
  // R-06 semicolons
  ["/admin;x=1", 400],
  ["/public/..;/admin", 400],
  ["/public/..%3b/admin", 400],
  ["/public/..%3B/admin", 400],
  ["/admin;", 400],
  ["/;/admin", 400],
  // workerd resolves the `..` after `public;` before the Worker sees a semicolon.
  ["/public;/../admin", "/admin"],
  // raw backslashes: workerd hands the Worker `/` in their place
  ["/admin\\x", "/admin/x"],
  ["/public\\..\\admin", "/admin"],
  ["/public\\x", "/public/x"],
  ["/public/..\\admin", "/admin"],
  // the query and fragment never take part
  ["/public/x?/../admin", "/public/x"],
  ["/admin?/public/x", "/admin"],
  ["/zzz?x=%2F..%2Fadmin", "/zzz"],
  ["/admin#/public/x", "/admin"],
  // over MAX_PATH_LENGTH (4,096) or MAX_PATH_SEGMENTS (128): 414 before any rule (R4)
  [`/public/${"a".repeat(5000)}`, 414],
  [`/public${"/a".repeat(130)}`, 414],
];

/** [test name, raw target, canonical path or the refusal's status] */
const CASES = CORPUS.map(([raw, canonical]): [string, string, string | Refused] => {
  const label = raw.length > 60 ? `${raw.slice(0, 16)}… (${raw.length} characters)` : raw;
  return [typeof canonical === "number" ? `refuses ${label} with ${canonical}` : `authorizes and forwards ${label} as exactly ${canonical}`, raw, canonical];
});

describe("R-01..R-06 the normalization corpus", () => {
  it.each(CASES)("%s", async (_name, raw, canonical) => {
    for (const identity of IDENTITIES) {
      const { response, forwarded } = await observe(origin, () => rawRequest(gateway.port, "GET", raw, cookies[identity]));
      const context = `${identity}: GET ${raw} → ${response.status}`;
      if (typeof canonical === "number") {
        expect(response.status, context).toBe(canonical);
        expect(forwarded, context).toEqual([]);
        continue;
      }
      if (allowed(canonical, identity)) {
        expect(response.status, context).toBe(200);
        expect(forwarded, context).toHaveLength(1);
        expect(pathOf(forwarded[0]!), context).toBe(canonical);
      } else {
        expect(response.status, context).toBe(identity === "anonymous" ? 401 : 403);
        expect(forwarded, context).toEqual([]);
      }
      // The invariant itself, independent of the table: what the origin saw, this identity may see.
      for (const record of forwarded) expect(allowed(pathOf(record), identity), context).toBe(true);
    }
  });

  it("sends an anonymous browser to login with a same-site return_to for every protected path of the corpus", async () => {
    for (const [raw, canonical] of CORPUS) {
      if (typeof canonical === "number" || allowed(canonical, "anonymous")) continue;
      const { response, forwarded } = await observe(origin, () => rawRequest(gateway.port, "GET", raw, { accept: "text/html" }));
      expect(response.status, raw).toBe(302);
      expect(forwarded, raw).toEqual([]);
      const location = new URL(response.headers.location!, "http://gateway.invalid");
      expect(location.origin + location.pathname, raw).toBe("http://gateway.invalid/_gateway/login");
      const returnTo = location.searchParams.get("return_to")!;
      expect(returnTo.startsWith(canonical), raw).toBe(true);
      expect(new URL(returnTo, "http://gateway.invalid").origin, raw).toBe("http://gateway.invalid");
    }
  });

  it("never forwards an absolute-form or asterisk request target", async () => {
    // workerd refuses these itself (500, "invalid URL") before the Worker runs.
    for (const target of ["http://evil.example/admin", "http://evil.example/public/x", "https://127.0.0.1/admin", "*"]) {
      for (const identity of IDENTITIES) {
        const { response, forwarded } = await observe(origin, () => rawRequest(gateway.port, "GET", target, cookies[identity]));
        expect(response.status, `${identity}: ${target}`).toBeGreaterThanOrEqual(400);
        expect(forwarded, `${identity}: ${target}`).toEqual([]);
      }
    }
  });
});

describe("R-07 every method", () => {
  const PATHS = ["/admin", "/zzz", "/public/x"];

  it.each<[string, string, Record<string, string>]>([
    ["HEAD", "HEAD", {}],
    ["OPTIONS", "OPTIONS", {}],
    ["POST", "POST", {}],
    ["PUT", "PUT", {}],
    ["PATCH", "PATCH", {}],
    ["DELETE", "DELETE", {}],
    ["TRACE", "TRACE", {}],
    ["PROPFIND", "PROPFIND", {}],
    ["lower-case get", "get", {}],
    ["POST with X-HTTP-Method-Override: GET", "POST", { "x-http-method-override": "GET" }],
    ["GET with X-HTTP-Method-Override: DELETE", "GET", { "x-http-method-override": "DELETE" }],
  ])("decides %s as it decides GET", async (_name, method, extra) => {
    for (const path of PATHS) {
      for (const identity of IDENTITIES) {
        const get = await observe(origin, () => rawRequest(gateway.port, "GET", path, cookies[identity]));
        const other = await observe(origin, () => rawRequest(gateway.port, method, path, { ...cookies[identity], ...extra }));
        const context = `${identity}: ${method} ${path}`;
        expect(other.response.status, context).toBe(get.response.status);
        expect(other.forwarded.length, context).toBe(get.forwarded.length);
        for (const record of other.forwarded) expect(record.method, context).toBe(method.toUpperCase());
      }
    }
  });

  it("never forwards a method workerd does not know (FOO is answered 501 before the Worker runs)", async () => {
    for (const path of PATHS) {
      for (const identity of IDENTITIES) {
        const { response, forwarded } = await observe(origin, () => rawRequest(gateway.port, "FOO", path, cookies[identity]));
        expect(response.status, `${identity}: FOO ${path}`).toBe(501);
        expect(forwarded).toEqual([]);
      }
    }
  });

  it("decides a method-specific rule on the request's own method, never on X-HTTP-Method-Override", async () => {
    // /reports/* is public for GET (and HEAD) only; anything else falls to DEFAULT_ACCESS.
    const get = await observe(origin, () => rawRequest(gateway.port, "GET", "/reports/x", {}));
    const head = await observe(origin, () => rawRequest(gateway.port, "HEAD", "/reports/x", {}));
    const overridden = await observe(origin, () => rawRequest(gateway.port, "POST", "/reports/x", { "x-http-method-override": "GET", "x-http-method": "GET", "x-method-override": "GET" }));
    expect([get.response.status, head.response.status, overridden.response.status]).toEqual([200, 200, 401]);
    expect(overridden.forwarded).toEqual([]);
  });
});
