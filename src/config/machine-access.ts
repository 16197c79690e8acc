/**
 * What ROUTES and DEFAULT_ACCESS say about machines (docs/principals.md), checked against
 * TRUSTED_ISSUERS: a rule that admits workloads needs an issuer to trust, and `issuers` must name
 * entries of it (problems); a rule that admits machines with nothing narrowing which ones admits
 * every service credential, or every token of every trusted issuer (a warning).
 */
import type { TrustedIssuer } from "../credentials/trusted-issuers";
import type { Access, RouteRule } from "../policy/routes";
import { quote } from "./schemas";
import type { ConfigWarning } from "./warnings";

interface Placed {
  readonly where: string;
  readonly access: Access;
}

function placed(rules: readonly RouteRule[], defaultAccess: Access): Placed[] {
  return [...rules.map((rule, index) => ({ where: `ROUTES[${index}].access`, access: rule.access })), { where: "DEFAULT_ACCESS", access: defaultAccess }];
}

export function machineAccessProblems(rules: readonly RouteRule[], defaultAccess: Access, issuers: readonly TrustedIssuer[]): string[] {
  const names = issuers.map((issuer) => issuer.name);
  return placed(rules, defaultAccess).flatMap(({ where, access }) => {
    if (access.kind !== "requirements") return [];
    const { principals, issuers: named } = access.requirements;
    const problems: string[] = [];
    if (principals?.includes("workload") && issuers.length === 0) problems.push(`${where}.principals admits "workload" but TRUSTED_ISSUERS names no issuer: add the issuers whose tokens it accepts`);
    for (const name of named ?? []) {
      if (issuers.length > 0 && !names.includes(name)) problems.push(`${where}.issuers (${quote(name)}) is not a TRUSTED_ISSUERS name: name one of ${names.map((each) => `"${each}"`).join(", ")}`);
    }
    return problems;
  });
}

export function machineAccessWarnings(rules: readonly RouteRule[], defaultAccess: Access): ConfigWarning[] {
  return placed(rules, defaultAccess).flatMap(({ where, access }): ConfigWarning[] => {
    if (access.kind !== "requirements") return [];
    const { principals, roles, services, issuers, claims } = access.requirements;
    const machines = (principals ?? []).filter((kind) => kind !== "user");
    if (machines.length === 0 || roles || claims) return [];
    const unnarrowed = machines.filter((kind) => (kind === "service" ? !services : kind === "workload" ? !issuers : true));
    if (unnarrowed.length === 0) return [];
    const what = unnarrowed.map((kind) => (kind === "service" ? "every service credential" : "every token of every trusted issuer")).join(" and ");
    return [
      {
        event: "config.machines_unnarrowed",
        message: `${where} admits ${what}: narrow it with roles, ${unnarrowed.map((kind) => (kind === "service" ? "services" : "issuers")).join(", ")} or claims`,
        fields: { where, principals: unnarrowed },
      },
    ];
  });
}
