/**
 * The admin API under /_gateway/admin: read and revoke one session by public id, list and
 * revoke a user's sessions. `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time;
 * no token configured ⇒ 404, as if the API did not exist.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { errorResponse, GatewayError, gatewayHeaders, jsonResponse } from "../errors";
import { logEvent, logWarning } from "../log";
import { listUserSessions, readSession, revokeSession, revokeUserSessions } from "../session/store";
import { isPublicId } from "../session/token";
import { timingSafeEqualStrings } from "../timing-safe";
import type { GatewayEnv } from "./types";

const MAX_SUB_LENGTH = 256;

export const admin = new Hono<GatewayEnv>();

admin.use(adminAuth());

admin.get("/sessions/:id", async function getSession(c) {
  const id = sessionIdParam(c.req.param("id"));
  const session = await readSession(c.env, id);
  if (!session) return errorResponse("not_found");
  return jsonResponse(session);
});

admin.delete("/sessions/:id", async function deleteSession(c) {
  const id = sessionIdParam(c.req.param("id"));
  const wasLive = await revokeSession(c.env, id, "admin");
  logEvent("admin.session_revoked", { session: id, wasLive });
  return new Response(null, { status: 204, headers: gatewayHeaders() });
});

admin.get("/users/:sub/sessions", async function listSessions(c) {
  const sub = subParam(c.req.param("sub"));
  const sessions = await listUserSessions(c.env, sub);
  return jsonResponse({ sessions });
});

admin.delete("/users/:sub/sessions", async function deleteUserSessions(c) {
  const sub = subParam(c.req.param("sub"));
  const revoked = await revokeUserSessions(c.env, sub, "admin-user");
  logEvent("admin.user_sessions_revoked", { sub, revoked });
  return new Response(null, { status: 204, headers: gatewayHeaders() });
});

function adminAuth(): MiddlewareHandler<GatewayEnv> {
  return async function adminAuth(c, next) {
    const expected = c.var.config.adminToken;
    if (!expected) return errorResponse("not_found");
    const header = c.req.header("authorization") ?? "";
    const presented = /^Bearer /i.test(header) ? header.slice("Bearer ".length).trim() : "";
    if (!(await timingSafeEqualStrings(presented, expected))) {
      logWarning("admin.unauthorized", { ip: c.req.header("cf-connecting-ip") ?? null, path: c.var.canonicalPath });
      return errorResponse("unauthenticated", { "WWW-Authenticate": "Bearer" });
    }
    await next();
  };
}

function sessionIdParam(id: string): string {
  if (!isPublicId(id)) throw new GatewayError("bad_request", "malformed session id");
  return id;
}

function subParam(sub: string): string {
  if (sub.length === 0 || sub.length > MAX_SUB_LENGTH) throw new GatewayError("bad_request", "malformed subject");
  return sub;
}
