/**
 * The pages of a person's own session (docs/design.md "Gateway pages in a browser"): sign out
 * (a plain link can reach it), signed out, signing out at the provider, and "your sessions".
 * Every form posts to this site, and the endpoints refuse a cross-site post.
 */
import type { SessionView } from "../session/types";
import type { Brand } from "./brand";
import { SIGN_IN_AS_SOMEONE_ELSE, SIGN_IN_PATH } from "./error-pages";
import { html, pageResponse, shownTime } from "./layout";
import { describeUserAgent } from "./user-agent";

export const SIGNED_OUT_PATH = "/_gateway/signed-out";
export const SESSIONS_PATH = "/_gateway/sessions";

export function signOutPage(brand: Brand, session: SessionView | null): Promise<Response> {
  if (!session) {
    return pageResponse(brand, 200, {
      title: "You are not signed in",
      body: html`<p>There is no session to end in this browser.</p><div class="actions"><a class="button" href="${SIGN_IN_PATH}">Sign in</a><a class="button secondary" href="/">Home</a></div>`,
    });
  }
  const who = session.user.email ?? session.user.name ?? session.user.sub;
  return pageResponse(brand, 200, {
    title: "Sign out",
    body: html`<p>You are signed in as <strong>${who}</strong>.</p>
<div class="actions"><form method="post" action="/_gateway/logout"><button type="submit">Sign out</button></form><a class="button secondary" href="/">Cancel</a></div>
<p class="muted"><a href="${SESSIONS_PATH}">Your sessions on other devices</a></p>`,
  });
}

export function signedOutPage(brand: Brand): Promise<Response> {
  return pageResponse(brand, 200, {
    title: "You are signed out",
    body: html`<p>Your session in this browser has ended.</p><div class="actions"><a class="button" href="${SIGN_IN_PATH}">Sign in again</a><a class="button secondary" href="${SIGN_IN_AS_SOMEONE_ELSE}">Sign in as someone else</a></div>`,
  });
}

/**
 * After a sign-out in OIDC mode: the gateway's session has ended; the browser goes on to the
 * provider to end that session too. A page that moves on by itself (a meta refresh), not a
 * redirect, because the page the user signed out from may forbid a form's redirect to another
 * site (`form-action 'self'`): this page's own CSP governs the next navigation.
 */
export function providerSignOutPage(brand: Brand, providerLogoutUrl: string, headers: HeadersInit = {}): Promise<Response> {
  return pageResponse(brand, 200, {
    title: "Signing you out",
    refreshTo: providerLogoutUrl,
    body: html`<p>You are signed out here. Signing you out at your identity provider too…</p><div class="actions"><a class="button" href="${providerLogoutUrl}">Continue</a></div>`,
  }, headers);
}

export function sessionsPage(brand: Brand, current: SessionView, sessions: readonly SessionView[]): Promise<Response> {
  const ordered = [...sessions].sort((a, b) => (a.id === current.id ? -1 : b.id === current.id ? 1 : b.lastSeenAt.localeCompare(a.lastSeenAt)));
  const rows = ordered.map((session) => {
    const where = [session.client?.ip, session.client?.country].filter(Boolean).join(", ") || "Unknown address";
    const end = html`<form method="post" action="${SESSIONS_PATH}/${session.id}/end"><button type="submit" class="danger">${session.id === current.id ? "Sign out" : "End"}</button></form>`;
    return html`<tr><td>${describeUserAgent(session.client?.userAgent)}${session.id === current.id ? html` <span class="tag">this device</span>` : ""}</td><td>${where}</td><td>${shownTime(session.createdAt)}</td><td>${shownTime(session.lastSeenAt)}</td><td>${end}</td></tr>`;
  });
  const others = sessions.length - 1;
  return pageResponse(brand, 200, {
    title: "Your sessions",
    body: html`<p>Signed in as <strong>${current.user.email ?? current.user.name ?? current.user.sub}</strong>: ${sessions.length} ${sessions.length === 1 ? "session" : "sessions"}. Times are UTC.</p>
<table><thead><tr><th scope="col">Device</th><th scope="col">Address</th><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${rows}</tbody></table>
<div class="actions">${others > 0 ? html`<form method="post" action="${SESSIONS_PATH}/end-others"><button type="submit" class="secondary">End all other sessions</button></form>` : ""}<form method="post" action="${SESSIONS_PATH}/end-all"><button type="submit" class="danger">Sign out everywhere</button></form></div>`,
  });
}
