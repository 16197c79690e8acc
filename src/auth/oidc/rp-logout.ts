/**
 * RP-Initiated Logout 1.0: after the gateway has ended its own session, the browser goes on
 * to the provider's `end_session_endpoint` so the provider's session ends too (SECURITY.md
 * T-03). With `id_token_hint` (when the session kept its ID token) the provider can
 * log out without asking; `client_id` and the registered `post_logout_redirect_uri` bring the
 * browser back.
 */
import { logWarning } from "../../log";
import { authorizationServer, describe, isAllowedUrl } from "./provider";
import type { ResolvedOidcConfig } from "./settings";

/**
 * The provider's logout URL, or null when it has none (or cannot be reached: the local logout
 * has happened and must not fail because of the provider).
 */
export async function providerLogoutUrl(oidc: ResolvedOidcConfig, idTokenHint: string | null): Promise<string | null> {
  let endpoint: unknown;
  try {
    endpoint = (await authorizationServer(oidc)).end_session_endpoint;
  } catch (error) {
    logWarning("logout.provider_unavailable", { error: describe(error) });
    return null;
  }
  if (endpoint === undefined) return null;
  if (!isAllowedUrl(oidc, endpoint)) {
    logWarning("logout.provider_unavailable", { error: "end_session_endpoint is not an https URL" });
    return null;
  }
  const url = new URL(endpoint);
  if (idTokenHint) url.searchParams.set("id_token_hint", idTokenHint);
  url.searchParams.set("client_id", oidc.clientId);
  url.searchParams.set("post_logout_redirect_uri", oidc.postLogoutRedirectUri);
  return url.href;
}
