/**
 * X-03: `_method` overrides that Rails, Laravel, Symfony and Spring honour are decided as the
 * stricter of both methods. Test ROUTES: GET /reports/* needs analyst|admin, POST /reports/*
 * admin; PUT, DELETE and the rest get DEFAULT_ACCESS (a session). The rules below add a
 * DELETE-only rule the way README's example does.
 */
import { describe, expect, it } from "vitest";
import { MAX_OVERRIDE_BODY_BYTES } from "../src/policy/method-override";
import { cookie, type EchoBody, gatewayFetchWith, login, uniqueUser } from "./helpers";

const settings = {
  ROUTES: JSON.stringify([
    { path: "/public/*", access: "public" },
    { path: "/forms/:id", methods: ["POST"], access: "public" },
    { path: "/api/reports/:id", methods: ["DELETE"], access: { roles: ["admin"] } },
    { path: "/api/reports/:id", access: "session" },
  ]),
};

async function asUser(path: string, init: RequestInit, roles = ["user"]): Promise<Response> {
  const { token } = await login(uniqueUser({ roles }));
  const headers = new Headers(init.headers);
  headers.set("cookie", cookie(token));
  return gatewayFetchWith(settings, path, { ...init, headers });
}

const form = (body: string, type = "application/x-www-form-urlencoded"): RequestInit => ({ method: "POST", headers: { "content-type": type }, body });

function multipart(fields: Record<string, string>): RequestInit {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return { method: "POST", body: data };
}

describe("_method overrides (X-03)", () => {
  it.each<[string, string, RequestInit]>([
    ["a urlencoded body", "/api/reports/7", form("_method=DELETE")],
    ["a lower-case value", "/api/reports/7", form("title=x&_method=delete")],
    ["an encoded name", "/api/reports/7", form("%5Fmethod=DELETE")],
    ["a charset parameter", "/api/reports/7", form("_method=DELETE", "application/x-www-form-urlencoded; charset=UTF-8")],
    ["no content type (Rack reads it as a form)", "/api/reports/7", { method: "POST", body: new TextEncoder().encode("_method=DELETE") }],
    ["a multipart body", "/api/reports/7", multipart({ _method: "DELETE" })],
    ["the query", "/api/reports/7?_method=DELETE", { method: "POST" }],
    ["the query of a GET", "/api/reports/7?_method=DELETE", { method: "GET" }],
  ])("decides a POST with _method=DELETE in %s as DELETE: 403 for a plain user", async (_, path, init) => {
    expect((await asUser(path, init)).status).toBe(403);
  });

  it("lets the role that DELETE needs through, with the body intact", async () => {
    const response = await asUser("/api/reports/7", form("_method=DELETE&reason=dup"), ["admin"]);
    expect(response.status).toBe(200);
    expect(await response.json<EchoBody>()).toMatchObject({ method: "POST", body: "_method=DELETE&reason=dup" });
  });

  it("forwards an ordinary form POST unchanged", async () => {
    const response = await asUser("/api/reports/7", form("title=x&_methodical=1"));
    expect(response.status).toBe(200);
    expect(await response.json<EchoBody>()).toMatchObject({ method: "POST", body: "title=x&_methodical=1" });
  });

  it("never lets a method that is public carry an override to one that is not", async () => {
    expect((await gatewayFetchWith(settings, "/forms/1", form("name=x"))).status).toBe(200);
    expect((await gatewayFetchWith(settings, "/forms/1", form("_method=DELETE"))).status).toBe(401);
  });

  it("refuses a form body too large to read for an override on a path where methods differ (413)", async () => {
    const body = `_method=GET&x=${"a".repeat(MAX_OVERRIDE_BODY_BYTES)}`;
    expect((await asUser("/api/reports/7", form(body))).status).toBe(413);
  });

  it("streams a large form body where no method gets other access, without reading it", async () => {
    const body = `x=${"a".repeat(MAX_OVERRIDE_BODY_BYTES + 10)}&_method=DELETE`;
    const response = await asUser("/anything", form(body));
    expect(response.status).toBe(200);
    expect((await response.json<EchoBody>()).body.length).toBe(body.length);
  });

  it.each(["application/json", "application/merge-patch+json", "application/json; charset=utf-8"])("decides a %s body with _method=DELETE as DELETE (Laravel reads JSON input)", async (type) => {
    const response = await asUser("/api/reports/7", { method: "POST", headers: { "content-type": type }, body: '{"title":"x","_method":"DELETE"}' });
    expect(response.status).toBe(403);
  });

  it("forwards a JSON body without an override unchanged", async () => {
    const response = await asUser("/api/reports/7", { method: "POST", headers: { "content-type": "application/json" }, body: '{"_method":7,"title":"x"}' });
    expect(response.status).toBe(200);
    expect((await response.json<EchoBody>()).body).toBe('{"_method":7,"title":"x"}');
  });

  it("leaves a text body unread: no framework takes _method from it", async () => {
    const response = await asUser("/api/reports/7", { method: "POST", headers: { "content-type": "text/plain" }, body: "_method=DELETE" });
    expect(response.status).toBe(200);
  });

  it("refuses a compressed body on a path where methods differ with 415 (Express inflates it before reading _method)", async () => {
    const gzipped = await new Response(new Blob(["_method=DELETE"]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const init = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-encoding": "gzip" }, body: gzipped };
    expect((await asUser("/api/reports/7", init)).status).toBe(415);
    expect((await asUser("/anything", init)).status).toBe(200);
  });

  it("refuses a malformed JSON body on a path where methods differ with 400", async () => {
    const response = await asUser("/api/reports/7", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(response.status).toBe(400);
  });

  // R2: spellings PHP (Laravel, Symfony), Rack and ASP.NET Core read as `_method`, and Content-Types they parse.
  it.each<[string, string, RequestInit]>([
    ["a leading dot (PHP reads . as _)", "/api/reports/7", form(".method=DELETE")],
    ["an encoded leading dot (PHP decodes the name first)", "/api/reports/7", form("%2Emethod=DELETE")],
    ["a NUL in the name (PHP ends the name there)", "/api/reports/7", form("_method%00x=DELETE")],
    ["a leading space (PHP drops it)", "/api/reports/7", form("+_method=DELETE")],
    ["a space after & (Rack drops it)", "/api/reports/7", form("title=x&  _method=DELETE")],
    ["brackets around the name (Rack strips them)", "/api/reports/7", form("%5B_method%5D=DELETE")],
    ["trailing brackets (Rack strips them)", "/api/reports/7", form("_method]]=DELETE")],
    ["an upper-case name (ASP.NET Core ignores case)", "/api/reports/7", form("_METHOD=DELETE")],
    ["a NUL that ends the body (Rack drops it)", "/api/reports/7", form("_method=DELETE\0")],
    ["a form type in a list (PHP and Rack read the first)", "/api/reports/7", form("_method=DELETE", "application/x-www-form-urlencoded, text/plain")],
    ["a form type before a space (PHP cuts there)", "/api/reports/7", form("_method=DELETE", "application/x-www-form-urlencoded text/plain")],
    ["a multipart/mixed body (Rack parses it)", "/api/reports/7", form('--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n', "multipart/mixed; boundary=b")],
    ["a multipart field with a dot (PHP reads . as _)", "/api/reports/7", form('--b\r\nContent-Disposition: form-data; name=".method"\r\n\r\nDELETE\r\n--b--\r\n', "multipart/form-data; boundary=b")],
    ["a multipart/related part named by its Content-ID (Rack's fallback)", "/api/reports/7", form("--b\r\nContent-ID: _method\r\n\r\nDELETE\r\n--b--\r\n", "multipart/related; boundary=b")],
    ["a name inside another quoted name (Rack takes the last `; name=`)", "/api/reports/7", form('--b\r\nContent-Disposition: form-data; name="x; name=_method"\r\n\r\nDELETE\r\n--b--\r\n', "multipart/form-data; boundary=b")],
    ["a multipart/mixed part after a value holding a close delimiter", "/api/reports/7", form('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\na--b--\r\n--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n', "multipart/mixed; boundary=b")],
    ["a multipart type in a list (PHP and Rack read the first)", "/api/reports/7", form('--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n', "multipart/form-data, text/plain; boundary=b")],
    ["a mangled name in the query", "/api/reports/7?%2Emethod=DELETE", { method: "POST" }],
    ["a NUL-cut name in the query", "/api/reports/7?_method%00x=DELETE", { method: "POST" }],
  ])("decides a POST with an override in %s as DELETE: 403 for a plain user", async (_, path, init) => {
    expect((await asUser(path, init)).status).toBe(403);
  });

  it.each(["text/plain; a=/json", "application/x+json", "application/vnd.foo+json; charset=utf-8", "foo/json", "application/x-www-form-urlencoded; a=/json", "APPLICATION/JSON"])(
    "decides a JSON body under %s with _method=DELETE as DELETE (Laravel reads JSON whenever the type contains /json or +json)",
    async (type) => {
      const response = await asUser("/api/reports/7", { method: "POST", headers: { "content-type": type }, body: '{"_method":"DELETE"}' });
      expect(response.status).toBe(403);
    },
  );

  it.each([
    ["the first boundary differs from the last (PHP reads the first, Rack the last)", "multipart/form-data; xboundary=a; boundary=b"],
    ["none (Rack reads the body as a urlencoded form)", "multipart/form-data"],
    ["an empty one", "multipart/form-data; boundary="],
  ])("refuses a multipart body on a path where methods differ when its boundary is %s (400)", async (_, type) => {
    const body = "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n--b--\r\n";
    expect((await asUser("/api/reports/7", form(body, type))).status).toBe(400);
  });

  it("reads a 1 MiB multipart head of overlapping names in bounded time", async () => {
    // Every `name=` starts a name that runs to the end of the head: read whole, that is quadratic.
    const names = "name=".repeat(Math.floor((MAX_OVERRIDE_BODY_BYTES - 100) / 5));
    const body = `--b\r\nContent-Disposition: form-data; ${names}\r\n\r\nx\r\n--b--\r\n`;
    const startedAt = Date.now();
    const response = await asUser("/api/reports/7", form(body, "multipart/form-data; boundary=b"));
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(response.status).toBe(400);
  });

  it("reads a 1 MiB form of long bracket and space runs in bounded time", async () => {
    const run = Math.floor((MAX_OVERRIDE_BODY_BYTES - 100) / 4);
    const body = `_method${"]".repeat(run)}x=1&_method=${"+".repeat(run)}x`;
    const startedAt = Date.now();
    const response = await asUser("/api/reports/7", form(body));
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(response.status).toBe(200);
  });

  it("forwards an ordinary multipart/mixed POST unchanged", async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--b--\r\n';
    const response = await asUser("/api/reports/7", form(body, "multipart/mixed; boundary=b"));
    expect(response.status).toBe(200);
    expect((await response.json<EchoBody>()).body).toBe(body);
  });

  it.each(["_method.=DELETE", "_methodx=DELETE", "method=DELETE", "x_method=DELETE"])("reads %s as no override: no framework takes it for _method", async (body) => {
    expect((await asUser("/api/reports/7", form(body))).status).toBe(200);
  });

  it("refuses a malformed multipart body on a path where methods differ with 400", async () => {
    const response = await asUser("/api/reports/7", form("--x\r\nnot a part", "multipart/form-data; boundary=x"));
    expect(response.status).toBe(400);
  });
});
