/**
 * The signed assertion's settings (identity/assertion.ts): ASSERTION_KEYS imported once per
 * configuration, and the issuer and audience it states. Problems join the configuration's
 * list; a key's private members are never quoted.
 */
import * as v from "valibot";
import type { Env } from "../env";
import { importAssertionKeys, type AssertionKeys } from "../identity/assertion-keys";
import { logWarning } from "../log";
import { parseSetting } from "./schemas";

export interface ResolvedAssertionConfig {
  readonly keys: AssertionKeys;
  /** ASSERTION_ISSUER; null: `https://` + the request's host. */
  readonly issuer: string | null;
  /** ASSERTION_AUDIENCE; null: the issuer. */
  readonly audience: string | null;
}

// RFC 7519 §2 StringOrURI, kept to what fits a header and compares byte for byte.
const ClaimValueSetting = v.pipe(
  v.string("must be a string"),
  v.maxLength(512, "must be at most 512 characters"),
  v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
);

/** null when ASSERTION_KEYS is unset (no assertion) or invalid (the problems say why). */
export async function parseAssertionSettings(problems: string[], env: Env): Promise<ResolvedAssertionConfig | null> {
  const issuer = parseSetting(problems, "ASSERTION_ISSUER", env.ASSERTION_ISSUER, ClaimValueSetting, null);
  const audience = parseSetting(problems, "ASSERTION_AUDIENCE", env.ASSERTION_AUDIENCE, ClaimValueSetting, null);
  if (!env.ASSERTION_KEYS) {
    if (issuer !== null || audience !== null) {
      logWarning("config.assertion_keys_unset", { note: "ASSERTION_ISSUER or ASSERTION_AUDIENCE is set but ASSERTION_KEYS is not: no assertion is sent" });
    }
    return null;
  }
  const keys = await importAssertionKeys(problems, env.ASSERTION_KEYS);
  return keys ? { keys, issuer, audience } : null;
}
