/**
 * Every refusal the gateway makes on purpose is a GatewayError with a code; each code has one
 * generic public answer. The reason that matters to an operator goes to the log, never into
 * the body (OWASP ASVS 5.0 §16.5.1: no internals in error responses).
 */
export const errorStatus = {
  bad_request: 400,
  unauthenticated: 401,
  reauthentication_required: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  bad_gateway: 502,
  unavailable: 503,
  gateway_timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface PageText {
  readonly title: string;
  readonly text: string;
}

/** What a refusal needs beyond its code, when the generic answer and log line are not enough. */
export interface GatewayErrorOptions {
  /** What a browser's page says instead of the code's generic text. */
  readonly page?: PageText;
  /** Headers the answer carries either way: a cleared cookie, a Retry-After. */
  readonly headers?: HeadersInit;
  /** The log line's event, instead of `request.refused` (4xx) or `request.failed` (5xx). */
  readonly event?: string;
  /** More fields for that log line (never for the client). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The JSON body's `error` where a protocol names it (back-channel logout: invalid_request). */
  readonly publicError?: string;
  /** The level of that event's line when the status is under 500: `warn` unless said (`info`: a routine refusal). */
  readonly level?: "info" | "warn";
  /**
   * The admin API's refusals only (its caller is an operator): what was wrong with the request,
   * worded for them, in the JSON body beside `error` (`"name: must match …"`). Never internals.
   */
  readonly problem?: string;
}

/**
 * The one error type for a refusal or an infrastructure failure the gateway answers on
 * purpose; app.ts's onError writes its log line and its answer. Anything else thrown is a bug.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** Logged, never sent to the client. */
  readonly reason: string;
  readonly options: GatewayErrorOptions;

  constructor(code: ErrorCode, reason: string, options: GatewayErrorOptions = {}) {
    super(`${code}: ${reason}`);
    this.name = "GatewayError";
    this.code = code;
    this.reason = reason;
    this.options = options;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

/** Headers on every response the gateway writes itself (not on proxied ones). */
export function gatewayHeaders(init: HeadersInit = {}): Headers {
  const headers = new Headers(init);
  headers.set("Cache-Control", "no-store");
  headers.set("X-Content-Type-Options", "nosniff");
  return headers;
}

/** A gateway-owned JSON answer: never cached, never sniffed. */
export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers: gatewayHeaders(headers) });
}

/** The one public response for an error code: a JSON body naming only the code (and, from the admin API, the problem). */
export function errorResponse(code: ErrorCode, headers: HeadersInit = {}, publicError: string = code, problem?: string): Response {
  return jsonResponse({ error: publicError, ...(problem === undefined ? {} : { problem }) }, errorStatus[code], headers);
}

/**
 * A browser navigation, which gets redirects and pages rather than JSON: a GET or HEAD the
 * browser marks as one (`Sec-Fetch-Mode: navigate`), or that asks for HTML. A form POST is a
 * navigation too, but its answers are chosen where forms are handled.
 */
export function wantsHtmlNavigation(request: Request): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  if (request.headers.get("sec-fetch-mode") === "navigate") return true;
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/html");
}

/** A request that asks for HTML, whatever its method (a login form's POST, too). */
export function acceptsHtml(request: Request): boolean {
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/html");
}
