/**
 * The signed assertion's settings (identity/assertion.ts): ASSERTION_KEYS imported once per
 * configuration, and the issuer and audience it states. Problems join the configuration's
 * list; a key's private members are never quoted.
 */
import type { Env } from "../env";
import { importAssertionKeys, type AssertionKeys } from "../identity/assertion-keys";
import { logWarning } from "../log";
import { DEFAULT_ORIGIN } from "../policy/routes";
import { ClaimValue, parseSetting, quote } from "./schemas";

export interface ResolvedAssertionConfig {
  readonly keys: AssertionKeys;
  /** ASSERTION_ISSUER; null: `https://` + the request's host. */
  readonly issuer: string | null;
  /** ASSERTION_AUDIENCE, the default origin's; null: the issuer. */
  readonly audience: string | null;
  /** Each named origin's audience as ORIGINS names it; null: the default origin's + `#` + its name. */
  readonly originAudiences: ReadonlyMap<string, string | null>;
}

/** null when ASSERTION_KEYS is unset (no assertion) or invalid (the problems say why). */
export async function parseAssertionSettings(problems: string[], env: Env, originAudiences: ReadonlyMap<string, string | null>): Promise<ResolvedAssertionConfig | null> {
  const issuer = parseSetting(problems, "ASSERTION_ISSUER", env.ASSERTION_ISSUER, ClaimValue, null);
  const audience = parseSetting(problems, "ASSERTION_AUDIENCE", env.ASSERTION_AUDIENCE, ClaimValue, null);
  if (!env.ASSERTION_KEYS) {
    if (issuer !== null || audience !== null) {
      logWarning("config.assertion_keys_unset", { note: "ASSERTION_ISSUER or ASSERTION_AUDIENCE is set but ASSERTION_KEYS is not: no assertion is sent" });
    }
    return null;
  }
  problems.push(...sharedAudienceProblems(audience ?? issuer, originAudiences));
  const keys = await importAssertionKeys(problems, env.ASSERTION_KEYS);
  return keys ? { keys, issuer, audience, originAudiences } : null;
}

/**
 * Two origins with one audience would accept each other's assertions (R6). Checked where the
 * audiences are known without a request: those ORIGINS names, and the derived ones when
 * ASSERTION_AUDIENCE or ASSERTION_ISSUER fixes the default origin's.
 */
function sharedAudienceProblems(fixedDefault: string | null, named: ReadonlyMap<string, string | null>): string[] {
  const owners = new Map<string, string>();
  if (fixedDefault !== null) owners.set(fixedDefault, DEFAULT_ORIGIN);
  for (const [name, audience] of named) if (audience === null && fixedDefault !== null) owners.set(`${fixedDefault}#${name}`, name);
  const problems: string[] = [];
  for (const [name, audience] of named) {
    if (audience === null) continue;
    const owner = owners.get(audience);
    if (owner !== undefined) problems.push(`ORIGINS.${name}.audience (${quote(audience)}) is the audience of origin "${owner}" too: each origin must verify an audience of its own`);
    else owners.set(audience, name);
  }
  return problems;
}
