/**
 * Access requirements (docs/access-policy.md): what a principal must meet for a rule, and a
 * user for ALLOWED_USERS. Every key present must hold (AND); within one list any entry will do
 * (OR). `principals` says which kinds of principal the rule admits (default: users only); the
 * keys that name one kind narrow that kind alone — `users`, `emails` and `emailDomains` users,
 * `services` service credentials, `issuers` workload tokens — so one rule can admit the
 * deployers among its users and the `ci-deploy` service. `roles`, `claims`, `ips`, `countries`
 * and `maxAuthAgeSeconds` hold for every kind. Compiled once from the configuration;
 * `unmetRequirement` then costs a few comparisons per request and no allocation beyond parsing
 * the client's address once.
 */
import type { PrincipalKind } from "../credentials/principal";
import { claimAt, claimMatches } from "../http/claims";
import { clientIp } from "../http/client";
import { ipInRange, parseIp, type IpRange } from "./ip-ranges";

/** What a rule admits when it does not say: a person with a session (`"session"`). */
export const USERS_ONLY: readonly PrincipalKind[] = ["user"];

export interface Requirements {
  /** The kinds of principal admitted; absent: USERS_ONLY. */
  readonly principals?: readonly PrincipalKind[];
  readonly roles?: readonly string[];
  readonly users?: readonly string[];
  /** Lower-cased: compared case-insensitively. */
  readonly emails?: readonly string[];
  /** Lower-cased; `*.example.com` admits subdomains of example.com, never example.com itself. */
  readonly emailDomains?: readonly string[];
  readonly ips?: readonly IpRange[];
  /** ISO 3166-1 alpha-2, upper case, as `cf.country` gives them. */
  readonly countries?: readonly string[];
  readonly maxAuthAgeSeconds?: number;
  /** Service credentials' names (narrows services only). */
  readonly services?: readonly string[];
  /** TRUSTED_ISSUERS entries' names (narrows workloads only). */
  readonly issuers?: readonly string[];
  /** Each listed claim of the principal's token must equal one of its values (http/claims.ts). */
  readonly claims?: Readonly<Record<string, readonly string[]>>;
}

export type RequirementKey = keyof Requirements;

/** What a request brings to be checked against requirements. */
export interface AccessSubject {
  /** The principal's kind; absent: a user (ALLOWED_USERS, a login). */
  readonly kind?: PrincipalKind;
  /** Its id (`sub`, `service:<name>`, the workload's subject), email and roles. */
  readonly user: { readonly sub: string; readonly email?: string; readonly roles: readonly string[] };
  /** A service's name. */
  readonly service?: string;
  /** A workload's issuer (its TRUSTED_ISSUERS name). */
  readonly issuer?: string;
  /** The claims of the principal's token; absent: it carries none, and no `claims` holds. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * Epoch ms of the login (SessionView.authenticatedAt, parsed); at a login itself, now. null:
   * unknown (an ID token without `auth_time`), which no `maxAuthAgeSeconds` accepts.
   */
  readonly authenticatedAtMs: number | null;
  /** `CF-Connecting-IP`. */
  readonly clientIp: string | null;
  /** `request.cf.country`. */
  readonly country: string | null;
  readonly nowMs: number;
}

/** Where a request comes from, as requirements see it (AccessSubject's clientIp and country). */
export interface RequestClient {
  readonly clientIp: string | null;
  readonly country: string | null;
}

/**
 * The address from `CF-Connecting-IP` only (never a client-sent forwarding header; SECURITY.md
 * F-03) and the country Cloudflare put in `request.cf`.
 */
export function requestClient(request: Request): RequestClient {
  const country = (request.cf as { country?: unknown } | undefined)?.country;
  return { clientIp: clientIp(request), country: typeof country === "string" && country !== "" ? country : null };
}

/** The subject of a request (requestClient) for a user. */
export function requestSubject(request: Request, user: AccessSubject["user"], authenticatedAtMs: number | null, nowMs: number): AccessSubject {
  return { user, authenticatedAtMs, ...requestClient(request), nowMs };
}

/** The first requirement the subject fails, in the order of the table above; null when all hold. */
export function unmetRequirement(requirements: Requirements, subject: AccessSubject): RequirementKey | null {
  const { user } = subject;
  const kind = subject.kind ?? "user";
  if (!(requirements.principals ?? USERS_ONLY).includes(kind)) return "principals";
  if (requirements.roles && !requirements.roles.some((role) => user.roles.includes(role))) return "roles";
  if (kind === "user") {
    if (requirements.users && !requirements.users.includes(user.sub)) return "users";
    const email = user.email?.toLowerCase();
    if (requirements.emails && (email === undefined || !requirements.emails.includes(email))) return "emails";
    if (requirements.emailDomains && !emailDomainMatches(requirements.emailDomains, email)) return "emailDomains";
  }
  if (kind === "service" && requirements.services && (subject.service === undefined || !requirements.services.includes(subject.service))) return "services";
  if (kind === "workload" && requirements.issuers && (subject.issuer === undefined || !requirements.issuers.includes(subject.issuer))) return "issuers";
  if (requirements.claims && !claimsMatch(requirements.claims, subject.claims)) return "claims";
  if (requirements.ips && !ipMatches(requirements.ips, subject.clientIp)) return "ips";
  if (requirements.countries && (subject.country === null || !requirements.countries.includes(subject.country.toUpperCase()))) return "countries";
  if (requirements.maxAuthAgeSeconds !== undefined && !freshEnough(requirements.maxAuthAgeSeconds, subject)) return "maxAuthAgeSeconds";
  return null;
}

function claimsMatch(required: Readonly<Record<string, readonly string[]>>, claims: Readonly<Record<string, unknown>> | undefined): boolean {
  if (claims === undefined) return false;
  return Object.entries(required).every(([name, allowed]) => claimMatches(claimAt(claims, name), allowed));
}

function emailDomainMatches(domains: readonly string[], email: string | undefined): boolean {
  if (email === undefined) return false;
  const at = email.lastIndexOf("@");
  if (at <= 0) return false;
  const domain = email.slice(at + 1);
  return domains.some((entry) => (entry.startsWith("*.") ? domain.length > entry.length - 1 && domain.endsWith(entry.slice(1)) : domain === entry));
}

function ipMatches(ranges: readonly IpRange[], clientIp: string | null): boolean {
  const address = clientIp === null ? null : parseIp(clientIp);
  return address !== null && ranges.some((range) => ipInRange(address, range));
}

function freshEnough(maxAuthAgeSeconds: number, subject: AccessSubject): boolean {
  // An unknown login time is never recent: the rule then asks for a login that proves one.
  if (subject.authenticatedAtMs === null) return false;
  return subject.nowMs - subject.authenticatedAtMs <= maxAuthAgeSeconds * 1000;
}
