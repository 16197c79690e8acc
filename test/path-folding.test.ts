/**
 * through the fetch handler: path forms that origin routers map onto a protected
 * route are protected too, and the reserved prefix is reserved in every spelling.
 */
import { describe, expect, it } from "vitest";
import { fetchWithSession, gatewayFetch, gatewayFetchWith, login, uniqueUser } from "./helpers";

describe("format suffixes and trimmed characters (X-04)", () => {
  it.each(["/admin.json", "/admin.html", "/admin.", "/admin/users.json"])("protects %s like /admin (Rails' (.:format))", async (path) => {
    const { token } = await login(uniqueUser({ roles: ["user"] }));
    expect((await fetchWithSession(token, path)).status).toBe(403);
  });

  it.each(["/admin%20", "/admin%C2%A0", "/admin%E2%80%8B", "/adm%C2%ADin"])("refuses %s with 400 before any origin could trim or drop a character", async (path) => {
    const response = await gatewayFetch(path);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "bad_request" });
  });
});

describe("Unicode folding with CASE_INSENSITIVE_PATHS (X-04)", () => {
  const insensitive = { CASE_INSENSITIVE_PATHS: "true" };

  it.each(["/adm%C4%B1n", "/adm%C4%B0n", "/%EF%BD%81dmin", "/%E2%84%AAeys"])("refuses %s, which an origin folds to ASCII, with 400", async (path) => {
    expect((await gatewayFetchWith(insensitive, path)).status).toBe(400);
  });

  it("still serves non-ASCII paths whose letters fold to no ASCII", async () => {
    const { token } = await login(uniqueUser());
    const headers = { cookie: `__Host-session=${token}` };
    expect((await gatewayFetchWith(insensitive, "/caf%C3%89/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0", { headers })).status).toBe(200);
  });
});

describe("the reserved prefix in every spelling (X-08)", () => {
  it.each(["/_GATEWAY/admin/sessions/x", "/_Gateway/session", "/_gateWay", "/_GATEWAY/"])("answers %s with 404 from the gateway itself", async (path) => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, path, { headers: { authorization: "Bearer mistyped-admin-token" } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "not_found" });
  });

  it("still proxies paths that merely begin with the same letters", async () => {
    const { token } = await login(uniqueUser());
    expect((await fetchWithSession(token, "/_gateways")).status).toBe(200);
  });
});
