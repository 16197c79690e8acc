/**
 * The schemas behind config.ts, one per kind of setting. Each accepts the TOML value from
 * `[vars]` or the same value as a JSON string (`.dev.vars`, `--var` and secrets carry only
 * strings), and `parseSetting` turns every failure into a problem that names the setting,
 * quotes the value and states the rule.
 */
import * as v from "valibot";
import { compileHostPattern } from "../policy/hosts";
import { compileRulePattern, type Access, type RouteRule } from "../policy/routes";
import { parseIpRange } from "../policy/ip-ranges";
import type { Requirements } from "../policy/requirements";
import { closestName } from "./suggest";

/** A TOML value as it is, or the same value as a JSON string. */
export const valueOrJson = v.pipe(
  v.unknown(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    // "public" and "session" are plain strings; arrays and tables arrive as JSON text.
    if (typeof dataset.value !== "string" || !/^\s*[[{]/.test(dataset.value)) return dataset.value;
    try {
      return JSON.parse(dataset.value) as unknown;
    } catch {
      addIssue({ message: "is not valid JSON (a string value must hold the setting as JSON)" });
      return NEVER;
    }
  }),
);

const List = <TItem extends v.GenericSchema>(item: TItem, what: string) =>
  v.pipe(v.array(item, `must be an array of ${what}`), v.minLength(1, "must not be empty (leave the key out instead)"));

// A DNS name in lower case, or `*.` and one: the wildcard admits subdomains only.
const DOMAIN = /^(\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const IpRangeSchema = v.pipe(
  v.string("must be a string"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const range = parseIpRange(dataset.value);
    if (typeof range === "string") {
      addIssue({ message: range });
      return NEVER;
    }
    return range;
  }),
);

const REQUIREMENT_KEYS = "principals, roles, users, emails, emailDomains, services, issuers, claims, ips, countries, maxAuthAgeSeconds";
/** A name a service credential or a TRUSTED_ISSUERS entry is given, and rules (`services`, `issuers`) use. */
export const CredentialName = v.pipe(v.string("must be a string"), v.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be a name: a lower-case letter or digit, then letters, digits or - (at most 63)"));
/** The principal kinds a rule may admit today (`agent` comes with the gateway's OAuth grants). */
const PRINCIPAL_KINDS = ["user", "service", "workload"] as const;
const ClaimName = v.pipe(v.string(), v.regex(/^[^\s]{1,128}$/, "must be a claim name without spaces"));

function requirementEntries() {
  return {
    roles: v.optional(List(v.pipe(v.string("must be a string"), v.regex(/^[^\s,]+$/, "must be a role without spaces or commas")), "roles")),
    users: v.optional(List(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"), v.maxLength(256, "must be at most 256 characters")), "user ids")),
    emails: v.optional(
      List(v.pipe(v.string("must be a string"), v.regex(/^[^\s@]+@[^\s@]+$/, "must be an email address"), v.toLowerCase()), "email addresses"),
    ),
    emailDomains: v.optional(
      List(v.pipe(v.string("must be a string"), v.toLowerCase(), v.regex(DOMAIN, 'must be a domain ("example.com") or "*." and a domain ("*.example.com")')), "domains"),
    ),
    ips: v.optional(List(IpRangeSchema, "CIDR blocks")),
    countries: v.optional(
      List(v.pipe(v.string("must be a string"), v.regex(/^[A-Za-z]{2}$/, "must be a two-letter ISO 3166-1 country code (\"DE\")"), v.toUpperCase()), "country codes"),
    ),
    maxAuthAgeSeconds: v.optional(
      v.pipe(v.number("must be a whole number of seconds"), v.integer("must be a whole number of seconds"), v.minValue(1, "must be at least 1")),
    ),
  };
}

/** The keys only a rule has: whom it admits beyond users, and what narrows them. */
function principalEntries() {
  return {
    principals: v.optional(List(v.picklist(PRINCIPAL_KINDS, `must be one of ${PRINCIPAL_KINDS.map((kind) => `"${kind}"`).join(", ")}`), "principal kinds")),
    services: v.optional(List(CredentialName, "service names")),
    issuers: v.optional(List(CredentialName, "TRUSTED_ISSUERS names")),
    claims: v.optional(
      v.pipe(
        v.record(ClaimName, List(v.pipe(v.string("must be a string"), v.maxLength(1024, "must be at most 1024 characters")), "values"), "must be an object of claim names, each with a list of values"),
        v.check((claims) => Object.keys(claims).length > 0, "must name at least one claim (leave the key out instead)"),
      ),
    ),
  };
}

const RequirementsSchema: v.GenericSchema<unknown, Requirements> = v.pipe(
  v.strictObject({ ...requirementEntries(), ...principalEntries() }, `must be an object of requirements with only the keys ${REQUIREMENT_KEYS}`),
  v.check((requirements) => Object.keys(requirements).length > 0, 'must hold at least one requirement (or be "session")'),
  // A key that narrows a kind the rule does not admit would admit nobody: a mistake to report.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const admitted: readonly string[] = dataset.value.principals ?? ["user"];
    for (const [key, kind] of [["services", "service"], ["issuers", "workload"]] as const) {
      if (dataset.value[key] && !admitted.includes(kind)) addIssue({ message: `names ${key} but does not admit them: add "${kind}" to its principals` });
    }
  }),
);

// Chosen by the value's type rather than a union, so a bad requirement is reported itself
// (`ROUTES[0].access.ips[0] ("10.0.0.1/8") has bits set…`), not as "none of the options".
const AccessSchema = v.lazy((input) =>
  typeof input === "string"
    ? v.picklist(["public", "session"], `must be "public", "session" or an object of requirements (${REQUIREMENT_KEYS})`)
    : RequirementsSchema,
);

export const AccessSetting = v.pipe(valueOrJson, AccessSchema, v.transform(toAccess));

// Checked inside the schema, so a bad pattern is reported even when another rule of the same
// list is wrong too (a list that fails its schema is never compiled).
const PatternPath = v.pipe(
  v.string("must be a string"),
  v.startsWith("/", "must start with /"),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.issues) return;
    try {
      compileRulePattern(dataset.value, false);
    } catch (error) {
      addIssue({ message: `is not a valid URLPattern pathname: ${(error as Error).message}` });
    }
  }),
);

const HostPattern = v.pipe(
  v.string("must be a string"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return compileHostPattern(dataset.value).source;
    } catch (error) {
      addIssue({ message: (error as Error).message });
      return NEVER;
    }
  }),
);

/** RFC 7519 §2 StringOrURI (an assertion's `iss`, `aud`), kept to what fits a header and compares byte for byte. */
export const ClaimValue = v.pipe(
  v.string("must be a string"),
  v.maxLength(512, "must be at most 512 characters"),
  v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
);

/** A name in ORIGINS (resolve.ts checks that it is one). */
export const ORIGIN_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const OriginName = v.pipe(v.string("must be a string"), v.regex(ORIGIN_NAME, "must be an origin name: a lower-case letter, then letters, digits, _ or -"));

const RULE_SHAPE = "a rule is {host?, path, methods?, access, origin?}";
const RULE_KEYS = ["host", "path", "methods", "access", "origin"];
const REQUIRED_RULE_KEYS = ["path", "access"];

/**
 * One problem per object for its keys, before their values are read: a misspelt key is
 * reported as unknown with its likely spelling, not also as a missing one (`acess` in a rule,
 * `audience` in a TRUSTED_ISSUERS entry). `shape` ends the message: `a rule is {…}`.
 */
export function knownKeys(known: readonly string[], required: readonly string[], shape: string) {
  return v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const keys = Object.keys(dataset.value);
    const unknown = keys.filter((key) => !known.includes(key));
    const missing = required.filter((key) => !keys.includes(key));
    if (unknown.length === 0 && missing.length === 0) return;
    const parts = [
      ...unknown.map((key) => {
        const suggestion = closestName(key, known);
        return `has an unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`;
      }),
      ...(missing.length > 0 ? [`has no ${missing.map((key) => `"${key}"`).join(" and no ")}`] : []),
    ];
    addIssue({ message: `${parts.join(", ")}: ${shape}` });
  });
}

const RuleSchema = v.pipe(
  v.record(v.string(), v.unknown(), `must be an object: ${RULE_SHAPE}`),
  knownKeys(RULE_KEYS, REQUIRED_RULE_KEYS, RULE_SHAPE),
  v.strictObject({
    host: v.optional(HostPattern),
    path: PatternPath,
    methods: v.optional(
      v.pipe(v.array(v.pipe(v.string(), v.regex(/^[A-Z]+$/, "must be an upper-case HTTP method"))), v.minLength(1, "must not be empty")),
    ),
    access: AccessSchema,
    origin: v.optional(OriginName),
  }),
);

export const RoutesSetting = v.pipe(
  valueOrJson,
  v.array(RuleSchema, `must be an array of rules ${RULE_SHAPE.slice("a rule is ".length)}`),
  v.transform((rules): RouteRule[] => rules.map((rule) => ({ ...rule, access: toAccess(rule.access) }))),
);

const PathList = v.array(PatternPath, "must be an array of paths");

/** An object of host patterns, in written order, with "*" for every other host (policy/hosts.ts). */
const PerHostObject = <TValue extends v.GenericSchema>(value: TValue) =>
  v.pipe(
    v.record(v.string(), value, 'must be an object of host patterns, with "*" for every other host'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      for (const host of Object.keys(dataset.value)) {
        if (host === "*") continue;
        try {
          compileHostPattern(host);
        } catch (error) {
          addIssue({ message: `has the key "${host}", which ${(error as Error).message}` });
        }
      }
      if (!("*" in dataset.value)) addIssue({ message: 'must have a "*" entry: the value for every other host' });
    }),
    v.transform((record) => Object.entries(record) as [string, v.InferOutput<TValue>][]),
  );

/** One list of paths for every host, or one per host pattern. */
export const PathListSetting = v.pipe(
  valueOrJson,
  v.lazy((input) => (isTable(input) ? PerHostObject(PathList) : v.pipe(PathList, v.transform((paths) => [["*", paths]] as [string, string[]][])))),
);

export const BooleanSetting = v.union(
  [v.boolean(), v.pipe(v.picklist(["true", "false"]), v.transform((s) => s === "true"))],
  "must be true or false",
);

export const WholeNumber = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number))], "must be a whole number"),
  v.integer("must be a whole number"),
  v.minValue(0, "must be 0 or more"),
);

export const PositiveInteger = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number))], "must be a whole number of seconds"),
  v.integer("must be a whole number of seconds"),
  v.minValue(1, "must be at least 1"),
);

const LocalPath = v.pipe(
  v.string("must be a string"),
  v.regex(/^\/(?![/\\])[^\s\\]*$/, "must be a path on this site, starting with a single /"),
);

/** One path for every host, or one per host pattern (LOGIN_URL). */
export const LocalPathSetting = v.pipe(
  valueOrJson,
  v.lazy((input) => (isTable(input) ? PerHostObject(LocalPath) : v.pipe(LocalPath, v.transform((path) => [["*", path]] as [string, string][])))),
);

function isTable(input: unknown): boolean {
  return typeof input === "object" && input !== null && !Array.isArray(input);
}

export const AuthModeSetting = v.picklist(["delegated", "oidc"], 'must be "delegated" or "oidc"');

export function toAccess(access: "public" | "session" | Requirements): Access {
  return typeof access === "string" ? { kind: access } : { kind: "requirements", requirements: access };
}

const { maxAuthAgeSeconds: _notForAllowedUsers, ...userEntries } = requirementEntries();
const USER_REQUIREMENT_KEYS = "roles, users, emails, emailDomains, ips, countries";

/**
 * ALLOWED_USERS: who may have a session at all. `"any"`, or requirements without
 * `maxAuthAgeSeconds` (a login is always fresh, so it would mean nothing there).
 */
export const AllowedUsersSetting = v.pipe(
  valueOrJson,
  v.lazy((input) =>
    typeof input === "string"
      ? v.literal("any", `must be "any" or an object of requirements (${USER_REQUIREMENT_KEYS})`)
      : v.pipe(
          v.strictObject(userEntries, `must be "any" or an object of requirements with only the keys ${USER_REQUIREMENT_KEYS}`),
          v.check((requirements) => Object.keys(requirements).length > 0, 'must hold at least one requirement (or be "any")'),
        ),
  ),
  v.transform((value): Requirements | null => (value === "any" ? null : (value as Requirements))),
);

export function parseSetting<TSchema extends v.GenericSchema, TDefault>(
  problems: string[],
  name: string,
  value: unknown,
  schema: TSchema,
  fallback: TDefault,
): v.InferOutput<TSchema> | TDefault {
  if (value === undefined || value === "") return fallback;
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  for (const issue of deepestIssues(result.issues)) {
    const where = (issue.path ?? []).map((item) => (typeof item.key === "number" ? `[${item.key}]` : `.${String(item.key)}`)).join("");
    problems.push(`${name}${where} (${quote(issue.input)}) ${issue.message}`);
  }
  return fallback;
}

/** A union failure nests the real reasons; report those when there are some. */
function deepestIssues(issues: readonly v.BaseIssue<unknown>[]): v.BaseIssue<unknown>[] {
  return issues.flatMap((issue) => issue.issues && issue.type !== "union" ? deepestIssues(issue.issues) : [issue]);
}

/**
 * A setting's value as a problem or a log line quotes it: JSON, at most 120 characters, and
 * with what a URL in it could carry as a secret masked first — the user and password before
 * `@`, and the query (`https://***@origin.internal/?***`) — so a misspelt ORIGIN_URL never puts
 * its credentials into `config.invalid` or `npm run check`'s output (R10).
 */
export function quote(value: unknown): string {
  const text = withoutUrlSecrets(JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

// scheme://anything-up-to-the-last-@ before a space or quote; greedy, so a password with `@`,
// `/` or `:` in it is masked whole (an over-masked path does no harm in an error message).
const URL_USERINFO = /\b([a-z][a-z\d+.-]*:\/\/)[^\s"']*@/gi;
// The query of a URL (its values are where API keys go): from `?` to a space, quote or `#`.
const URL_QUERY = /\b([a-z][a-z\d+.-]*:\/\/[^\s"'?#]*)\?[^\s"'#]*/gi;

/** Masks URL credentials and queries anywhere in a text (R10). */
export function withoutUrlSecrets(text: string): string {
  return text.replace(URL_USERINFO, "$1***@").replace(URL_QUERY, "$1?***");
}
