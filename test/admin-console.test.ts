/**
 * The admin console (ADMIN_ROLE): a page for users with that role, authorized by their session;
 * look up a user, end one or all of their sessions; CSRF-checked; each action logged with the
 * acting admin's id. The bearer-token API is unchanged beside it.
 */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, uniqueUser } from "./helpers";
import { as, captureLogs, FORM, idOf, loginWith, NAVIGATION, withConsole } from "./console-helpers";

describe("the admin console", () => {
  it("shows a user's live sessions to a user with ADMIN_ROLE", async () => {
    const admin = await loginWith(uniqueUser({ roles: ["ops"] }));
    const target = uniqueUser({ email: "target@example.com" });
    await loginWith(target);
    await loginWith(target);
    const response = await as(admin, `/_gateway/admin/?user=${target.sub}`, { headers: NAVIGATION });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("form-action 'self'");
    const html = await response.text();
    expect(html).toContain("Admin console");
    expect(html).toContain("target@example.com");
    expect(html).toContain("2 live sessions");
    expect(html).toContain('action="/_gateway/admin/console/users/end-all"');
  });

  it("refuses a user without the role (403) and sends a browser without a session to sign in", async () => {
    const user = await loginWith(uniqueUser({ roles: ["user", "admin"] }));
    expect((await as(user, "/_gateway/admin/", { headers: NAVIGATION })).status).toBe(403);
    const anonymous = await withConsole("/_gateway/admin/", { headers: NAVIGATION });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toContain("/_gateway/login");
  });

  it("does not exist without ADMIN_ROLE", async () => {
    const admin = await loginWith(uniqueUser({ roles: ["ops"] }), {});
    const response = await as(admin, "/_gateway/admin/", { headers: NAVIGATION }, {});
    expect(response.status).toBe(401);
  });

  it("ends one session of a user, and logs it with the admin's id", async () => {
    const adminUser = uniqueUser({ roles: ["ops"] });
    const admin = await loginWith(adminUser);
    const target = uniqueUser();
    const ended = await loginWith(target);
    const kept = await loginWith(target);
    let response!: Response;
    const logs = await captureLogs(async () => {
      response = await as(admin, `/_gateway/admin/console/sessions/${idOf(ended)}/end`, { method: "POST", headers: FORM, body: `user=${target.sub}` });
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/_gateway/admin/?user=${target.sub}`);
    expect((await as(ended, "/anything")).status).toBe(401);
    expect((await as(kept, "/anything")).status).toBe(200);
    expect(logs).toMatch(new RegExp(`"event":"admin.console_session_ended","admin":"${adminUser.sub}","session":"${idOf(admin)}","ended":"${idOf(ended)}"`));
  });

  it("ends all sessions of a user", async () => {
    const admin = await loginWith(uniqueUser({ roles: ["ops"] }));
    const target = uniqueUser();
    const tokens = [await loginWith(target), await loginWith(target)];
    const response = await as(admin, "/_gateway/admin/console/users/end-all", { method: "POST", headers: FORM, body: `user=${target.sub}` });
    expect(response.status).toBe(303);
    for (const token of tokens) expect((await as(token, "/anything")).status).toBe(401);
    expect((await as(admin, "/anything")).status).toBe(200);
  });

  it("changes a user's roles on every live session, seen on that user's next request, and logs it", async () => {
    const adminUser = uniqueUser({ roles: ["ops"] });
    const admin = await loginWith(adminUser);
    const target = uniqueUser({ roles: ["user"] });
    const tokens = [await loginWith(target), await loginWith(target)];
    for (const token of tokens) expect((await as(token, "/admin")).status).toBe(403);
    let response!: Response;
    const logs = await captureLogs(async () => {
      response = await as(admin, "/_gateway/admin/console/users/roles", { method: "POST", headers: FORM, body: `user=${target.sub}&roles=${encodeURIComponent("user, admin")}` });
    });
    expect(response.status).toBe(303);
    for (const token of tokens) expect((await as(token, "/admin")).status).toBe(200);
    expect(logs).toMatch(new RegExp(`"event":"admin.console_roles_changed","admin":"${adminUser.sub}","session":"${idOf(admin)}","sub":"${target.sub}","roles":\\["user","admin"\\],"updated":2`));
    // And back: the demotion is as immediate.
    await as(admin, "/_gateway/admin/console/users/roles", { method: "POST", headers: FORM, body: `user=${target.sub}&roles=user` });
    for (const token of tokens) expect((await as(token, "/admin")).status).toBe(403);
  });

  it("refuses roles no session could carry (a role over 100 characters: 400) and changes nothing", async () => {
    const admin = await loginWith(uniqueUser({ roles: ["ops"] }));
    const target = uniqueUser({ roles: ["user"] });
    const token = await loginWith(target);
    const response = await as(admin, "/_gateway/admin/console/users/roles", { method: "POST", headers: FORM, body: `user=${target.sub}&roles=${encodeURIComponent(`admin, ${"r".repeat(101)}`)}` });
    expect(response.status).toBe(400);
    expect((await as(token, "/admin")).status).toBe(403);
  });

  it("refuses a cross-site post (CSRF) and a post by a user without the role, and ends nothing", async () => {
    const admin = await loginWith(uniqueUser({ roles: ["ops"] }));
    const plain = await loginWith(uniqueUser());
    const target = uniqueUser();
    const token = await loginWith(target);
    const crossSite = await as(admin, "/_gateway/admin/console/users/end-all", { method: "POST", headers: { ...FORM, "sec-fetch-site": "cross-site", origin: "https://evil.test" }, body: `user=${target.sub}` });
    expect(crossSite.status).toBe(403);
    const noRole = await as(plain, "/_gateway/admin/console/users/end-all", { method: "POST", headers: FORM, body: `user=${target.sub}` });
    expect(noRole.status).toBe(403);
    expect((await as(token, "/anything")).status).toBe(200);
  });

  it("leaves the bearer-token API as it was beside it", async () => {
    const target = uniqueUser();
    await loginWith(target);
    const api = await withConsole(`/_gateway/admin/users/${target.sub}/sessions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(api.status).toBe(200);
    expect((await api.json<{ sessions: unknown[] }>()).sessions).toHaveLength(1);
    const noToken = await withConsole(`/_gateway/admin/users/${target.sub}/sessions`);
    expect(noToken.status).toBe(401);
    // An ops-role session is no admin token for the API.
    const admin = await loginWith(uniqueUser({ roles: ["ops"] }));
    expect((await as(admin, `/_gateway/admin/users/${target.sub}/sessions`)).status).toBe(401);
  });
});
