/**
 * The identity a login asserts (the origin's `X-Gateway-Login`, or mapped OIDC claims),
 * validated before it becomes a session: values end up in request headers, so they are
 * bounded and free of control characters, and roles cannot contain the `,` that separates
 * them in `X-Auth-Roles` (SECURITY-CHECKLIST I-06).
 */
import * as v from "valibot";
import type { SessionUser } from "./types";

export const MAX_ROLES = 64;

const Text = (maxLength: number) =>
  v.pipe(v.string(), v.minLength(1), v.maxLength(maxLength), v.regex(/^[^\x00-\x1f\x7f\uD800-\uDFFF]*$/u, "must not contain control characters or lone surrogates"));

const UserSchema = v.object({
  sub: Text(256),
  email: v.optional(Text(320)),
  name: v.optional(Text(256)),
  roles: v.optional(
    v.pipe(v.array(v.pipe(Text(100), v.regex(/^[^,]*$/, "must not contain a comma"))), v.maxLength(MAX_ROLES)),
    [],
  ),
});

export type ParsedUser = { ok: true; user: SessionUser } | { ok: false; problem: string };

export function parseSessionUser(value: unknown): ParsedUser {
  const result = v.safeParse(UserSchema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const where = (issue.path ?? []).map((item) => String(item.key)).join(".") || "identity";
    return { ok: false, problem: `${where}: ${issue.message}` };
  }
  const { sub, email, name, roles } = result.output;
  return { ok: true, user: { sub, roles: [...new Set(roles)], ...(email ? { email } : {}), ...(name ? { name } : {}) } };
}

/** `X-Gateway-Login` carries the identity as JSON. */
export function parseLoginHeader(header: string): ParsedUser {
  let value: unknown;
  try {
    value = JSON.parse(header);
  } catch {
    return { ok: false, problem: "not valid JSON" };
  }
  return parseSessionUser(value);
}
