/**
 * The admin API's service credentials (DESIGN §1.1; docs/endpoints.md "Service credentials"),
 * mounted by admin.ts at /_gateway/admin/services, behind its bearer check (ADMIN_TOKEN):
 *
 *   POST   /services             {name, roles?, expiresInSeconds?} → 201 {id, name, roles, createdAt, expiresAt, token}
 *   GET    /services             → {services: [...]}
 *   GET    /services/:id         → the credential
 *   PATCH  /services/:id         {enabled?, roles?} → 200 the credential
 *   POST   /services/:id/rotate  {graceSeconds} → 200 {token, previousTokenValidUntil}
 *   DELETE /services/:id         → 204
 *
 * A bad body is 400 and a taken name (or a full directory) 409, each naming its problem; an
 * unknown or malformed id is 404. A token appears only in the answer that minted it, never in a
 * listing or a log line; every change is logged (`admin.service_*`).
 */
import { Hono, type Context } from "hono";
import { readJsonBody, type JsonBody } from "../http/body";
import { GatewayError, gatewayHeaders, jsonResponse } from "../http/responses";
import { logEvent } from "../log";
import { parseNewService, parseRotation, parseServiceChanges, type Parsed } from "../services/input";
import { createService, deleteService, listServices, readService, rotateService, updateService } from "../services/store";
import { isServiceId } from "../services/token";
import { MAX_SERVICES } from "../services/types";
import type { SessionKeys } from "../session/token";
import type { GatewayEnv } from "../pipeline/types";

/** The largest body: a name and 64 roles of 100 characters fit several times over. */
const MAX_BODY_BYTES = 16 * 1024;

export interface AdminServicesOptions {
  /**
   * SESSION_SECRET's keys, which sign the tokens (services/token.ts). Absent: imported from
   * SESSION_SECRET on first use (services/keys.ts), the same keys.
   */
  readonly sessionKeys: SessionKeys;
}

export function adminServices(options: AdminServicesOptions): Hono<GatewayEnv> {
  const services = new Hono<GatewayEnv>();

  services.post("/", async function createServiceCredential(c) {
    const input = parsedBody(await readJsonBody(c.req.raw, MAX_BODY_BYTES), parseNewService);
    const created = await createService(c.env, options.sessionKeys, input);
    if (!created.ok) throw conflict(created.problem === "duplicate" ? `name: ${input.name} is taken` : `there are ${MAX_SERVICES} service credentials, the most there may be: delete one first`);
    const { service, token } = created;
    logEvent("admin.service_created", { service: service.id, name: service.name, roles: service.roles, expiresAt: service.expiresAt });
    return jsonResponse({ id: service.id, name: service.name, roles: service.roles, createdAt: service.createdAt, expiresAt: service.expiresAt, token }, 201);
  });

  services.get("/", async function listServiceCredentials(c) {
    return jsonResponse({ services: await listServices(c.env) });
  });

  services.get("/:id", async function getServiceCredential(c) {
    return jsonResponse(found(await readService(c.env, serviceIdParam(c.req.param("id")))));
  });

  services.patch("/:id", async function patchServiceCredential(c) {
    const id = serviceIdParam(c.req.param("id"));
    const changes = parsedBody(await readJsonBody(c.req.raw, MAX_BODY_BYTES), parseServiceChanges);
    const service = found(await updateService(c.env, id, changes));
    logEvent("admin.service_updated", { service: id, name: service.name, changed: Object.keys(changes), enabled: service.enabled, roles: service.roles });
    return jsonResponse(service);
  });

  services.post("/:id/rotate", async function rotateServiceCredential(c) {
    const id = serviceIdParam(c.req.param("id"));
    const graceSeconds = parsedBody(await readJsonBody(c.req.raw, MAX_BODY_BYTES), parseRotation);
    const { service, token } = found(await rotateService(c.env, options.sessionKeys, id, graceSeconds));
    logEvent("admin.service_rotated", { service: id, name: service.name, graceSeconds, previousTokenValidUntil: service.previousTokenValidUntil });
    return jsonResponse({ token, previousTokenValidUntil: service.previousTokenValidUntil });
  });

  services.delete("/:id", async function deleteServiceCredential(c) {
    const id = serviceIdParam(c.req.param("id"));
    const service = found(await deleteService(c.env, id));
    logEvent("admin.service_deleted", { service: id, name: service.name });
    return new Response(null, { status: 204, headers: gatewayHeaders() });
  });
  return services;
}

/** An id that cannot be a credential's is as unknown as one that is no more: 404. */
export function serviceIdParam(id: string): string {
  if (!isServiceId(id)) throw new GatewayError("not_found", "malformed service credential id");
  return id;
}

/** What the store found; null (no such credential): 404. */
export function found<T>(value: T | null): T {
  if (value === null) throw new GatewayError("not_found", "no such service credential");
  return value;
}

function parsedBody<T>(body: JsonBody, parse: (value: unknown) => Parsed<T>): T {
  const result = body.ok ? parse(body.value) : body;
  if (!result.ok) throw new GatewayError("bad_request", result.problem, { problem: result.problem, event: "admin.service_refused" });
  return result.value;
}

function conflict(problem: string): GatewayError {
  return new GatewayError("conflict", problem, { problem, event: "admin.service_refused" });
}
