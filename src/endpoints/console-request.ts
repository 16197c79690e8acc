/**
 * What every request to the admin console carries (admin-console.ts, console-services.ts): the
 * acting admin's session — requireAdmin let only a live one with ADMIN_ROLE through — and, for
 * a post, a small urlencoded form.
 */
import type { Context } from "hono";
import { readUrlencodedForm } from "../http/body";
import { GatewayError } from "../http/responses";
import { liveSession } from "../credentials/credential";
import type { GatewayEnv } from "../pipeline/types";
import type { SessionView } from "../session/types";

/** The console's forms are a few fields; a larger one is not one of them. */
export const MAX_CONSOLE_FORM_BYTES = 4096;

/** The acting admin's session: every console log line names its user and id. */
export function consoleAdmin(c: Context<GatewayEnv>): SessionView {
  return liveSession(c.get("credential"))!;
}

/** A comma-separated field (`deployer, reader`) as its entries, trimmed; empty: none. */
export function listField(fields: URLSearchParams, name: string): string[] {
  return (fields.get(name) ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
}

/** The post's form fields: 415 when it is not urlencoded, 413 past `maxBytes`. */
export async function consoleForm(request: Request, maxBytes: number = MAX_CONSOLE_FORM_BYTES): Promise<URLSearchParams> {
  const form = await readUrlencodedForm(request, maxBytes);
  if (!form.ok && form.problem === "not-urlencoded") throw new GatewayError("unsupported_media_type", "the console's forms are urlencoded");
  if (!form.ok) throw new GatewayError("payload_too_large", `console form over ${maxBytes} bytes`);
  return form.fields;
}
