/**
 * What the admin API and the console accept for a service credential (DESIGN §1.1,
 * docs/endpoints.md): read strictly — an unknown key is a mistake, not something to ignore —
 * and every refusal names its problem for the operator (`name: must be a name: …`).
 */
import * as v from "valibot";
import { CredentialName } from "../config/schemas";
import { firstProblem, Roles } from "../session/user";
import type { NewService } from "./store";
import type { ServiceChanges } from "./types";

/** The longest lifetime a credential may be given: five years (a credential should be rotated within that). */
export const MAX_LIFETIME_SECONDS = 5 * 365 * 86_400;
/** The longest grace a rotation may give the old token: 30 days. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

const Seconds = (min: number, max: number) =>
  v.pipe(v.number("must be a number"), v.integer("must be a whole number of seconds"), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

/** A JSON object (not an array) with only these keys: a missing one "is required", another "is not one of …". */
function JsonObject<const Entries extends v.ObjectEntries>(entries: Entries, keys: string) {
  return v.pipe(
    v.custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), `must be a JSON object with ${keys}`),
    v.strictObject(entries, (issue) => (issue.expected === "never" ? `is not one of ${keys}` : "is required")),
  );
}

const NewServiceSchema = JsonObject({ name: CredentialName, roles: v.optional(Roles, []), expiresInSeconds: v.optional(Seconds(1, MAX_LIFETIME_SECONDS)) }, "name, roles, expiresInSeconds");
const ChangesSchema = v.pipe(
  JsonObject({ enabled: v.optional(v.boolean("must be true or false")), roles: v.optional(Roles) }, "enabled, roles"),
  v.check((changes) => Object.keys(changes).length > 0, "must change at least one of enabled and roles"),
);
const RotationSchema = JsonObject({ graceSeconds: Seconds(0, MAX_GRACE_SECONDS) }, "graceSeconds");

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export function parseNewService(value: unknown): Parsed<NewService> {
  const result = v.safeParse(NewServiceSchema, value);
  if (!result.success) return { ok: false, problem: firstProblem(result.issues, "body") };
  const { name, roles, expiresInSeconds } = result.output;
  return { ok: true, value: { name, roles: [...new Set(roles)], expiresInSeconds: expiresInSeconds ?? null } };
}

export function parseServiceChanges(value: unknown): Parsed<ServiceChanges> {
  const result = v.safeParse(ChangesSchema, value);
  if (!result.success) return { ok: false, problem: firstProblem(result.issues, "body") };
  const { enabled, roles } = result.output;
  return { ok: true, value: { ...(enabled === undefined ? {} : { enabled }), ...(roles === undefined ? {} : { roles: [...new Set(roles)] }) } };
}

/** A rotation's grace period, in seconds (0: the old token is refused at once). */
export function parseRotation(value: unknown): Parsed<number> {
  const result = v.safeParse(RotationSchema, value);
  if (!result.success) return { ok: false, problem: firstProblem(result.issues, "body") };
  return { ok: true, value: result.output.graceSeconds };
}
