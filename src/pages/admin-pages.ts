/**
 * The admin console (`ADMIN_ROLE`): look up a user by id, see their live sessions, end one or
 * all, change their roles; its service credentials have a page of their own (service-pages.ts). Forms only, posting to this site; the endpoints check the session, the role and that
 * the post is not cross-site, and log each action with the acting admin's id.
 */
import type { SessionView } from "../session/types";
import type { Brand } from "./brand";
import { html, pageResponse, shownTime } from "./layout";
import { describeUserAgent } from "./user-agent";

export const CONSOLE_PATH = "/_gateway/admin/";
/** The console's page of service credentials (service-pages.ts). */
export const SERVICES_CONSOLE_PATH = "/_gateway/admin/console/services";

export function consolePage(brand: Brand, admin: SessionView, lookup: { sub: string; sessions: readonly SessionView[] } | null): Promise<Response> {
  const search = html`<form method="get" action="${CONSOLE_PATH}" role="search"><label for="user">User id (<code>sub</code>)</label>
<input type="text" id="user" name="user" value="${lookup?.sub ?? ""}" autocomplete="off" required>
<div class="actions"><button type="submit">Look up</button></div></form>`;
  const found = lookup ? results(lookup.sub, lookup.sessions, admin) : "";
  return pageResponse(brand, 200, {
    title: "Admin console",
    body: html`<p class="muted">Signed in as ${admin.user.email ?? admin.user.sub}. Every action here is logged with your id. <a href="${SERVICES_CONSOLE_PATH}">Service credentials</a></p>${search}${found}`,
  });
}

function results(sub: string, sessions: readonly SessionView[], admin: SessionView) {
  if (sessions.length === 0) return html`<h2>${sub}</h2><p>No live session.</p>`;
  const user = sessions[0]!.user;
  const rows = sessions.map(
    (session) => html`<tr><td>${describeUserAgent(session.client?.userAgent)}${session.id === admin.id ? html` <span class="tag">you, here</span>` : ""}</td><td>${[session.client?.ip, session.client?.country].filter(Boolean).join(", ") || "Unknown"}</td><td>${shownTime(session.lastSeenAt)}</td><td><form method="post" action="/_gateway/admin/console/sessions/${session.id}/end"><input type="hidden" name="user" value="${sub}"><button type="submit" class="danger">End</button></form></td></tr>`,
  );
  return html`<h2>${user.name ?? sub}</h2>
<p>${user.email ? html`${user.email} · ` : ""}roles: ${user.roles.length > 0 ? user.roles.join(", ") : "none"} · ${sessions.length} live ${sessions.length === 1 ? "session" : "sessions"}</p>
<table><thead><tr><th scope="col">Device</th><th scope="col">Address</th><th scope="col">Last active</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="/_gateway/admin/console/users/roles"><input type="hidden" name="user" value="${sub}"><label for="roles">Roles, comma-separated (every live session of this user, from its next request on)</label>
<input type="text" id="roles" name="roles" value="${user.roles.join(", ")}" autocomplete="off">
<div class="actions"><button type="submit" class="secondary">Change roles</button></div></form>
<div class="actions"><form method="post" action="/_gateway/admin/console/users/end-all"><input type="hidden" name="user" value="${sub}"><button type="submit" class="danger">End all sessions of this user</button></form></div>`;
}
