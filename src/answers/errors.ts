/**
 * Every error ends here (app.ts's onError). A GatewayError was thrown on purpose: its log line
 * (its own event, or request.refused / request.failed) and its answer, a page for a browser
 * navigation and JSON otherwise. Anything else is a bug: logged with its stack, answered 500,
 * never proxied.
 */
import type { ErrorHandler } from "hono";
import { GatewayError } from "../http/responses";
import { logError, logEvent, logWarning } from "../log";
import type { Brand } from "../pages/brand";
import { errorAnswer } from "../pages/error-pages";
import type { GatewayEnv } from "../pipeline/types";

export function errorHandler(brand: Brand): ErrorHandler<GatewayEnv> {
  return function handleError(error, c) {
    if (error instanceof GatewayError) {
      const { event, level, fields: extra } = error.options;
      const fields = { code: error.code, reason: error.reason, path: c.get("canonicalPath") ?? null, ...extra };
      if (error.status >= 500) logError(event ?? "request.failed", fields);
      else if (event && level !== "info") logWarning(event, fields);
      else logEvent(event ?? "request.refused", fields);
      return errorAnswer(brand, c.req.raw, error.code, error.options);
    }
    logError("request.error", { error: String(error), stack: error.stack ?? null });
    return errorAnswer(brand, c.req.raw, "internal_error");
  };
}
