/**
 * OpenID Connect login (AUTH_MODE = "oidc"): the gateway is the provider's relying party.
 * Its endpoints are the callback (after the session is loaded, so the login revokes what the
 * browser presented) and the back-channel logout (before it: the provider's call carries no
 * cookie, and junk never wakes a Durable Object). Only the provider logs users in, so an
 * origin's `X-Gateway-Login` is ignored and logged.
 */
import { Hono } from "hono";
import { GatewayError } from "../../http/responses";
import { logWarning } from "../../log";
import type { GatewayEnv } from "../../pipeline/types";
import type { BeginSession, LoginMethod } from "../method";
import { backchannelLogout } from "./backchannel";
import { oidcCallback } from "./callback";
import { callbackHosts, type CallbackHostOptions } from "./callback-host";
import { startOidcLogin } from "./login";
import { providerLogoutUrl } from "./rp-logout";
import type { ResolvedOidcConfig } from "./settings";

export interface OidcLoginOptions {
  readonly oidc: ResolvedOidcConfig;
  readonly begin: BeginSession;
  /** The hosts the gateway serves and COOKIE_DOMAIN: which callback a login uses. */
  readonly hosts: CallbackHostOptions;
  /** The fetch every call to the provider goes through. Default: the global fetch. */
  readonly fetch?: typeof fetch | undefined;
}

export function oidcLogin({ oidc: settings, begin, hosts: hostOptions, fetch }: OidcLoginOptions): LoginMethod {
  // Chosen once: every handler below reaches the provider through `oidc.fetch` (provider.ts).
  const oidc: ResolvedOidcConfig = fetch ? { ...settings, fetch } : settings;
  const hosts = callbackHosts(oidc, hostOptions);
  const beforeSession = new Hono<GatewayEnv>();
  beforeSession.post("/backchannel-logout", backchannelLogout(oidc));
  beforeSession.all("/backchannel-logout", () => {
    throw new GatewayError("method_not_allowed", "the back-channel logout is a POST", { headers: { Allow: "POST" } });
  });
  const routes = new Hono<GatewayEnv>();
  routes.get("/callback", oidcCallback(oidc, begin, hosts));
  return {
    name: "oidc",
    beforeSession,
    routes,
    startLogin: (c, returnTo, maxAgeSeconds) => startOidcLogin(c, oidc, hosts, returnTo, maxAgeSeconds),
    acceptsReturnUrl: hosts.isReturnUrl,
    continueLogout: (logoutHint) => providerLogoutUrl(oidc, logoutHint),
    async originLogin(c, response) {
      logWarning("login.ignored_oidc_mode", { path: c.get("canonicalPath") });
      return response;
    },
  };
}
