/**
 * The admin API under /_gateway/admin: read and revoke one session by public id, list,
 * revoke and change the identity of a user's sessions; service credentials (admin-services.ts).
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time; no token configured ⇒ 404,
 * as if the API did not exist.
 *
 * A user's sessions have two addresses: `/users/:sub/sessions`, and `/sessions?user=<sub>`
 * for any user id at all — one that is `.` or `..`, holds a `/`, or looks like an escape
 * (`a%41`) cannot be written as a path segment that survives canonicalization.
 *
 * A user's sessions are those of one realm (session/realm.ts: one subject at two apps is two
 * users): `?realm=<hostname>` (or `.<COOKIE_DOMAIN>`) names it. Without it: with COOKIE_DOMAIN
 * the domain's, the one realm a browser can hold a session of; otherwise the hostname the
 * admin request was sent to — an operator who asks `app.example.com` about alice gets alice of
 * app.example.com.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { errorResponse, GatewayError, gatewayHeaders, jsonResponse } from "../http/responses";
import { readJsonBody } from "../http/body";
import { clientIp } from "../http/client";
import { logEvent, logWarning } from "../log";
import { listUserSessions, readSession, revokeSession, revokeUserSessions, updateUserSessions } from "../session/store";
import { parseUserChanges } from "../session/user";
import { isPublicId, type SessionKeys } from "../session/token";
import { adminServices } from "./admin-services";
import { isRealm, sharedRealm } from "../session/realm";
import { timingSafeEqualStrings } from "../http/timing-safe";
import type { Env } from "../env";
import type { GatewayEnv } from "../pipeline/types";

const MAX_SUB_LENGTH = 256;

export interface AdminApiOptions {
  /** ADMIN_TOKEN; null: every admin path answers 404, as if the API did not exist. */
  readonly adminToken: string | null;
  /** With ADMIN_ROLE: the console's paths, which its session authorizes (admin-console.ts). */
  readonly isConsolePath: ((canonicalPath: string) => boolean) | null;
  /** COOKIE_DOMAIN: its realm is a user lookup's default; without it, the request's host (session/realm.ts). */
  readonly sharedDomain: string | null;
  /** SESSION_SECRET's keys, which sign service tokens; absent: imported from SESSION_SECRET (admin-services.ts). */
  readonly sessionKeys: SessionKeys;
}

export function adminApi({ adminToken, isConsolePath, sharedDomain, sessionKeys }: AdminApiOptions): Hono<GatewayEnv> {
  const admin = new Hono<GatewayEnv>();

  admin.use(async (c, next) => {
    if (isConsolePath?.(c.get("canonicalPath"))) return next();
    return bearerCheck(c, next);
  });
  const bearerCheck = adminAuth(adminToken);

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

  const user = (c: Context<GatewayEnv>, sub: string | undefined): UserRef => ({ realm: realmParam(c, sharedDomain), sub: subParam(sub) });
  admin.get("/users/:sub/sessions", (c) => listSessions(c.env, user(c, c.req.param("sub"))));
  admin.get("/sessions", (c) => listSessions(c.env, user(c, c.req.query("user"))));
  admin.delete("/users/:sub/sessions", (c) => deleteUserSessions(c.env, user(c, c.req.param("sub"))));
  admin.delete("/sessions", (c) => deleteUserSessions(c.env, user(c, c.req.query("user"))));
  admin.patch("/users/:sub/sessions", (c) => patchUserSessions(c.env, user(c, c.req.param("sub")), c.req.raw));
  admin.patch("/sessions", (c) => patchUserSessions(c.env, user(c, c.req.query("user")), c.req.raw));
  admin.route("/services", adminServices({ sessionKeys }));
  return admin;
}

/** A user of one realm. */
interface UserRef {
  readonly realm: string;
  readonly sub: string;
}

async function listSessions(env: Env, { realm, sub }: UserRef): Promise<Response> {
  const sessions = await listUserSessions(env, realm, sub);
  return jsonResponse({ sessions });
}

async function deleteUserSessions(env: Env, { realm, sub }: UserRef): Promise<Response> {
  const revoked = await revokeUserSessions(env, realm, sub, "admin-user");
  logEvent("admin.user_sessions_revoked", { realm, sub, revoked });
  return new Response(null, { status: 204, headers: gatewayHeaders() });
}

/**
 * Changes roles, email or name of every live session of the user, and answers once each
 * session holds the change: from the next request on, none carries the old values. A bad
 * body changes nothing and gets 400 with the problem named (the caller is an operator).
 */
async function patchUserSessions(env: Env, { realm, sub }: UserRef, request: Request): Promise<Response> {
  const body = await readJsonBody(request, MAX_ADMIN_BODY_BYTES);
  const parsed = body.ok ? parseUserChanges(body.value) : body;
  if (!parsed.ok) {
    logWarning("admin.user_update_refused", { realm, sub, problem: parsed.problem });
    return jsonResponse({ error: "bad_request", problem: parsed.problem }, 400);
  }
  const updated = await updateUserSessions(env, realm, sub, parsed.changes);
  logEvent("admin.user_sessions_updated", { realm, sub, updated, changed: Object.keys(parsed.changes) });
  return jsonResponse({ updated });
}

/** Admin bodies are small JSON objects; a larger one is a mistake, not a change. */
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

function adminAuth(expected: string | null): MiddlewareHandler<GatewayEnv> {
  return async function adminAuth(c, next) {
    if (!expected) return errorResponse("not_found");
    const header = c.req.header("authorization") ?? "";
    const presented = /^Bearer /i.test(header) ? header.slice("Bearer ".length).trim() : "";
    if (!(await timingSafeEqualStrings(presented, expected))) {
      logWarning("admin.unauthorized", { ip: clientIp(c.req.raw), path: c.get("canonicalPath") });
      return errorResponse("unauthenticated", { "WWW-Authenticate": "Bearer" });
    }
    await next();
  };
}

function sessionIdParam(id: string): string {
  if (!isPublicId(id)) throw new GatewayError("bad_request", "malformed session id");
  return id;
}

/**
 * The realm a user lookup is about: `?realm=`, checked to be a hostname or `.domain` (else
 * 400); absent, COOKIE_DOMAIN's, else the host the request was sent to.
 */
export function realmParam(c: Context<GatewayEnv>, sharedDomain: string | null): string {
  const asked = c.req.query("realm");
  if (asked === undefined) return sharedDomain === null ? c.get("url").hostname : sharedRealm(sharedDomain);
  const realm = asked.toLowerCase();
  if (!isRealm(realm)) throw new GatewayError("bad_request", "malformed realm");
  return realm;
}

/** A user id as the admin API and the console take it: 1 to MAX_SUB_LENGTH characters, else 400. */
export function subParam(sub: string | undefined): string {
  if (sub === undefined || sub.length === 0 || sub.length > MAX_SUB_LENGTH) throw new GatewayError("bad_request", "malformed subject");
  return sub;
}
