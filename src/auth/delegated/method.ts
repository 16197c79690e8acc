/**
 * Delegated login (AUTH_MODE = "delegated"): the origin keeps its own login form and says who
 * logged in with `X-Gateway-Login: {json identity}` on its answer to a LOGIN_ROUTES path of
 * the request's host (each host its own, where hosts differ). The
 * gateway then creates a new session, sets its cookie and revokes the ones the request
 * presented (no fixation; OWASP ASVS 5.0 §7.2.4). Anywhere else the header is ignored and
 * logged. A login answered to a cross-site request is refused: a page elsewhere must not sign
 * the browser in to an account of its choosing (login CSRF; SECURITY.md X-10).
 *
 * Some logins arrive from another site by design: a magic link opened from a mail client, the
 * origin's own OAuth or SAML callback (the provider redirects or posts the browser back). The
 * gateway cannot tell those from a forged login, and the check above comes too late to help
 * (the origin has already spent its one-time code), so LOGIN_CALLBACK_ROUTES names them: there
 * a cross-site top-level navigation may log in, and the origin's own one-time code or `state`
 * is what stops a login CSRF (SECURITY.md R13). Anything else cross-site is refused as before.
 */
import { isCrossSite, isTopLevelNavigation } from "../../http/csrf";
import { gatewayHeaders, GatewayError } from "../../http/responses";
import { logEvent, logWarning } from "../../log";
import { parseLoginHeader } from "../../session/user";
import type { PerHost } from "../../policy/hosts";
import type { BeginSession, LoginMethod } from "../method";

export interface DelegatedLoginOptions {
  /** LOGIN_URL, per host: the origin's login page, where `/_gateway/login` sends a browser. */
  readonly loginUrl: PerHost<string>;
  /** LOGIN_ROUTES, compiled per host: paths whose answers may log a user in. */
  readonly isLoginRoute: (hostname: string, canonicalPath: string) => boolean;
  /** LOGIN_CALLBACK_ROUTES, compiled per host: login routes a cross-site navigation may log in on. */
  readonly isLoginCallbackRoute: (hostname: string, canonicalPath: string) => boolean;
  readonly begin: BeginSession;
}

export function delegatedLogin(options: DelegatedLoginOptions): LoginMethod {
  return {
    name: "delegated",
    startLogin(c, returnTo, maxAgeSeconds) {
      // The origin's login page learns that the user must type their password again.
      const maxAge = maxAgeSeconds === null ? "" : `&max_age=${maxAgeSeconds}`;
      const location = `${options.loginUrl.valueFor(c.get("url").hostname)}?return_to=${encodeURIComponent(returnTo)}${maxAge}`;
      return new Response(null, { status: 302, headers: gatewayHeaders({ Location: location }) });
    },
    async continueLogout() {
      return null;
    },
    async originLogin(c, response, header) {
      const path = c.get("canonicalPath");
      const { hostname } = c.get("url");
      const callback = options.isLoginCallbackRoute(hostname, path);
      if (!callback && !options.isLoginRoute(hostname, path)) {
        logWarning("login.ignored_off_route", { path, host: hostname });
        return response;
      }
      if (isCrossSite(c.req.raw)) {
        const site = { path, site: c.req.header("sec-fetch-site") ?? null, origin: c.req.header("origin") ?? null };
        if (!callback || !isTopLevelNavigation(c.req.raw)) {
          logWarning("login.cross_site_refused", { ...site, mode: c.req.header("sec-fetch-mode") ?? null, callback });
          throw new GatewayError("forbidden", "X-Gateway-Login answered to a cross-site request");
        }
        // Admitted on the origin's word that it checked its own one-time code or state.
        logEvent("login.cross_site_callback", { ...site, method: c.req.method });
      }
      const parsed = parseLoginHeader(header);
      if (!parsed.ok) {
        logWarning("login.refused", { reason: `X-Gateway-Login ${parsed.problem}`, path });
        throw new GatewayError("bad_gateway", "origin sent an invalid X-Gateway-Login");
      }
      const begun = await options.begin(c, parsed.user);
      if (!begun.ok) return begun.refusal;
      response.headers.append("Set-Cookie", begun.setCookie);
      response.headers.set("Cache-Control", "no-store");
      return response;
    },
  };
}
