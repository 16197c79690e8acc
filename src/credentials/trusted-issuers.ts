/**
 * TRUSTED_ISSUERS: the issuers whose JWTs are workload tokens (docs/workload-tokens.md). Each
 * entry is checked here once, and every problem of every entry is reported together, naming
 * the entry, quoting the value and stating the rule, as the other settings are
 * (config/schemas.ts). Defaults are filled in, so later code never sees an absent field.
 */
import * as v from "valibot";
import { ClaimValue, CredentialName, knownKeys, parseSetting, quote, valueOrJson } from "../config/schemas";

/** Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037, RFC 9864): verified with a JWKS's public keys. */
export const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;
export const DEFAULT_ALGORITHMS: readonly string[] = ["RS256", "ES256", "EdDSA"];
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600;
/** A day: a "workload" token living longer is a long-lived secret, which this is not for. */
export const MAX_TOKEN_LIFETIME_LIMIT_SECONDS = 86_400;

export interface TrustedIssuer {
  /** What rules (`issuers`) and `X-Auth-Issuer` call it. */
  readonly name: string;
  /** The exact `iss`, as written (compared character for character, never normalized). */
  readonly issuer: string;
  /** Non-empty: the token's `aud` must hold one of them. */
  readonly audiences: readonly string[];
  /** The JWKS URL as configured, or null: found through `discoveryUrl`. */
  readonly jwksUrl: string | null;
  /** `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4). */
  readonly discoveryUrl: string;
  /** Asymmetric only; default DEFAULT_ALGORITHMS. */
  readonly algorithms: readonly string[];
  /** Claim that names the workload (a dotted name reaches into objects). Default `sub`. */
  readonly subjectClaim: string;
  /** Claim holding the workload's roles (a string or an array of strings), or null: no roles. */
  readonly rolesClaim: string | null;
  /** A token whose `exp − iat` exceeds this is refused. Default 3600. */
  readonly maxTokenLifetimeSeconds: number;
  /** The issuer is plain http on a loopback host (tests, local development): only then may its URLs be http. */
  readonly allowInsecureHttp: boolean;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const URL_RULE = "must be an absolute https URL without credentials, query or fragment (plain http only on localhost, 127.0.0.1 or [::1], for tests and local development)";

/** A URL the gateway fetches or compares: https, or http on a loopback host; null when it is neither. */
export function issuerUrl(value: string): URL | null {
  const url = URL.parse(value);
  if (!url || url.username || url.password || url.search || url.hash || /[?#]/.test(value)) return null;
  if (url.protocol === "https:") return url;
  return url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname) ? url : null;
}

const HttpsUrl = v.pipe(
  v.string("must be a string"),
  v.maxLength(512, "must be at most 512 characters"),
  v.check((value) => issuerUrl(value) !== null, URL_RULE),
);

// One problem per value, the reason first: `none` and HMAC are the classic JWT forgeries.
const Algorithm = v.pipe(
  v.string("must be a string"),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(dataset.value)) return;
    if (dataset.value.toLowerCase() === "none") addIssue({ message: 'must not be "none": it accepts unsigned tokens, which anyone can make' });
    else if (/^HS/i.test(dataset.value)) {
      addIssue({ message: "must not be an HMAC algorithm (HS*): a JWKS publishes public keys, and a token checked with one as an HMAC secret could be made by anyone who has it" });
    } else addIssue({ message: `must be one of ${ASYMMETRIC_ALGORITHMS.join(", ")}` });
  }),
);

const ClaimName = v.pipe(
  v.string("must be a string"),
  v.maxLength(200, "must be at most 200 characters"),
  v.regex(/^[^\x00-\x20\x7f]+$/, "must be a claim name (a dotted path such as realm_access.roles reaches into objects)"),
);

const ENTRY_KEYS = ["name", "issuer", "audiences", "jwksUrl", "algorithms", "subjectClaim", "rolesClaim", "maxTokenLifetimeSeconds"];
const REQUIRED_KEYS = ["name", "issuer", "audiences"];
const ENTRY_SHAPE = "an issuer is {name, issuer, audiences, jwksUrl?, algorithms?, subjectClaim?, rolesClaim?, maxTokenLifetimeSeconds?}";

const EntrySchema = v.pipe(
  v.record(v.string(), v.unknown(), `must be an object: ${ENTRY_SHAPE}`),
  // One problem per entry for its keys, with the likely spelling of a misspelt one (as ROUTES does).
  knownKeys(ENTRY_KEYS, REQUIRED_KEYS, ENTRY_SHAPE),
  v.strictObject({
    // As a service credential's name (DESIGN §1.1): it goes into a header and a rule.
    name: CredentialName,
    issuer: HttpsUrl,
    audiences: v.pipe(
      v.array(ClaimValue, "must be an array of audiences (the values the token's aud must hold one of)"),
      v.minLength(1, "must not be empty: a token is accepted only when its aud names this gateway"),
    ),
    jwksUrl: v.optional(HttpsUrl),
    algorithms: v.optional(v.pipe(v.array(Algorithm, "must be an array of JWS algorithms"), v.minLength(1, "must not be empty (leave the key out for the default)"))),
    subjectClaim: v.optional(ClaimName),
    rolesClaim: v.optional(ClaimName),
    maxTokenLifetimeSeconds: v.optional(
      v.pipe(
        v.number("must be a whole number of seconds"),
        v.integer("must be a whole number of seconds"),
        v.minValue(1, "must be at least 1"),
        v.maxValue(MAX_TOKEN_LIFETIME_LIMIT_SECONDS, `must be at most ${MAX_TOKEN_LIFETIME_LIMIT_SECONDS} (a day)`),
      ),
    ),
  }),
);

// The list first, then each entry on its own: a wrong entry does not hide the others' problems,
// nor the duplicates among the entries that are right.
const TrustedIssuersSetting = v.pipe(valueOrJson, v.array(v.unknown(), `must be an array of issuers: ${ENTRY_SHAPE}`));

/**
 * TRUSTED_ISSUERS as entries with their defaults, or null when anything is wrong (the problems
 * are added to `problems`). Not set: no trusted issuer, an empty list.
 */
export function resolveTrustedIssuers(problems: string[], value: unknown): readonly TrustedIssuer[] | null {
  const before = problems.length;
  const list = parseSetting(problems, "TRUSTED_ISSUERS", value, TrustedIssuersSetting, []);
  const resolved: [index: number, issuer: TrustedIssuer][] = [];
  list.forEach((raw, index) => {
    const entry = parseSetting(problems, `TRUSTED_ISSUERS[${index}]`, raw, EntrySchema, null);
    if (entry) resolved.push([index, withDefaults(entry)]);
  });
  resolved.forEach(([index, entry], position) => {
    const where = `TRUSTED_ISSUERS[${index}]`;
    const earlier = resolved.slice(0, position);
    const sameName = earlier.find(([, other]) => other.name === entry.name);
    if (sameName) problems.push(`${where}.name (${quote(entry.name)}) is also TRUSTED_ISSUERS[${sameName[0]}]'s: names must be unique (rules and X-Auth-Issuer use them)`);
    // The token's iss picks its entry, so one iss must lead to exactly one entry.
    const sameIssuer = earlier.find(([, other]) => other.issuer === entry.issuer);
    if (sameIssuer) {
      problems.push(`${where}.issuer (${quote(entry.issuer)}) is also TRUSTED_ISSUERS[${sameIssuer[0]}]'s: one entry per issuer (list several audiences in it instead)`);
    }
    // An https issuer's keys must not come over plain http, even from a loopback address.
    if (entry.jwksUrl && !entry.allowInsecureHttp && issuerUrl(entry.jwksUrl)!.protocol === "http:") {
      problems.push(`${where}.jwksUrl (${quote(entry.jwksUrl)}) must be https: the issuer is https`);
    }
  });
  return problems.length > before ? null : resolved.map(([, issuer]) => issuer);
}

function withDefaults(entry: v.InferOutput<typeof EntrySchema>): TrustedIssuer {
  return {
    name: entry.name,
    issuer: entry.issuer,
    audiences: [...new Set(entry.audiences)],
    jwksUrl: entry.jwksUrl ?? null,
    // Discovery §4: a trailing "/" of the issuer is removed before the well-known path is added.
    discoveryUrl: `${entry.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    algorithms: [...new Set(entry.algorithms ?? DEFAULT_ALGORITHMS)],
    subjectClaim: entry.subjectClaim ?? "sub",
    rolesClaim: entry.rolesClaim ?? null,
    maxTokenLifetimeSeconds: entry.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    allowInsecureHttp: issuerUrl(entry.issuer)!.protocol === "http:",
  };
}
