/**
 * Every refusal the gateway makes on purpose is a GatewayError with a code; each code has one
 * generic public answer. The reason that matters to an operator goes to the log, never into
 * the body (OWASP ASVS 5.0 §16.5.1: no internals in error responses).
 */
export const errorStatus = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
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

/** The one public response for an error code: a JSON body naming only the code. */
export function errorResponse(code: ErrorCode, headers: HeadersInit = {}, publicError: string = code): Response {
  return jsonResponse({ error: publicError }, errorStatus[code], headers);
}

const PAGE_TEXT: Partial<Record<ErrorCode, { title: string; text: string }>> = {
  forbidden: { title: "Access denied", text: "Your account does not have access to this page." },
};

// A strict CSP for the gateway's own pages: no scripts, no external resources, no framing.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The same refusal as a small HTML page, for a browser navigation. The page holds only fixed
 * text (nothing from the request), so there is nothing to escape; `page` is fixed text too.
 */
export function errorPage(code: ErrorCode, page?: PageText, extraHeaders: HeadersInit = {}): Response {
  const { title, text } = page ?? PAGE_TEXT[code] ?? { title: `Error ${errorStatus[code]}`, text: "The request could not be completed." };
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}a{color:#1d4ed8}</style></head>
<body><h1>${title}</h1><p>${text}</p><p><a href="/">Home</a> · <a href="/_gateway/login">Sign in as someone else</a></p></body></html>`;
  const headers = gatewayHeaders(extraHeaders);
  headers.set("Content-Type", "text/html; charset=utf-8");
  headers.set("Content-Security-Policy", PAGE_CSP);
  return new Response(html, { status: errorStatus[code], headers });
}

/** A GET/HEAD that asks for HTML: a browser navigation, which gets redirects and pages. */
export function wantsHtmlNavigation(request: Request): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/html");
}

/** The answer to an error: a page for a browser navigation, JSON otherwise; the same status. */
export function errorAnswer(request: Request, code: ErrorCode, headers: HeadersInit = {}, page?: PageText): Response {
  return wantsHtmlNavigation(request) ? errorPage(code, page, headers) : errorResponse(code, headers);
}

/** The answer to a GatewayError, as errorAnswer with the error's own page, headers and name. */
export function gatewayErrorAnswer(request: Request, error: GatewayError): Response {
  const { page, headers = {}, publicError } = error.options;
  return wantsHtmlNavigation(request) ? errorPage(error.code, page, headers) : errorResponse(error.code, headers, publicError);
}
