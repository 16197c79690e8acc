/**
 * The identity a login asserts (the origin's `X-Gateway-Login`, or mapped OIDC claims),
 * validated before it becomes a session: values end up in request headers, so they are
 * bounded and free of control characters, and roles cannot contain the `,` that separates
 * them in `X-Auth-Roles` (SECURITY.md I-06). A value is what the origin receives, or it
 * is refused: an origin's header parser trims the ends, so `"alice "` would be
 * authorized as one user and arrive as another; and U+FFFD is what a lossy decoding leaves,
 * which would merge distinct people into one identity.
 */
import * as v from "valibot";
import type { SessionUser, UserChanges } from "./types";

export const MAX_ROLES = 64;

const Text = (maxLength: number) =>
  v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(maxLength),
    v.regex(/^[^\x00-\x1f\x7f\uD800-\uDFFF]*$/u, "must not contain control characters or lone surrogates"),
    v.regex(/^\S(?:.*\S)?$/su, "must not begin or end with whitespace"),
    v.regex(/^[^\uFFFD]*$/u, "must not contain U+FFFD (a lossy decoding)"),
  );

/** Roles as every identity carries them (a session's, a service credential's): what `X-Auth-Roles` can hold. */
export const Roles = v.pipe(v.array(v.pipe(Text(100), v.regex(/^[^,]*$/, "must not contain a comma"))), v.maxLength(MAX_ROLES));

const UserSchema = v.object({
  sub: Text(256),
  email: v.optional(Text(320)),
  name: v.optional(Text(256)),
  roles: v.optional(Roles, []),
});

/** An admin's PATCH: the same rules as a login's identity, only these keys, at least one. */
const ChangesSchema = v.pipe(
  v.strictObject({ roles: v.optional(Roles), email: v.optional(Text(320)), name: v.optional(Text(256)) }, "must be a JSON object with only roles, email and name"),
  v.check((changes) => Object.keys(changes).length > 0, "must change at least one of roles, email and name"),
);

export type ParsedUser = { ok: true; user: SessionUser } | { ok: false; problem: string };

export function parseSessionUser(value: unknown): ParsedUser {
  const result = v.safeParse(UserSchema, value);
  if (!result.success) return { ok: false, problem: firstProblem(result.issues, "identity") };
  const { sub, email, name, roles } = result.output;
  return { ok: true, user: { sub, roles: [...new Set(roles)], ...(email ? { email } : {}), ...(name ? { name } : {}) } };
}

export type ParsedChanges = { ok: true; changes: UserChanges } | { ok: false; problem: string };

export function parseUserChanges(value: unknown): ParsedChanges {
  const result = v.safeParse(ChangesSchema, value);
  if (!result.success) return { ok: false, problem: firstProblem(result.issues, "body") };
  const { roles, ...rest } = result.output;
  return { ok: true, changes: { ...rest, ...(roles ? { roles: [...new Set(roles)] } : {}) } };
}

/** `roles.0: must not contain a comma`: where the first problem is, and what it is. */
export function firstProblem(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]], whole: string): string {
  const issue = issues[0];
  const where = (issue.path ?? []).map((item) => String(item.key)).join(".") || whole;
  return `${where}: ${issue.message}`;
}

/**
 * `X-Gateway-Login` carries the identity as JSON in printable ASCII: non-ASCII characters are
 * `\u`-escaped by the origin. A header byte outside ASCII is refused, because runtimes decode
 * such bytes differently (workerd reads UTF-8 and replaces the rest with U+FFFD; Node writes a
 * string as Latin-1), so `josé` and `josè` could both arrive as `jos\uFFFD`.
 */
export function parseLoginHeader(header: string): ParsedUser {
  if (/[^\x20-\x7e]/.test(header)) return { ok: false, problem: "contains a character outside printable ASCII (escape non-ASCII as \\uXXXX)" };
  let value: unknown;
  try {
    value = JSON.parse(header);
  } catch {
    return { ok: false, problem: "not valid JSON" };
  }
  return parseSessionUser(value);
}
