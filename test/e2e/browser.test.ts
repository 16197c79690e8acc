/**
 * The gateway's pages in a real browser: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), against the shared `wrangler dev` gateways (delegated and OIDC, the
 * latter in front of the local oidc-provider). With GATEWAY_SCREENSHOTS=1 it also writes the
 * screenshots README shows (docs/screenshots/).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oidcProvider, useGateway } from "./gateways";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = process.env.GATEWAY_SCREENSHOTS ? resolve(import.meta.dirname, "../../docs/screenshots") : null;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let browser: Browser;
let delegatedUrl: string;
let oidcUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  delegatedUrl = (await useGateway("shared")).gateway.url;
  oidcUrl = (await useGateway("oidc")).gateway.url;
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** A delegated sign-in as the echo origin would do it: its /login answers X-Gateway-Login. */
async function signInDelegated(context: BrowserContext, sub: string, roles: string[] = ["user"]): Promise<Page> {
  const page = await context.newPage();
  await page.route("**/login", (route) =>
    route.continue({ headers: { ...route.request().headers(), "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify({ sub, email: `${sub}@example.com`, roles }) }) } }),
  );
  const response = await page.goto(`${delegatedUrl}/login`);
  expect(response!.status()).toBe(200);
  await page.unroute("**/login");
  return page;
}

/** Signs in at the local provider's own pages (login, then consent when it asks). */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  await page.waitForLoadState();
  if (page.url().startsWith(oidcProvider().issuer) && (await page.locator('button[type="submit"]').count()) > 0) {
    await page.locator('button[type="submit"]').click();
  }
}

async function signInOidc(context: BrowserContext, login: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${oidcUrl}/welcome`);
  expect(page.url().startsWith(oidcProvider().issuer)).toBe(true);
  await signInAtProvider(page, login);
  await page.waitForURL(`${oidcUrl}/welcome`);
  return page;
}

/** Who the origin saw (the echo origin answers JSON of the request it received). */
async function originSaw(page: Page, path = "/whoami"): Promise<string | undefined> {
  const response = await page.goto(`${delegatedUrlOf(page)}${path}`);
  if (!response || response.headers()["content-type"] !== "application/json") return undefined;
  const body = (await response.json()) as { headers: Record<string, string> };
  return body.headers["x-auth-user"];
}

function delegatedUrlOf(page: Page): string {
  return new URL(page.url()).origin;
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const result = (await page.evaluate(async () => (globalThis as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as {
    violations: { id: string; impact: string; help: string }[];
  };
  return result.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id}: ${violation.help}`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe("delegated mode in Chromium", () => {
  it("signs in, and the origin sees the user", async () => {
    const context = await browser.newContext();
    const page = await signInDelegated(context, "b01-alice");
    expect(await originSaw(page)).toBe("b01-alice");
    await context.close();
  });

  it("ends another browser's session from the sessions page; that browser is signed out on its next page", async () => {
    const laptop = await browser.newContext();
    const phone = await browser.newContext({ userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1" });
    const page = await signInDelegated(laptop, "b02-sam");
    const phonePage = await signInDelegated(phone, "b02-sam");
    expect(await originSaw(phonePage)).toBe("b02-sam");

    await page.goto(`${delegatedUrl}/_gateway/sessions`);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(2);
    await expect.poll(() => page.locator("text=this device").count()).toBe(1);
    expect(await page.locator("tbody").innerText()).toContain("Safari on iOS");
    await screenshot(page, "sessions");
    // The other device's row: the one without "this device".
    await page.locator("tbody tr", { hasNotText: "this device" }).getByRole("button", { name: "End" }).click();
    await page.waitForURL(`${delegatedUrl}/_gateway/sessions`);
    expect(await page.locator("tbody tr").count()).toBe(1);

    // The phone's next navigation: no session, so the login page (the origin's /login).
    const next = await phonePage.goto(`${delegatedUrl}/whoami`);
    expect(new URL(phonePage.url()).pathname).toBe("/login");
    expect(next!.status()).toBe(200);
    expect(await originSaw(page)).toBe("b02-sam");
    await laptop.close();
    await phone.close();
  });

  it("signs out through the sign-out page a plain link reaches, and says so", async () => {
    const context = await browser.newContext();
    const page = await signInDelegated(context, "b03-lee");
    await page.goto(`${delegatedUrl}/_gateway/logout`);
    await screenshot(page, "sign-out");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${delegatedUrl}/_gateway/signed-out`);
    expect(await page.locator("h1").innerText()).toBe("You are signed out");
    await screenshot(page, "signed-out");
    await page.goto(`${delegatedUrl}/whoami`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await context.close();
  });

  it.each([
    ["400", "/x%00y", 400, "Bad request"],
    ["403", "/admin", 403, "Access denied"],
    ["404", "/_gateway/nothing", 404, "Not found"],
  ])("shows the %s page", async (name, path, status, title) => {
    const context = await browser.newContext();
    const page = await signInDelegated(context, `b04-${name}`);
    const response = await page.goto(`${delegatedUrl}${path}`);
    expect(response!.status()).toBe(status);
    expect(await page.locator("h1").innerText()).toBe(title);
    await screenshot(page, `error-${name}`);
    await context.close();
  });

  it("follows the browser's dark scheme", async () => {
    const light = await browser.newContext({ colorScheme: "light" });
    const dark = await browser.newContext({ colorScheme: "dark" });
    const background = async (context: BrowserContext) => {
      const page = await context.newPage();
      await page.goto(`${delegatedUrl}/_gateway/signed-out`);
      // Runs in the page (a DOM), not in this Node program.
      return page.evaluate(() => {
        const view = globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string }; document: { body: unknown } };
        return view.getComputedStyle(view.document.body).backgroundColor;
      });
    };
    expect(await background(light)).toBe("rgb(247, 247, 248)");
    expect(await background(dark)).toBe("rgb(13, 17, 23)");
    const page = await dark.newPage();
    await page.goto(`${delegatedUrl}/_gateway/signed-out`);
    await screenshot(page, "signed-out-dark");
    await light.close();
    await dark.close();
  });

  it("has no serious or critical axe-core violation on any gateway page", async () => {
    // The pages' CSP forbids every script, axe's included: this context lets the test inject it.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await signInDelegated(context, "b05-axe", ["user"]);
    await signInDelegated(context, "b05-axe", ["user"]);
    for (const path of ["/_gateway/sessions", "/_gateway/logout", "/_gateway/signed-out", "/admin", "/_gateway/nothing", "/x%00y"]) {
      await page.goto(`${delegatedUrl}${path}`);
      expect(await seriousViolations(page), path).toEqual([]);
    }
    for (const scheme of ["dark", "light"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${delegatedUrl}/_gateway/sessions`);
      expect(await seriousViolations(page), `sessions, ${scheme}`).toEqual([]);
    }
    await context.close();
  });
});

describe("the admin console in Chromium", () => {
  it("changes a user's roles and ends their sessions from the console; that user sees each on the next page", async () => {
    const opsContext = await browser.newContext();
    const userContext = await browser.newContext();
    const ops = await signInDelegated(opsContext, "b06-ops", ["ops"]);
    const user = await signInDelegated(userContext, "b06-user");
    expect(await originSaw(user)).toBe("b06-user");

    await ops.goto(`${delegatedUrl}/_gateway/admin/`);
    await ops.getByLabel("User id").fill("b06-user");
    await ops.getByRole("button", { name: "Look up" }).click();
    await ops.waitForURL(`${delegatedUrl}/_gateway/admin/?user=b06-user`);
    expect(await ops.locator("tbody tr").count()).toBe(1);
    await screenshot(ops, "admin-console");
    // A role change is seen on the user's very next page.
    expect((await user.goto(`${delegatedUrl}/admin`))!.status()).toBe(403);
    await ops.getByLabel(/^Roles/).fill("user, admin");
    await ops.getByRole("button", { name: "Change roles" }).click();
    await ops.waitForURL(`${delegatedUrl}/_gateway/admin/?user=b06-user`);
    expect((await user.goto(`${delegatedUrl}/admin`))!.status()).toBe(200);
    await ops.getByRole("button", { name: "End all sessions of this user" }).click();
    await ops.waitForURL(`${delegatedUrl}/_gateway/admin/?user=b06-user`);
    expect(await ops.locator("text=No live session.").count()).toBe(1);

    await user.goto(`${delegatedUrl}/whoami`);
    expect(new URL(user.url()).pathname).toBe("/login");
    await opsContext.close();
    await userContext.close();
  });

  it("has no serious or critical axe-core violation", async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await signInDelegated(context, "b07-ops", ["ops"]);
    await signInDelegated(await browser.newContext(), "b07-user");
    await page.goto(`${delegatedUrl}/_gateway/admin/?user=b07-user`);
    expect(await seriousViolations(page)).toEqual([]);
    // The service credentials page (with one listed) and the page that shows a new token.
    await page.goto(`${delegatedUrl}/_gateway/admin/console/services`);
    await page.getByLabel(/^Name/).fill("b07-ci");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByLabel("Token").waitFor();
    expect(await seriousViolations(page), "token page").toEqual([]);
    await page.goto(`${delegatedUrl}/_gateway/admin/console/services`);
    expect(await seriousViolations(page), "services page").toEqual([]);
    await context.close();
  });

  it("creates a service credential on its page and shows the token once, with a copy button that works under the page's CSP", async () => {
    const context = await browser.newContext();
    const ops = await signInDelegated(context, "b08-ops", ["ops"]);
    const cspViolations: string[] = [];
    ops.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) cspViolations.push(message.text());
    });
    await ops.goto(`${delegatedUrl}/_gateway/admin/`);
    await ops.getByRole("link", { name: "Service credentials" }).click();
    await ops.getByLabel(/^Name/).fill("b08-ci-deploy");
    await ops.getByLabel(/^Roles/).fill("deployer");
    await ops.getByRole("button", { name: "Create" }).click();
    const token = await ops.getByLabel("Token").inputValue();
    expect(token).toMatch(/^gws_/);
    await screenshot(ops, "admin-service-token");
    // The button is hidden unless its script ran: the page's CSP allowed it.
    await ops.getByRole("button", { name: "Copy the token" }).click();
    await expect.poll(() => ops.locator("#copy-status").innerText()).toMatch(/^(Copied\.|Selected: copy it with your keyboard\.)$/);
    expect(cspViolations).toEqual([]);
    await ops.getByRole("link", { name: "Back to service credentials" }).click();
    expect(await ops.getByRole("heading", { name: /^b08-ci-deploy/ }).count()).toBe(1);
    expect(await ops.content()).not.toContain(token);
    await screenshot(ops, "admin-services");
    await context.close();
  });
});

describe("OIDC mode in Chromium", () => {
  it("shows the 405 page for a navigation to the back-channel endpoint", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${oidcUrl}/_gateway/backchannel-logout`);
    expect(response!.status()).toBe(405);
    expect(await page.locator("h1").innerText()).toBe("Not allowed");
    await context.close();
  });

  it("signs out from an app page whose CSP has form-action 'self', and the provider's session ends too", async () => {
    const context = await browser.newContext();
    const page = await signInOidc(context, "b10-oidc");
    await page.goto(`${oidcUrl}/signout-page`);
    const violations: string[] = [];
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) violations.push(message.text());
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    // The gateway's page moves on to the provider, which asks to confirm.
    await page.waitForURL((url) => url.href.startsWith(oidcProvider().issuer));
    await page.locator('button[type="submit"]', { hasText: /yes/i }).click();
    // Back at the site without a session: the login goes to the provider, which asks who signs
    // in — its own session has ended too.
    await page.waitForURL((url) => url.href.startsWith(oidcProvider().issuer) && url.pathname.startsWith("/interaction/"));
    expect(await page.locator('input[name="login"]').count()).toBe(1);
    expect(violations).toEqual([]);
    await context.close();
  });

  it("'sign in as someone else' reaches the provider's account choice although its session lives", async () => {
    const context = await browser.newContext();
    const page = await signInOidc(context, "b11-first");
    await page.goto(`${oidcUrl}/_gateway/signed-out`);
    await page.getByRole("link", { name: "Sign in as someone else" }).click();
    await page.waitForURL((url) => url.href.startsWith(oidcProvider().issuer));
    expect(await page.locator('input[name="login"]').count()).toBe(1);
    await signInAtProvider(page, "b11-second");
    await page.waitForURL((url) => url.href.startsWith(oidcUrl));
    const response = await page.goto(`${oidcUrl}/whoami`);
    expect(((await response!.json()) as { headers: Record<string, string> }).headers["x-auth-user"]).toBe("b11-second");
    await context.close();
  });
});
