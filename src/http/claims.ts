/**
 * Reading a JWT's claims (RFC 7519 §4) by name, the way OIDC_*_CLAIM, TRUSTED_ISSUERS'
 * subjectClaim/rolesClaim and rules' `claims` name them.
 */

/**
 * A claim by its name, else a dotted name walked into objects (Keycloak's `realm_access.roles`),
 * where a key may hold dots itself (Kubernetes' `kubernetes.io.namespace`).
 */
export function claimAt(claims: unknown, name: string): unknown {
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return undefined;
  const object = claims as Record<string, unknown>;
  if (Object.hasOwn(object, name)) return object[name];
  for (let dot = name.indexOf("."); dot > 0; dot = name.indexOf(".", dot + 1)) {
    const head = name.slice(0, dot);
    if (!Object.hasOwn(object, head)) continue;
    const found = claimAt(object[head], name.slice(dot + 1));
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Whether a claim's value is one of `allowed`: a string equal to one, or an array (`groups`)
 * holding one as an element. Numbers and booleans compare by their JSON text (`true`, `42`);
 * objects never match.
 */
export function claimMatches(value: unknown, allowed: readonly string[]): boolean {
  if (Array.isArray(value)) return value.some((each) => scalarMatches(each, allowed));
  return scalarMatches(value, allowed);
}

function scalarMatches(value: unknown, allowed: readonly string[]): boolean {
  if (typeof value === "string") return allowed.includes(value);
  if (typeof value === "number" || typeof value === "boolean") return allowed.includes(String(value));
  return false;
}
