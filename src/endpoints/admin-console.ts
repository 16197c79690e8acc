/**
 * The admin console (`ADMIN_ROLE`; docs/design.md "Gateway pages in a browser"): a page for
 * the users with that role, authorized by their session — not by ADMIN_TOKEN, which stays the
 * API's. It looks up a user, lists their live sessions, and ends one or all of them. Its forms
 * are refused when the browser says they come from another site (and the session cookie is
 * SameSite=Lax); every action is logged with the acting admin's id and session. It is the
 * console of the admin's own realm (session/realm.ts): the users it looks up, changes and
 * signs out are that realm's, and a session of another realm is not its to end. Its service
 * credentials (console-services.ts), which belong to no realm, have a page of their own.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { isCrossSite } from "../http/csrf";
import type { SessionCookieSpec } from "../http/cookies";
import { GatewayError, gatewayHeaders } from "../http/responses";
import { logEvent, logWarning } from "../log";
import { CONSOLE_PATH, consolePage } from "../pages/admin-pages";
import type { Brand } from "../pages/brand";
import { unauthenticated } from "../answers/render";
import { subParam } from "./admin";
import type { GatewayEnv } from "../pipeline/types";
import { listUserSessions, readSession, revokeSession, revokeUserSessions, updateUserSessions } from "../session/store";
import { parseUserChanges } from "../session/user";
import { isPublicId, type SessionKeys } from "../session/token";
import { liveSession } from "../credentials/credential";
import { consoleAdmin, consoleForm, listField } from "./console-request";
import { serviceConsole } from "./console-services";

export interface AdminConsoleOptions {
  /** ADMIN_ROLE: who may use the console. */
  readonly adminRole: string;
  readonly sessionCookie: SessionCookieSpec;
  readonly brand: Brand;
  /** SESSION_SECRET's keys, which sign service tokens; absent: imported from SESSION_SECRET (console-services.ts). */
  readonly sessionKeys: SessionKeys;
}

/** The console's paths under /_gateway/admin: the API's bearer check lets them through (admin.ts). */
export function isConsolePath(canonicalPath: string): boolean {
  return canonicalPath === "/_gateway/admin" || canonicalPath === CONSOLE_PATH || canonicalPath.startsWith("/_gateway/admin/console/");
}

export function adminConsole(options: AdminConsoleOptions): Hono<GatewayEnv> {
  const console = new Hono<GatewayEnv>();
  console.use(requireAdmin(options));

  const page = async (c: Context<GatewayEnv>) => {
    const asked = c.req.query("user");
    const sub = asked === undefined ? null : subParam(asked.trim());
    const lookup = sub ? { sub, sessions: await listUserSessions(c.env, realmOf(c), sub) } : null;
    if (lookup) logEvent("admin.console_lookup", { admin: consoleAdmin(c).user.sub, session: consoleAdmin(c).id, sub });
    return consolePage(options.brand, consoleAdmin(c), lookup);
  };
  // Mounted at /_gateway: the console is /_gateway/admin/ (with its slash) and /_gateway/admin.
  console.get("/admin/", page);
  console.get("/admin", page);

  console.post("/admin/console/sessions/:id/end", async function endFromConsole(c) {
    const { user } = await formOf(c.req.raw);
    const id = c.req.param("id");
    if (!isPublicId(id)) throw new GatewayError("bad_request", "malformed session id");
    const found = await readSession(c.env, id);
    // Another realm's session is as good as an ended one here: not listed, not ended.
    const target = found?.realm === realmOf(c) ? found : null;
    const wasLive = target ? await revokeSession(c.env, id, "admin") : false;
    logEvent("admin.console_session_ended", { admin: consoleAdmin(c).user.sub, session: consoleAdmin(c).id, ended: id, sub: target?.user.sub ?? null, wasLive });
    return backTo(user ?? target?.user.sub ?? null);
  });

  console.post("/admin/console/users/roles", async function rolesFromConsole(c) {
    const form = await formOf(c.req.raw);
    if (!form.user) throw new GatewayError("bad_request", "no user id in the form");
    const roles = listField(form.fields, "roles");
    // The same check as the API's PATCH: what no session could carry is refused, nothing changed.
    const parsed = parseUserChanges({ roles });
    if (!parsed.ok) throw new GatewayError("bad_request", `console roles: ${parsed.problem}`);
    const updated = await updateUserSessions(c.env, realmOf(c), form.user, parsed.changes);
    logEvent("admin.console_roles_changed", { admin: consoleAdmin(c).user.sub, session: consoleAdmin(c).id, sub: form.user, roles: parsed.changes.roles ?? [], updated });
    return backTo(form.user);
  });

  console.post("/admin/console/users/end-all", async function endAllFromConsole(c) {
    const { user } = await formOf(c.req.raw);
    if (!user) throw new GatewayError("bad_request", "no user id in the form");
    const revoked = await revokeUserSessions(c.env, realmOf(c), user, "admin-user");
    logEvent("admin.console_user_sessions_ended", { admin: consoleAdmin(c).user.sub, session: consoleAdmin(c).id, sub: user, revoked });
    return backTo(user);
  });

  console.route("/admin/console/services", serviceConsole({ brand: options.brand, sessionKeys: options.sessionKeys }));
  return console;
}

/** The acting admin's realm: the console's users are that realm's. */
function realmOf(c: Context<GatewayEnv>): string {
  const realm = consoleAdmin(c).realm;
  if (realm === undefined) throw new Error("a console session without a realm");
  return realm;
}

function requireAdmin({ adminRole, sessionCookie }: AdminConsoleOptions): MiddlewareHandler<GatewayEnv> {
  return async function requireAdmin(c, next) {
    // Mounted beside the API: the API's own paths are none of the console's business.
    if (!isConsolePath(c.get("canonicalPath"))) return next();
    const session = liveSession(c.get("credential"));
    if (!session) return unauthenticated(c, sessionCookie);
    if (!session.user.roles.includes(adminRole)) {
      throw new GatewayError("forbidden", "the admin console needs ADMIN_ROLE", { event: "admin.console_refused", fields: { session: session.id, sub: session.user.sub } });
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && isCrossSite(c.req.raw)) {
      logWarning("admin.console_cross_site_refused", { session: session.id, origin: c.req.header("origin") ?? null });
      throw new GatewayError("forbidden", "a cross-site post to the admin console");
    }
    await next();
  };
}

/** The form's fields, and its `user` field checked as the API checks a user id (absent: null). */
async function formOf(request: Request): Promise<{ user: string | null; fields: URLSearchParams }> {
  const fields = await consoleForm(request);
  const user = fields.get("user")?.trim() ?? "";
  return { user: user ? subParam(user) : null, fields };
}

function backTo(sub: string | null): Response {
  const location = sub ? `${CONSOLE_PATH}?user=${encodeURIComponent(sub)}` : CONSOLE_PATH;
  return new Response(null, { status: 303, headers: gatewayHeaders({ Location: location }) });
}
