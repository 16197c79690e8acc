/**
 * The admin console's service credentials (ADMIN_ROLE; docs/service-credentials.md): the page at
 * /_gateway/admin/console/services and its forms, mounted by admin-console.ts behind its checks
 * (a live session with ADMIN_ROLE; a post refused when the browser says it is cross-site). The
 * same store and validation as the admin API; a new token is shown once, on the page that
 * answers the form; every action is logged with the acting admin's id and session.
 */
import { Hono, type Context } from "hono";
import { gatewayHeaders } from "../http/responses";
import { logEvent } from "../log";
import { SERVICES_CONSOLE_PATH } from "../pages/admin-pages";
import type { Brand } from "../pages/brand";
import { COPY_SCRIPT, COPY_SCRIPT_PATH, servicesPage, tokenPage } from "../pages/service-pages";
import type { GatewayEnv } from "../pipeline/types";
import { MAX_LIFETIME_SECONDS, parseNewService, parseRotation } from "../services/input";
import { createService, deleteService, listServices, rotateService, updateService } from "../services/store";
import { MAX_SERVICES, type ServiceView } from "../services/types";
import type { SessionKeys } from "../session/token";
import { found, serviceIdParam } from "./admin-services";
import { consoleAdmin, consoleForm, listField } from "./console-request";

/** A name and 64 roles of 100 characters fit. */
const MAX_FORM_BYTES = 8 * 1024;
const DAY_SECONDS = 86_400;

export interface ServiceConsoleOptions {
  readonly brand: Brand;
  /** SESSION_SECRET's keys, which sign the tokens; absent: imported from SESSION_SECRET (services/keys.ts). */
  readonly sessionKeys: SessionKeys;
}

export function serviceConsole(options: ServiceConsoleOptions): Hono<GatewayEnv> {
  const services = new Hono<GatewayEnv>();
  /** The page; after a form that could not be carried out (400, 409), what was wrong, and the creation form as it was posted. */
  const page = async (c: Context<GatewayEnv>, refused?: { problem: string; status: number; fields?: URLSearchParams }) => {
    const fields = refused?.fields;
    const draft = fields ? { name: fields.get("name") ?? "", roles: fields.get("roles") ?? "", expiresInDays: fields.get("expiresInDays") ?? "" } : undefined;
    return servicesPage(options.brand, { admin: consoleAdmin(c), services: await listServices(c.env), nowMs: Date.now(), ...(refused ? { problem: refused.problem } : {}), ...(draft ? { draft } : {}) }, refused?.status ?? 200);
  };
  const shown = (c: Context<GatewayEnv>, service: ServiceView, token: string, rotated: boolean) =>
    tokenPage(options.brand, { service, token, rotated, copyScriptUrl: new URL(COPY_SCRIPT_PATH, c.get("url")).href });

  services.get("/", (c) => page(c));

  services.get("/copy-token.js", function copyTokenScript() {
    return new Response(COPY_SCRIPT, { headers: gatewayHeaders({ "Content-Type": "text/javascript; charset=utf-8" }) });
  });

  services.post("/", async function createFromConsole(c) {
    const fields = await consoleForm(c.req.raw, MAX_FORM_BYTES);
    const days = fields.get("expiresInDays")?.trim() ?? "";
    if (days !== "" && !isWholeDays(days)) return page(c, { problem: `Expires after: a whole number of days from 1 to ${MAX_LIFETIME_SECONDS / DAY_SECONDS}, or empty for never.`, status: 400, fields });
    const parsed = parseNewService({ name: fields.get("name")?.trim() ?? "", roles: listField(fields, "roles"), ...(days === "" ? {} : { expiresInSeconds: Number(days) * DAY_SECONDS }) });
    if (!parsed.ok) return page(c, { problem: parsed.problem, status: 400, fields });
    const created = await createService(c.env, options.sessionKeys, parsed.value);
    if (!created.ok) {
      const problem = created.problem === "duplicate" ? `The name ${parsed.value.name} is taken.` : `There are ${MAX_SERVICES} service credentials, the most there may be: delete one first.`;
      return page(c, { problem, status: 409, fields });
    }
    const { service, token } = created;
    logEvent("admin.console_service_created", { ...actor(c), service: service.id, name: service.name, roles: service.roles, expiresAt: service.expiresAt });
    return shown(c, service, token, false);
  });

  services.post("/:id/rotate", async function rotateFromConsole(c) {
    const id = serviceIdParam(c.req.param("id"));
    const parsed = parseRotation({ graceSeconds: Number((await consoleForm(c.req.raw)).get("graceSeconds") ?? "") });
    if (!parsed.ok) return page(c, { problem: parsed.problem, status: 400 });
    const rotated = found(await rotateService(c.env, options.sessionKeys, id, parsed.value));
    logEvent("admin.console_service_rotated", { ...actor(c), service: id, name: rotated.service.name, graceSeconds: parsed.value, previousTokenValidUntil: rotated.service.previousTokenValidUntil });
    return shown(c, rotated.service, rotated.token, true);
  });

  for (const [action, enabled] of [["enable", true], ["disable", false]] as const) {
    services.post(`/:id/${action}`, async function setEnabledFromConsole(c) {
      const id = serviceIdParam(c.req.param("id"));
      const service = found(await updateService(c.env, id, { enabled }));
      logEvent("admin.console_service_updated", { ...actor(c), service: id, name: service.name, enabled });
      return backToPage();
    });
  }

  services.post("/:id/delete", async function deleteFromConsole(c) {
    const id = serviceIdParam(c.req.param("id"));
    const service = found(await deleteService(c.env, id));
    logEvent("admin.console_service_deleted", { ...actor(c), service: id, name: service.name });
    return backToPage();
  });
  return services;
}

/** Who did it, as every console log line says. */
function actor(c: Context<GatewayEnv>): { admin: string; session: string } {
  const admin = consoleAdmin(c);
  return { admin: admin.user.sub, session: admin.id };
}

function isWholeDays(days: string): boolean {
  return /^\d{1,4}$/.test(days) && Number(days) >= 1 && Number(days) * DAY_SECONDS <= MAX_LIFETIME_SECONDS;
}

function backToPage(): Response {
  return new Response(null, { status: 303, headers: gatewayHeaders({ Location: SERVICES_CONSOLE_PATH }) });
}
