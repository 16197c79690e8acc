/**
 * Helpers for the OIDC tests: the gateway in OIDC mode against the real provider
 * (`oidc-provider`) or the fake one, both started by test/oidc/global-setup.mjs on 127.0.0.1.
 * The tests play the browser: fetch with manual redirects and a cookie jar per site.
 */
import { inject } from "vitest";
import type { Env } from "../../src/env";
import { BASE, gatewayFetchWith } from "../helpers";

// Provided by test/oidc/global-setup.mjs (vitest's provide/inject, not bindings: a binding the
// gateway does not know is a config.unknown_setting warning on every configuration it resolves).
declare module "vitest" {
  export interface ProvidedContext {
    oidcProviderIssuer: string;
    fakeProviderIssuer: string;
    fakeProviderSigningJwk: string;
  }
}
export const PROVIDER_ISSUER = inject("oidcProviderIssuer");
export const FAKE_ISSUER = inject("fakeProviderIssuer");
export const FAKE_SIGNING_JWK = JSON.parse(inject("fakeProviderSigningJwk")) as JsonWebKey & { kid: string };

// As registered in global-setup.mjs (PROVIDER_CLIENT) and fake-provider.mjs.
export const PROVIDER_CLIENT_ID = "gateway-test-client";
export const FAKE_CLIENT_ID = "gateway-fake-client";
export const TRANSACTION_COOKIE = "__Host-gateway-login";
export const CALLBACK_URL = `${BASE}/_gateway/callback`;

export type Settings = Record<string, unknown>;

/** OIDC mode against the real provider. */
export function providerSettings(overrides: Settings = {}): Settings {
  return {
    AUTH_MODE: "oidc",
    OIDC_ISSUER: PROVIDER_ISSUER,
    OIDC_CLIENT_ID: PROVIDER_CLIENT_ID,
    OIDC_CLIENT_SECRET: "provider-client-secret-0123456789abcdef0123456789",
    OIDC_REDIRECT_URI: CALLBACK_URL,
    ALLOWED_USERS: "any",
    ...overrides,
  };
}

/** OIDC mode against the fake provider. */
export function fakeSettings(overrides: Settings = {}): Settings {
  return {
    AUTH_MODE: "oidc",
    OIDC_ISSUER: FAKE_ISSUER,
    OIDC_CLIENT_ID: FAKE_CLIENT_ID,
    OIDC_CLIENT_SECRET: "fake-client-secret-0123456789abcdef0123456789",
    OIDC_REDIRECT_URI: CALLBACK_URL,
    ALLOWED_USERS: "any",
    ...overrides,
  };
}

/** A browser's cookies for one site. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";", 1)[0]!;
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/;\s*max-age=0\b/i.test(line) || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  delete(name: string): void {
    this.#cookies.delete(name);
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * A request to the gateway with these settings and the jar's cookies; the jar keeps the answer's.
 * `gateway`: another instance of the Worker's handler, e.g. `createGateway({ providerFetch })`.
 */
export async function gatewayRequest(settings: Settings, jar: CookieJar, path: string, init: RequestInit = {}, gateway?: ExportedHandler<Env>): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookies = jar.header();
  if (cookies && !headers.has("cookie")) headers.set("cookie", cookies);
  const response = await gatewayFetchWith(settings, path, { ...init, headers }, gateway);
  jar.store(response);
  return response;
}

export interface StartedLogin {
  readonly response: Response;
  readonly authorizationUrl: URL;
  readonly state: string;
  readonly nonce: string;
}

/** `GET /_gateway/login`: the authorization redirect, with the transaction cookie in `jar`. */
export async function startLogin(settings: Settings, jar: CookieJar, returnTo = "/"): Promise<StartedLogin> {
  const response = await gatewayRequest(settings, jar, `/_gateway/login?return_to=${encodeURIComponent(returnTo)}`, { headers: { accept: "text/html" } });
  if (response.status !== 302) throw new Error(`login start answered ${response.status}: ${await response.text()}`);
  const authorizationUrl = new URL(response.headers.get("location")!);
  return { response, authorizationUrl, state: authorizationUrl.searchParams.get("state")!, nonce: authorizationUrl.searchParams.get("nonce")! };
}

/**
 * Plays the user at the real provider (devInteractions): from the authorization URL through
 * login and consent to the redirect back to the gateway; answers that callback URL.
 * `abort` cancels at the login prompt instead (the provider then answers access_denied);
 * `prompts` collects the prompts the provider showed ("login", "consent").
 */
export async function signInAtProvider(authorizationUrl: URL, login: string, providerJar = new CookieJar(), { abort = false, prompts = [] as string[] } = {}): Promise<URL> {
  let url = authorizationUrl;
  for (let step = 0; step < 12; step++) {
    const response = await providerFetch(providerJar, url);
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get("location")!, url);
      if (url.href.startsWith(`${BASE}/`)) return url;
      continue;
    }
    const page = await response.text();
    if (response.status !== 200 || !url.pathname.startsWith("/interaction/")) throw new Error(`provider answered ${response.status} at ${url.pathname}: ${page.slice(0, 300)}`);
    if (abort) {
      url = new URL(`${url.pathname}/abort`, url);
      continue;
    }
    const body = page.includes('name="login"') ? `prompt=login&login=${encodeURIComponent(login)}&password=any` : "prompt=consent";
    prompts.push(body.split("&")[0]!.slice("prompt=".length));
    const submitted = await providerFetch(providerJar, url, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
    if (submitted.status !== 303) throw new Error(`provider answered ${submitted.status} to the ${body.split("&")[0]}`);
    url = new URL(submitted.headers.get("location")!, url);
  }
  throw new Error("no redirect back to the gateway");
}

export async function providerFetch(jar: CookieJar, url: URL | string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.header()) headers.set("cookie", jar.header());
  const response = await fetch(url, { ...init, headers, redirect: "manual" });
  jar.store(response);
  return response;
}

/** The whole login against the real provider; answers the callback's response. */
export async function loginWithProvider(settings: Settings, jar: CookieJar, login: string, returnTo = "/"): Promise<{ callback: Response; callbackUrl: URL; providerJar: CookieJar }> {
  const { authorizationUrl } = await startLogin(settings, jar, returnTo);
  const providerJar = new CookieJar();
  const callbackUrl = await signInAtProvider(authorizationUrl, login, providerJar);
  const callback = await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`, { headers: { accept: "text/html" } });
  return { callback, callbackUrl, providerJar };
}

export interface FakeCode {
  scenario: string;
  sub?: string;
  sid?: string;
  claims?: Record<string, unknown>;
  userinfo?: unknown;
}

/** The fake provider's "code": it tells its token endpoint what to answer. */
export function fakeCode(login: StartedLogin, code: FakeCode): string {
  return base64url(JSON.stringify({ sub: "fake-user", nonce: login.nonce, ...code }));
}

/** A login through the fake provider: start, then the callback with a scenario code. */
export async function loginWithFake(settings: Settings, jar: CookieJar, code: FakeCode, returnTo = "/"): Promise<Response> {
  const login = await startLogin(settings, jar, returnTo);
  return gatewayRequest(settings, jar, `/_gateway/callback?code=${fakeCode(login, code)}&state=${login.state}`, { headers: { accept: "text/html" } });
}

export function base64url(text: string | Uint8Array): string {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
