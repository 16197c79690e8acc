/**
 * What the differential suite sends, and what each origin handler requires. Every origin
 * (origins/*) serves the same route table and names the handler that ran, so a case is judged
 * by comparing that handler's requirement with the caller's identity — whatever path or
 * method trick got it there.
 */

export type Identity = "anonymous" | "user" | "admin";
export const IDENTITIES: readonly Identity[] = ["anonymous", "user", "admin"];

export type Requirement = "none" | "session" | "admin";

/** The requirement of each handler the origins can name (the route table in the task). */
export const HANDLER_REQUIRES: Readonly<Record<string, Requirement>> = {
  public: "none",
  "report-show": "session",
  "report-update": "session",
  "admin-index": "admin",
  "admin-item": "admin",
  "report-delete": "admin",
  keys: "admin",
};

export function meets(identity: Identity, requirement: Requirement): boolean {
  if (requirement === "none") return true;
  if (requirement === "session") return identity !== "anonymous";
  return identity === "admin";
}

/** The gateway's ROUTES for the suite: the rules an operator would write for this table. */
export const SUITE_ROUTES = [
  { path: "/public/*", access: "public" },
  { path: "/api/reports/:id", methods: ["DELETE"], access: { roles: ["admin"] } },
  { path: "/admin{/*}?", access: { roles: ["admin"] } },
  { path: "/keys", access: { roles: ["admin"] } },
];

export const PATHS: readonly string[] = [
  // The plain paths and the spellings every router family is known to accept for them.
  "/admin",
  "/admin/",
  "/admin/x",
  "/admin/x/",
  "/public/x",
  "/api/reports/7",
  "/keys",
  "/keys/",
  // Format suffixes (Rails' optional `(.:format)`, Spring's old suffix pattern match).
  "/admin.json",
  "/admin.html",
  "/admin.json/",
  "/admin/x.json",
  "/admin.",
  "/api/reports/7.json",
  "/keys.json",
  "/keys.json/",
  // Case (Express, servlet-style equalsIgnoreCase).
  "/ADMIN",
  "/Admin/x",
  "/API/reports/7",
  "/KEYS",
  // Unicode: case folding (ı, İ, ſ, Kelvin sign), NFKC (fullwidth, ª), white space trimmed by
  // String.strip / NFKC (space, no-break space, ideographic space) and one that is not (ZWSP).
  "/adm%C4%B1n",
  "/adm%C4%B0n",
  "/key%C5%BF",
  "/%E2%84%AAeys",
  "/%EF%BD%81dmin",
  "/%EF%BD%81pi/reports/7",
  "/admin%20",
  "/admin%C2%A0",
  "/admin%E3%80%80",
  "/admin%E2%80%8B",
  "/admin%20/x",
  "/api/reports%20/7",
  "/api/reports%C2%A0/7",
  // Encoding and dot segments, which the gateway resolves before it decides.
  "/%61dmin",
  "/public/../admin",
  "/public/%2e%2e/admin",
  // NFKC turns fullwidth `／` and `．` into `/` and `.` after the gateway decided on the path.
  "/public/x%EF%BC%8F..%EF%BC%8F..%EF%BC%8Fadmin",
  "/public/%EF%BC%8E%EF%BC%8E/admin",
  "/public/%EF%BC%8E%EF%BC%8E/keys",
  "/admin%EF%BC%8Fx",
  "/%C2%AAdmin",
];

/** One way of sending a request: a plain method, or a POST that asks for another method. */
export interface Variant {
  readonly label: string;
  /** A POST carrying a method override (sent only as callers who could be refused). */
  readonly override: boolean;
  /** Sent only to these paths (the corpus's every path otherwise). */
  readonly paths?: readonly string[];
  build(path: string): Promise<{ path: string; init: RequestInit }>;
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

function plain(method: string): Variant {
  // A POST/PUT/PATCH carries an empty body so it has a Content-Length (WEBrick wants one).
  const body = method === "GET" || method === "DELETE" ? null : "";
  return { label: method, override: false, build: async (path) => ({ path, init: { method, body } }) };
}

function override(label: string, build: (path: string) => Promise<{ path: string; init: RequestInit }> | { path: string; init: RequestInit }): Variant {
  return { label: `POST ${label}`, override: true, build: async (path) => build(path) };
}

function formOverride(body: string): Variant {
  return override(`body ${body}`, (path) => ({ path, init: { method: "POST", headers: FORM, body } }));
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Where the spellings below are sent: the one path whose access depends on the method. */
export const SPELLING_PATHS: readonly string[] = ["/api/reports/7", "/api/reports/7.json"];

function spelling(label: string, init: (path: string) => { path: string; init: RequestInit }): Variant {
  return { ...override(label, init), paths: SPELLING_PATHS };
}

const spelledForm = (body: string, type = FORM["content-type"]): Variant =>
  spelling(`${type} ${JSON.stringify(body)}`, (path) => ({ path, init: { method: "POST", headers: { "content-type": type }, body: new TextEncoder().encode(body) } }));

const spelledQuery = (query: string): Variant => spelling(`query ?${query}`, (path) => ({ path: `${path}?${query}`, init: { method: "POST", body: "" } }));

const spelledJson = (type: string): Variant => spelling(`${type} {"_method":"DELETE"}`, (path) => ({ path, init: { method: "POST", headers: { "content-type": type }, body: '{"_method":"DELETE"}' } }));

/** A multipart body of one part with this head, DELETE as its value. */
const onePart = (head: string, boundary = "b"): string => `--${boundary}\r\n${head}\r\n\r\nDELETE\r\n--${boundary}--\r\n`;
const named = (name: string): string => `Content-Disposition: form-data; name="${name}"`;

/**
 * Spellings of `_method` that some origin framework reads (R2): PHP's name mangling (Laravel,
 * Symfony), Rack's brackets and its NUL at the end of a body, Content-Types that PHP and Rack
 * cut at `,` or a space, Laravel's JSON under any type containing `/json` or `+json`, and
 * multipart bodies that Rack parses (mixed, related; urlencoded when there is no boundary),
 * whose boundary PHP and Rack read differently, or whose part a framework names otherwise.
 */
export const SPELLINGS: readonly Variant[] = [
  spelledForm(".method=DELETE"),
  spelledForm("%2Emethod=DELETE"),
  spelledForm("_method%00x=DELETE"),
  spelledForm("+_method=DELETE"),
  spelledForm("x=1&  _method=DELETE"),
  spelledForm("%5B_method%5D=DELETE"),
  spelledForm("_method]]=DELETE"),
  spelledForm("_method=DELETE\0"),
  spelledForm("_method=DELETE", "application/x-www-form-urlencoded, text/plain"),
  spelledForm("_method=DELETE", "application/x-www-form-urlencoded text/plain"),
  spelledForm("_method=DELETE", "multipart/form-data"),
  spelledForm("_method=DELETE", "multipart/related"),
  spelledForm("_method=DELETE", "multipart/form-data; boundary=b"),
  spelledForm(onePart(named("_method")), "multipart/mixed; boundary=b"),
  spelledForm(onePart(named("_method")), "multipart/related; boundary=b"),
  spelledForm(onePart(named("_method")), "multipart/form-data, text/plain; boundary=b"),
  spelledForm(onePart(named("_method"), "a"), "multipart/form-data; boundary=a; xboundary=b"),
  spelledForm(onePart(named("_method"), "b"), "multipart/form-data; boundary=a; xboundary=b"),
  spelledForm(onePart(named(".method")), "multipart/form-data; boundary=b"),
  spelledForm(onePart(named("x; name=_method")), "multipart/form-data; boundary=b"),
  spelledForm(onePart(named("\\_method")), "multipart/form-data; boundary=b"),
  spelledForm(onePart('Content-Disposition: form-data; name="x"; name="_method"'), "multipart/form-data; boundary=b"),
  spelledForm(onePart("Content-Disposition: form-data; name=_method"), "multipart/form-data; boundary=b"),
  spelledForm(onePart("Content-Disposition: form-data; name='_method'"), "multipart/form-data; boundary=b"),
  spelledForm(onePart("Content-Disposition: form-data; name*=UTF-8''_method"), "multipart/form-data; boundary=b"),
  spelledForm(onePart('content-disposition: FORM-DATA; NAME="_method"'), "multipart/form-data; boundary=b"),
  spelledForm(onePart('Content-Disposition: form-data; filename="a"; name="_method"'), "multipart/form-data; boundary=b"),
  spelledForm(onePart('Content-Disposition: attachment; name="_method"'), "multipart/mixed; boundary=b"),
  spelledForm(onePart("Content-ID: _method"), "multipart/related; boundary=b"),
  spelledForm(`--b\r\n${named("x")}\r\n\r\na--b--\r\n${onePart(named("_method"))}`, "multipart/mixed; boundary=b"),
  spelledForm(`--b\nContent-Disposition: form-data; name="_method"\n\nDELETE\n--b--\n`, "multipart/form-data; boundary=b"),
  spelledQuery(".method=DELETE"),
  spelledQuery("%2Emethod=DELETE"),
  spelledQuery("_method%00x=DELETE"),
  spelledJson("text/plain; a=/json"),
  spelledJson("application/x+json"),
  spelledJson("application/vnd.foo+json; charset=utf-8"),
  spelledJson("foo/json"),
];

export const VARIANTS: readonly Variant[] = [
  ...["GET", "POST", "DELETE", "PUT", "PATCH"].map(plain),
  formOverride("_method=DELETE"),
  formOverride("_method=delete"),
  formOverride("%5Fmethod=DELETE"),
  // Rack takes the last of repeated parameters, servlets and Express the first.
  formOverride("_method=PATCH&_method=DELETE"),
  override("query ?_method=DELETE", (path) => ({ path: `${path}?_method=DELETE`, init: { method: "POST", body: "" } })),
  override("multipart _method=DELETE", (path) => {
    const form = new FormData();
    form.set("_method", "DELETE");
    return { path, init: { method: "POST", body: form } };
  }),
  override("header X-HTTP-Method-Override: DELETE", (path) => ({
    path,
    init: { method: "POST", headers: { "x-http-method-override": "DELETE" }, body: "" },
  })),
  // Rack parses a POST body that has no Content-Type as a form.
  override("untyped body _method=DELETE", (path) => ({ path, init: { method: "POST", body: new TextEncoder().encode("_method=DELETE") } })),
  // Express's body parsers inflate gzip; its JSON parser feeds the same getter (req.body), as
  // Laravel reads `_method` from JSON input.
  override("gzip body _method=DELETE", async (path) => ({
    path,
    init: { method: "POST", headers: { ...FORM, "content-encoding": "gzip" }, body: await gzip("_method=DELETE") },
  })),
  override('JSON body {"_method":"DELETE"}', (path) => ({
    path,
    init: { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ _method: "DELETE" }) },
  })),
  ...SPELLINGS,
];

/**
 * The plain requests for which every origin must run the named handler for the admin: proof
 * that the origin is wired up and the suite is not passing on a wall of 404s.
 */
export const PLAIN_CASES: readonly (readonly [method: string, path: string, handler: string])[] = [
  ["GET", "/public/x", "public"],
  ["GET", "/admin", "admin-index"],
  ["POST", "/admin", "admin-index"],
  ["GET", "/admin/x", "admin-item"],
  ["GET", "/api/reports/7", "report-show"],
  ["POST", "/api/reports/7", "report-update"],
  ["DELETE", "/api/reports/7", "report-delete"],
  ["GET", "/keys", "keys"],
];
