/**
 * Provider claims → the session's identity (`X-Auth-*`), with the claim names of the
 * OIDC_*_CLAIM settings. A name that is a top-level claim is used as it is (Auth0-style
 * `https://example.com/roles` keeps its dots); otherwise a dotted name walks into objects
 * (Keycloak's `realm_access.roles`).
 *
 * Values that would make a bad header are left out rather than refusing the login, and the
 * log says so: an email or name with control characters, a role with a comma, roles past the
 * limit (SECURITY.md I-06). A missing or unusable subject refuses the login.
 */
import { MAX_ROLES, parseSessionUser } from "../../session/user";
import type { SessionUser } from "../../session/types";
import type { ClaimNames } from "./settings";

export type Claims = Readonly<Record<string, unknown>>;

export type MappedIdentity =
  | { ok: true; user: SessionUser; dropped: string[] }
  | { ok: false; problem: string };

export function claimValue(claims: Claims, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Claims)[part];
  }
  return value;
}

/** Whether the ID token lacks a claim the mapping reads, so userinfo may hold it. */
export function lacksMappedClaims(claims: Claims, names: ClaimNames): boolean {
  return [names.sub, names.email, names.name, names.roles].some((name) => claimValue(claims, name) === undefined);
}

export function mapIdentity(claims: Claims, names: ClaimNames): MappedIdentity {
  const rawSub = claimValue(claims, names.sub);
  const sub = typeof rawSub === "number" && Number.isSafeInteger(rawSub) ? String(rawSub) : rawSub;
  if (typeof sub !== "string" || !parseSessionUser({ sub }).ok) {
    return { ok: false, problem: `claim ${names.sub} is missing or not a usable subject (1–256 characters, no control characters)` };
  }
  const dropped: string[] = [];
  const user: { sub: string; email?: string; name?: string; roles: string[] } = { sub, roles: [] };

  const email = claimValue(claims, names.email);
  // OIDC Core §5.1: the standard `email` counts as the user's only when the provider vouches
  // for it with `email_verified` true (or "true", as some providers send strings). Absent or
  // anything else is unverified: an origin that keys accounts by email must not be handed an
  // address anyone could type in at the provider. A custom OIDC_EMAIL_CLAIM is the
  // operator's choice of a claim the provider controls, and is taken as it is.
  if (names.email === "email" && email !== undefined && !isVerified(claims.email_verified)) {
    dropped.push(`email (email_verified is ${JSON.stringify(claims.email_verified) ?? "absent"})`);
  } else if (email !== undefined) {
    if (typeof email === "string" && parseSessionUser({ sub, email }).ok) user.email = email;
    else dropped.push(names.email);
  }

  const name = claimValue(claims, names.name);
  if (name !== undefined) {
    if (typeof name === "string" && parseSessionUser({ sub, name }).ok) user.name = name;
    else dropped.push(names.name);
  }

  const roles = claimValue(claims, names.roles);
  const candidates = typeof roles === "string" ? [roles] : Array.isArray(roles) ? roles : [];
  if (roles !== undefined && candidates.length === 0 && !Array.isArray(roles)) dropped.push(names.roles);
  const usable = candidates.filter((role): role is string => typeof role === "string" && parseSessionUser({ sub, roles: [role] }).ok);
  if (usable.length < candidates.length) dropped.push(`${candidates.length - usable.length} of ${candidates.length} roles (not usable in a header)`);
  const valid = [...new Set(usable)];
  if (valid.length > MAX_ROLES) dropped.push(`${valid.length - MAX_ROLES} roles past the limit of ${MAX_ROLES}`);
  user.roles = valid.slice(0, MAX_ROLES);

  const parsed = parseSessionUser(user);
  if (!parsed.ok) return { ok: false, problem: parsed.problem };
  return { ok: true, user: parsed.user, dropped };
}

function isVerified(value: unknown): boolean {
  return value === true || value === "true";
}
