/**
 * `PATCH /_gateway/admin/users/:sub/sessions` (docs/design.md "Changing a live user's
 * identity"): roles, email or name of every live session of the user, from the next request
 * on; a bad body changes nothing and gets 400 naming the problem.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sessionStub } from "../src/session/stubs";
import type { SessionRecord } from "../src/session/types";
import { adminFetch, type EchoBody, echoHeader, fetchWithSession, gatewayFetch, login, uniqueUser } from "./helpers";

function patch(path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Response> {
  return adminFetch(path, { method: "PATCH", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

async function identity(token: string) {
  const body = await (await fetchWithSession(token, "/anything")).json<EchoBody>();
  return { roles: echoHeader(body, "x-auth-roles"), email: echoHeader(body, "x-auth-email"), name: echoHeader(body, "x-auth-name") };
}

describe("PATCH a user's sessions", () => {
  it("changes roles, email and name of every live session of the user, and answers how many", async () => {
    const user = uniqueUser({ roles: ["admin", "user"] });
    const tokens = await Promise.all([login(user), login(user), login(user)]).then((all) => all.map((one) => one.token));
    const other = await login(uniqueUser({ roles: ["admin"] }));
    const response = await patch(`/users/${encodeURIComponent(user.sub)}/sessions`, { roles: ["user"], email: "new@example.com", name: "Zoë" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ updated: 3 });
    for (const token of tokens) {
      expect(await identity(token)).toEqual({ roles: "user", email: "new@example.com", name: "Zo%C3%AB" });
      expect((await fetchWithSession(token, "/admin")).status).toBe(403);
    }
    // Another user's session is untouched.
    expect((await fetchWithSession(other.token, "/admin")).status).toBe(200);
  });

  it("changes only the keys it is given", async () => {
    const user = uniqueUser({ roles: ["user"] });
    const { token } = await login(user);
    expect((await patch(`/users/${encodeURIComponent(user.sub)}/sessions`, { roles: ["admin"] })).status).toBe(200);
    expect(await identity(token)).toEqual({ roles: "admin", email: user.email, name: user.name });
    expect((await fetchWithSession(token, "/admin")).status).toBe(200);
  });

  it("keeps the change in storage, so an evicted session comes back with it", async () => {
    const user = uniqueUser({ roles: ["admin"] });
    const { token } = await login(user);
    await patch(`/users/${encodeURIComponent(user.sub)}/sessions`, { roles: ["user"] });
    const stored = await runInDurableObject(sessionStub(env, token.split(".")[0]!), (_, state) => state.storage.get<SessionRecord>("session"));
    expect(stored!.user.roles).toEqual(["user"]);
  });

  it("answers the same for any user id at /sessions?user=", async () => {
    const user = uniqueUser({ sub: "team/../alice" } as never);
    const { token } = await login(user);
    const response = await patch(`/sessions?user=${encodeURIComponent(user.sub)}`, { roles: ["auditor"] });
    expect(await response.json()).toEqual({ updated: 1 });
    expect((await identity(token)).roles).toBe("auditor");
  });

  it("answers 0 for a user without live sessions", async () => {
    const response = await patch("/users/nobody-at-all/sessions", { roles: ["user"] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ updated: 0 });
  });

  it.each<[string, unknown, string]>([
    ["an unknown key", { roles: ["user"], sub: "mallory" }, "sub"],
    ["no key at all", {}, "at least one of roles, email and name"],
    ["roles that are not an array", { roles: "admin" }, "roles"],
    ["a role with a comma", { roles: ["a,b"] }, "comma"],
    ["an email with a line break", { email: "a@example.com\r\nX-Auth-Roles: admin" }, "control characters"],
    ["a name that ends in a space", { name: "Bob " }, "whitespace"],
    ["not an object", ["admin"], "object"],
    ["not JSON", "{roles:", "not valid UTF-8 JSON"],
  ])("refuses %s with 400 naming the problem, and changes nothing", async (_, body, problem) => {
    const user = uniqueUser({ roles: ["admin"] });
    const { token } = await login(user);
    const response = await patch(`/users/${encodeURIComponent(user.sub)}/sessions`, body);
    expect(response.status).toBe(400);
    const answer = await response.json<{ error: string; problem: string }>();
    expect(answer.error).toBe("bad_request");
    expect(answer.problem).toContain(problem);
    expect((await identity(token)).roles).toBe("admin");
  });

  it("refuses a body that is not declared JSON", async () => {
    const response = await patch("/users/alice/sessions", { roles: ["user"] }, { "content-type": "text/plain" });
    expect(response.status).toBe(400);
    expect((await response.json<{ problem: string }>()).problem).toContain("application/json");
  });

  it("needs the admin token", async () => {
    const user = uniqueUser({ roles: ["admin"] });
    const { token } = await login(user);
    const response = await gatewayFetch(`/_gateway/admin/users/${encodeURIComponent(user.sub)}/sessions`, {
      method: "PATCH",
      headers: { "content-type": "application/json", cookie: `__Host-session=${token}` },
      body: JSON.stringify({ roles: ["root"] }),
    });
    expect(response.status).toBe(401);
    expect((await identity(token)).roles).toBe("admin");
  });
});
