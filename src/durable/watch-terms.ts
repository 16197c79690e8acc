/**
 * What the session's object checks before it opens a watch (docs/live-connections.md): the
 * terms the Worker sends, read strictly, and whether the identity the connection was
 * authorized with is still the session's. The request comes only from this gateway's Worker
 * (a Durable Object has no public address), so a malformed one is a bug: refused, never opened.
 */
import type { SessionUser, WatchTerms } from "../session/types";

export function parseWatchTerms(url: string): WatchTerms | null {
  const raw = new URL(url).searchParams.get("terms");
  if (raw === null) return null;
  let terms: unknown;
  try {
    terms = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof terms !== "object" || terms === null) return null;
  const { user, maxPerSession, maxPerUser } = terms as Record<string, unknown>;
  if (!isCount(maxPerSession) || !isCount(maxPerUser) || !isUser(user)) return null;
  return { user, maxPerSession, maxPerUser };
}

/**
 * The same identity as far as any rule can tell: subject, email, name and the set of roles.
 * An identity changed and changed back is the same again — the connection is then allowed as
 * it would be if it were opened now.
 */
export function sameIdentity(a: SessionUser, b: SessionUser): boolean {
  return a.sub === b.sub && a.email === b.email && a.name === b.name && sameRoles(a.roles, b.roles);
}

/** The same set of roles, whatever their order or repetitions. */
export function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  const roles = new Set(a);
  return roles.size === new Set(b).size && b.every((role) => roles.has(role));
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isUser(value: unknown): value is SessionUser {
  if (typeof value !== "object" || value === null) return false;
  const { sub, email, name, roles } = value as Record<string, unknown>;
  const optionalString = (field: unknown) => field === undefined || typeof field === "string";
  return typeof sub === "string" && optionalString(email) && optionalString(name) && Array.isArray(roles) && roles.every((role) => typeof role === "string");
}
