/**
 * The access decision as one pure function of what is asked, who asks, the compiled rules and
 * the time: no Hono context, no Durable Object, no request body. A front (the proxy step,
 * pipeline/decide.ts) builds the AccessRequest — the `_method` overrides included, since
 * finding them may read the body — and answers/ renders the decision.
 *
 * Public passes. Otherwise nobody ⇒ unauthenticated (with the strictest `maxAuthAgeSeconds`
 * among the request's rules, so the login proves a recent sign-in from the start: R1); a
 * principal that fails a requirement ⇒ forbidden, except one whose only failure is a login too
 * long ago, or at an unknown time ⇒ reauthenticate. A request that carries overrides is decided
 * as every method it could run as and must pass them all (method-override.ts). A hostname no
 * rule serves ⇒ null (no app there).
 */
import type { Principal } from "../credentials/principal";
import { unmetRequirement, type AccessSubject, type RequirementKey } from "./requirements";
import type { Access, RoutePolicy } from "./routes";

/** What is asked, as a front saw it. */
export interface AccessRequest {
  readonly method: string;
  readonly host: string;
  /** The canonical path (http/canonical-path.ts): what is authorized is what is forwarded. */
  readonly path: string;
  /** The `_method` overrides the request carries, upper-cased (may be empty). */
  readonly overrides: readonly string[];
  /** `CF-Connecting-IP`, for `ips`. */
  readonly clientIp: string | null;
  /** `request.cf.country`, for `countries`. */
  readonly country: string | null;
}

/**
 * A principal that a gateway-wide requirement (ALLOWED_USERS) shuts out: it counts as nobody,
 * except that a route that needs somebody answers 403 rather than a login.
 */
export interface Excluded {
  readonly kind: "excluded";
  readonly requirement: "ALLOWED_USERS";
}

interface Decided {
  /** The access that decided: the strictest of the request's method and its overrides. */
  readonly access: Access;
  /** The rule the request's own method matched, as written (RouteMatch.rule). */
  readonly rule: string;
  /** The origin that serves the request (its rule's `origin`). */
  readonly origin: string;
}

export type Decision = Decided &
  (
    | {
        readonly outcome: "allowed";
        readonly reason: "public" | "session" | "requirements";
        /**
         * Epoch ms when the login becomes too old for the rules that allowed it (their smallest
         * `maxAuthAgeSeconds`): a live connection ends then. null: no such rule.
         */
        readonly reauthenticateAtMs: number | null;
      }
    /** `maxAgeSeconds`: the strictest `maxAuthAgeSeconds` of the request's rules, if any. */
    | { readonly outcome: "unauthenticated"; readonly reason: "no-session"; readonly maxAgeSeconds?: number }
    | { readonly outcome: "reauthenticate"; readonly reason: "maxAuthAgeSeconds"; readonly maxAgeSeconds: number }
    /** `reason`: the requirement that failed. */
    | { readonly outcome: "forbidden"; readonly reason: RequirementKey | "ALLOWED_USERS" }
  );

export type DecisionOutcome = Decision["outcome"];

export function evaluate(policy: RoutePolicy, request: AccessRequest, principal: Principal | Excluded | null, nowMs: number): Decision | null {
  const { method, host, path } = request;
  const matched = policy.match(method, path, host);
  if (!matched) return null;
  const accesses = [matched.access];
  for (const override of request.overrides) {
    if (override === method) continue;
    const access = policy.accessFor(override, path, host);
    if (!access) return null;
    accesses.push(access);
  }
  const access = accesses.find((each) => each.kind === "requirements") ?? accesses.find((each) => each.kind === "session") ?? accesses[0]!;
  const decided: Decided = { access, rule: matched.rule, origin: matched.origin };
  if (accesses.every((each) => each.kind === "public")) return { ...decided, outcome: "allowed", reason: "public", reauthenticateAtMs: null };
  if (principal === null) {
    const maxAgeSeconds = strictestMaxAuthAge(accesses);
    return { ...decided, outcome: "unauthenticated", reason: "no-session", ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }) };
  }
  if (principal.kind === "excluded") return { ...decided, outcome: "forbidden", reason: principal.requirement };
  // "session" admits users alone; requirements say whom they admit (requirements.ts).
  if (accesses.some((each) => each.kind === "session") && principal.kind !== "user") return { ...decided, outcome: "forbidden", reason: "principals" };

  let failed: RequirementKey | null = null;
  let maxAgeSeconds = Infinity;
  let subject: AccessSubject | null = null;
  // The smallest max auth age of the rules that allow it: a live connection ends when it passes.
  let allowedAgeSeconds = Infinity;
  for (const each of accesses) {
    if (each.kind !== "requirements") continue;
    allowedAgeSeconds = Math.min(allowedAgeSeconds, each.requirements.maxAuthAgeSeconds ?? Infinity);
    subject ??= subjectOf(principal, request, nowMs);
    const unmet = unmetRequirement(each.requirements, subject);
    if (unmet === "maxAuthAgeSeconds") maxAgeSeconds = Math.min(maxAgeSeconds, each.requirements.maxAuthAgeSeconds!);
    // Another requirement wins over the age: signing in again would not meet it.
    else if (unmet !== null && failed === null) failed = unmet;
  }
  if (failed !== null) return { ...decided, outcome: "forbidden", reason: failed };
  if (maxAgeSeconds !== Infinity) return { ...decided, outcome: "reauthenticate", reason: "maxAuthAgeSeconds", maxAgeSeconds };
  const reauthenticateAtMs = allowedAgeSeconds === Infinity ? null : (principal.authenticatedAtMs ?? 0) + allowedAgeSeconds * 1000;
  return { ...decided, outcome: "allowed", reason: access.kind === "requirements" ? "requirements" : "session", reauthenticateAtMs };
}

function subjectOf(principal: Principal, request: AccessRequest, nowMs: number): AccessSubject {
  const user = { sub: principal.id, roles: principal.roles, ...(principal.email === undefined ? {} : { email: principal.email }) };
  return {
    kind: principal.kind,
    user,
    ...(principal.service === undefined ? {} : { service: principal.service }),
    ...(principal.issuer === undefined ? {} : { issuer: principal.issuer }),
    ...(principal.claims === undefined ? {} : { claims: principal.claims }),
    authenticatedAtMs: principal.authenticatedAtMs,
    clientIp: request.clientIp,
    country: request.country,
    nowMs,
  };
}

/** The smallest maxAuthAgeSeconds among the accesses; undefined when none has one. */
function strictestMaxAuthAge(accesses: readonly Access[]): number | undefined {
  let strictest: number | undefined;
  for (const access of accesses) {
    const seconds = access.kind === "requirements" ? access.requirements.maxAuthAgeSeconds : undefined;
    if (seconds !== undefined && (strictest === undefined || seconds < strictest)) strictest = seconds;
  }
  return strictest;
}
