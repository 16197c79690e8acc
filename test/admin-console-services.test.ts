/**
 * The admin console's service credentials (ADMIN_ROLE): the page lists them, its forms create
 * (the token shown once, with a copy button whose script the page's CSP allows by its address and
 * no other), rotate with a grace, disable, enable and delete; the same checks as the console's
 * session actions (the role, cross-site posts refused) and each action logged with the admin's id.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { authenticateService } from "../src/services/store";
import { importSessionKeys, sessionSecrets } from "../src/session/token";
import { uniqueUser } from "./helpers";
import { as, captureLogs, FORM, idOf, loginWith, NAVIGATION } from "./console-helpers";

const keys = await importSessionKeys(sessionSecrets((env as unknown as Env).SESSION_SECRET!));
const PAGE = "/_gateway/admin/console/services";
const SCRIPT_URL = "https://gateway.test/_gateway/admin/console/services/copy-token.js";

let counter = 0;
function uniqueName(): string {
  counter += 1;
  return `console-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

async function authenticates(token: string): Promise<string> {
  const result = await authenticateService(env as unknown as Env, keys, token, Date.now());
  return result.ok ? "ok" : result.reason;
}

function post(admin: string, path: string, body = "") {
  return as(admin, `${PAGE}${path}`, { method: "POST", headers: FORM, body });
}

/** The token a token page shows, and the id it belongs to. */
async function tokenOf(response: Response): Promise<{ token: string; id: string; html: string }> {
  expect(response.status).toBe(200);
  const html = await response.text();
  const token = /<textarea[^>]* id="token"[^>]*>(gws_[^<]+)<\/textarea>/.exec(html)?.[1];
  if (!token) throw new Error("no token on the page");
  return { token, id: token.slice(4, token.indexOf(".")), html };
}

async function created(admin: string, fields = `name=${uniqueName()}&roles=deployer`): Promise<{ token: string; id: string; html: string }> {
  return tokenOf(await post(admin, "", fields));
}

async function opsAdmin() {
  const user = uniqueUser({ roles: ["ops"] });
  return { user, token: await loginWith(user) };
}

describe("the console's service credentials page", () => {
  it("lists every credential with its roles, state and times, under the page's strict CSP; linked from the sessions console and back", async () => {
    const { token: admin } = await opsAdmin();
    const name = uniqueName();
    await created(admin, `name=${name}&roles=deployer,+reader&expiresInDays=30`);
    const response = await as(admin, PAGE, { headers: NAVIGATION });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).not.toContain("script-src");
    const html = await response.text();
    expect(html).toContain("<h1>Service credentials</h1>");
    expect(html).toMatch(new RegExp(`<h3 id="service-[^"]+">${name} <span class="tag">enabled</span></h3>`));
    expect(html).toContain("<dd>deployer, reader</dd>");
    for (const fact of ["Roles", "Enabled", "Created", "Expires", "Last used", "Previous token valid until"]) expect(html).toContain(`<dt>${fact}</dt>`);
    expect(html).toContain('href="/_gateway/admin/"');
    expect(html).not.toMatch(/gws_[A-Za-z0-9_-]{22}\./);
    const sessionsConsole = await (await as(admin, "/_gateway/admin/", { headers: NAVIGATION })).text();
    expect(sessionsConsole).toContain(`href="${PAGE}"`);
  });

  it("creates one and shows its token once, with a copy button whose script alone the CSP allows; logged with the admin's id, never the token", async () => {
    const { user, token: admin } = await opsAdmin();
    const name = uniqueName();
    let response!: Response;
    const logs = await captureLogs(async () => {
      response = await post(admin, "", `name=${name}&roles=deployer&expiresInDays=1`);
    });
    const { token, id, html } = await tokenOf(response);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-security-policy")).toMatch(new RegExp(`default-src 'none'.*; script-src ${SCRIPT_URL}$`));
    expect(html).toContain(`<script src="${SCRIPT_URL}"></script>`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('data-copy="token" hidden>Copy the token</button>');
    expect(html).toContain('<label for="token">Token</label>');
    expect(await authenticates(token)).toBe("ok");
    expect(logs).toMatch(new RegExp(`"event":"admin.console_service_created","admin":"${user.sub}","session":"${idOf(admin)}","service":"${id}","name":"${name}"`));
    expect(logs).not.toContain(token.split(".")[1]);
    // Never again: not on the page, not in the list.
    expect(await (await as(admin, PAGE, { headers: NAVIGATION })).text()).not.toContain(token);
  });

  it("serves the copy button's script to the console's users only", async () => {
    const { token: admin } = await opsAdmin();
    const script = await as(admin, `${PAGE}/copy-token.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain("navigator.clipboard");
    const plain = await loginWith(uniqueUser());
    expect((await as(plain, `${PAGE}/copy-token.js`)).status).toBe(403);
  });

  it.each<[string, string, number, string]>([
    ["a bad name", "name=CI+Deploy", 400, "name: must be a name"],
    ["a role with a control character", `name=${"x"}&roles=${encodeURIComponent("a\u0001")}`, 400, "roles.0:"],
    ["a lifetime that is not whole days", "name=x&expiresInDays=1.5", 400, "Expires after: a whole number of days from 1 to 1825"],
    ["a lifetime over five years", "name=x&expiresInDays=1826", 400, "Expires after:"],
  ])("answers %s with the page saying what is wrong, and creates nothing", async (_, fields, status, problem) => {
    const { token: admin } = await opsAdmin();
    const response = await post(admin, "", fields);
    expect(response.status).toBe(status);
    const html = await response.text();
    expect(html).toContain('<p class="error" role="alert">');
    expect(html).toContain(problem);
    expect(html).not.toMatch(/gws_[A-Za-z0-9_-]{22}\./);
  });

  it("answers a taken name with 409 and the page saying so, the form filled in as it was posted", async () => {
    const { token: admin } = await opsAdmin();
    const name = uniqueName();
    await created(admin, `name=${name}`);
    const response = await post(admin, "", `name=${name}&roles=deployer&expiresInDays=7`);
    expect(response.status).toBe(409);
    const html = await response.text();
    expect(html).toContain(`The name ${name} is taken.`);
    expect(html).toContain(`name="name" value="${name}"`);
    expect(html).toContain('name="roles" value="deployer"');
    expect(html).toContain('name="expiresInDays" value="7"');
  });

  it("rotates a token with no grace (the old one refused at once) or with one (the old one kept until then)", async () => {
    const { user, token: admin } = await opsAdmin();
    const first = await created(admin);
    let response!: Response;
    const logs = await captureLogs(async () => {
      response = await post(admin, `/${first.id}/rotate`, "graceSeconds=0");
    });
    const second = await tokenOf(response);
    expect(second.id).toBe(first.id);
    expect(second.html).toContain("The previous token is refused from now on.");
    expect(await authenticates(first.token)).toBe("rotated");
    expect(await authenticates(second.token)).toBe("ok");
    expect(logs).toMatch(new RegExp(`"event":"admin.console_service_rotated","admin":"${user.sub}","session":"${idOf(admin)}","service":"${first.id}".*"graceSeconds":0`));
    const third = await tokenOf(await post(admin, `/${first.id}/rotate`, "graceSeconds=86400"));
    expect(third.html).toContain("The previous token is accepted until <time");
    expect(await authenticates(second.token)).toBe("ok");
    expect(await authenticates(third.token)).toBe("ok");
    expect((await post(admin, `/${first.id}/rotate`, "graceSeconds=2592001")).status).toBe(400);
  });

  it("disables and enables a credential (303 back to the page), effective from the next call, and logs each", async () => {
    const { user, token: admin } = await opsAdmin();
    const { token, id } = await created(admin);
    let response!: Response;
    const logs = await captureLogs(async () => {
      response = await post(admin, `/${id}/disable`);
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(PAGE);
    expect(await authenticates(token)).toBe("disabled");
    expect(logs).toMatch(new RegExp(`"event":"admin.console_service_updated","admin":"${user.sub}","session":"${idOf(admin)}","service":"${id}".*"enabled":false`));
    expect(await (await as(admin, PAGE, { headers: NAVIGATION })).text()).toContain(`action="${PAGE}/${id}/enable"`);
    expect((await post(admin, `/${id}/enable`)).status).toBe(303);
    expect(await authenticates(token)).toBe("ok");
  });

  it("deletes a credential: its token is unknown from the next call on", async () => {
    const { user, token: admin } = await opsAdmin();
    const { token, id } = await created(admin);
    let response!: Response;
    const logs = await captureLogs(async () => {
      response = await post(admin, `/${id}/delete`);
    });
    expect(response.status).toBe(303);
    expect(await authenticates(token)).toBe("unknown");
    expect(logs).toMatch(new RegExp(`"event":"admin.console_service_deleted","admin":"${user.sub}","session":"${idOf(admin)}","service":"${id}"`));
    expect((await post(admin, `/${id}/delete`)).status).toBe(404);
    expect((await post(admin, "/not-an-id/disable")).status).toBe(404);
  });

  it("refuses a cross-site post and a post by a user without the role, and changes nothing", async () => {
    const { token: admin } = await opsAdmin();
    const { token, id } = await created(admin);
    const crossSite = await as(admin, `${PAGE}/${id}/delete`, { method: "POST", headers: { ...FORM, "sec-fetch-site": "cross-site", origin: "https://evil.test" } });
    expect(crossSite.status).toBe(403);
    const crossSiteCreate = await as(admin, PAGE, { method: "POST", headers: { ...FORM, "sec-fetch-site": "cross-site" }, body: `name=${uniqueName()}` });
    expect(crossSiteCreate.status).toBe(403);
    const plain = await loginWith(uniqueUser({ roles: ["admin"] }));
    expect((await post(plain, `/${id}/disable`)).status).toBe(403);
    expect((await as(plain, PAGE, { headers: NAVIGATION })).status).toBe(403);
    expect(await authenticates(token)).toBe("ok");
  });
});
