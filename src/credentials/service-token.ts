/**
 * The service-token check of the bearer reader (credentials/bearer.ts): `gws_…` verified at the
 * edge (a forged or malformed token never wakes a Durable Object), then by the credential's own
 * Durable Object, which alone says whether it is enabled, unexpired and not rotated out
 * (docs/service-credentials.md). A good one is a `service` principal.
 */
import type { SessionKeys } from "../session/token";
import { authenticateService } from "../services/store";
import type { ServiceView } from "../services/types";
import type { ServiceCheck } from "./bearer";
import type { Principal } from "./principal";

export function serviceTokenCheck(sessionKeys: SessionKeys): ServiceCheck {
  return async function serviceToken(c, token, nowMs) {
    const result = await authenticateService(c.env, sessionKeys, token, nowMs);
    return result.ok ? { ok: true, principal: servicePrincipal(result.service, result.secretHash, nowMs) } : { ok: false, reason: result.reason };
  };
}

/** A service credential as a principal: `service:<name>`, its roles, authenticated just now. */
export function servicePrincipal(service: ServiceView, secretHash: string, nowMs: number): Principal {
  return {
    kind: "service",
    id: `service:${service.name}`,
    roles: service.roles,
    service: service.name,
    serviceCredential: { id: service.id, secretHash },
    // Its Durable Object vouched for it on this very request: `maxAuthAgeSeconds` always holds.
    authenticatedAtMs: nowMs,
  };
}
