/**
 * Which callback a login uses when the gateway serves several hostnames. The provider sends
 * the browser back to a registered redirect URI, and the login transaction cookie is a
 * `__Host-` cookie of the host that started the login, so the login must start on the host
 * whose callback finishes it:
 *
 * - one session across subdomains (COOKIE_DOMAIN): every login goes through OIDC_REDIRECT_URI's
 *   host. A login asked for on another host is sent there first, with an absolute `return_to`
 *   back to the host the user came from — only a host under COOKIE_DOMAIN that the gateway
 *   serves, on the callback's scheme and port; anything else goes back to the callback host;
 * - a session per host: a host that a rule names signs in on its own callback, OIDC_REDIRECT_URI
 *   with that hostname (each must be registered at the provider); any other host uses
 *   OIDC_REDIRECT_URI as it is. The redirect URI is never built from a Host no rule names
 *   (SECURITY.md L-06).
 */
import type { ResolvedOidcConfig } from "./settings";

export interface CallbackHostOptions {
  /** COOKIE_DOMAIN, or null: a session per host. */
  readonly sharedDomain: string | null;
  /** Whether a rule names this hostname (or, with no host rules, whether it is served at all). */
  readonly isServedHost: (hostname: string) => boolean;
  /** Whether some rule names a host. */
  readonly routesByHost: boolean;
}

export type LoginStart = { readonly kind: "here"; readonly redirectUri: string } | { readonly kind: "elsewhere"; readonly loginUrl: URL };

export function callbackHosts(oidc: ResolvedOidcConfig, options: CallbackHostOptions) {
  const configured = new URL(oidc.redirectUri);

  /** The redirect URI of a login started, and finished, on this request's host. */
  function redirectUriFor(url: URL): string {
    if (options.sharedDomain !== null || url.hostname === configured.hostname) return oidc.redirectUri;
    if (!options.routesByHost || !options.isServedHost(url.hostname)) return oidc.redirectUri;
    const own = new URL(configured);
    own.hostname = url.hostname;
    return own.href;
  }

  return {
    redirectUriFor,
    /** Where a login asked for at `url` starts. */
    start(url: URL, returnTo: string): LoginStart {
      if (options.sharedDomain === null || url.hostname === configured.hostname) return { kind: "here", redirectUri: redirectUriFor(url) };
      const back = new URL(`${url.origin}${returnTo}`);
      const loginUrl = new URL("/_gateway/login", configured.origin);
      loginUrl.search = url.search;
      loginUrl.searchParams.set("return_to", isReturnUrl(back) ? back.href : "/");
      return { kind: "elsewhere", loginUrl };
    },
    isReturnUrl,
  };

  /** With a shared session: a URL the callback may send the browser back to. */
  function isReturnUrl(target: URL): boolean {
    const domain = options.sharedDomain;
    if (domain === null) return false;
    const under = target.hostname === domain || target.hostname.endsWith(`.${domain}`);
    return under && target.protocol === configured.protocol && target.port === configured.port && options.isServedHost(target.hostname) && !target.username && !target.password;
  }
}

export type CallbackHosts = ReturnType<typeof callbackHosts>;
