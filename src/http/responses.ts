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

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** Logged, never sent to the client. */
  readonly reason: string;
  /** What a browser's page says, when the code's generic text is not enough. */
  readonly page: PageText | undefined;

  constructor(code: ErrorCode, reason: string, page?: PageText) {
    super(`${code}: ${reason}`);
    this.name = "GatewayError";
    this.code = code;
    this.reason = reason;
    this.page = page;
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
export function errorResponse(code: ErrorCode, headers: HeadersInit = {}): Response {
  return jsonResponse({ error: code }, errorStatus[code], headers);
}

const PAGE_TEXT: Partial<Record<ErrorCode, { title: string; text: string }>> = {
  forbidden: { title: "Access denied", text: "Your account does not have access to this page." },
};

// A strict CSP for the gateway's own pages: no scripts, no external resources, no framing.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The same refusal as a small HTML page, for a browser navigation. `page` may name the user's
 * account (a refused login), so its text is escaped; nothing else from the request is shown.
 */
export function errorPage(code: ErrorCode, page?: PageText, extraHeaders: HeadersInit = {}): Response {
  const fixed = page ?? PAGE_TEXT[code] ?? { title: `Error ${errorStatus[code]}`, text: "The request could not be completed." };
  const title = escapeHtml(fixed.title);
  const text = escapeHtml(fixed.text);
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
  return acceptsHtml(request);
}

/** A request that asks for HTML, whatever its method (a login form's POST, too). */
export function acceptsHtml(request: Request): boolean {
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/html");
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/** The answer to an error: a page for a browser navigation, JSON otherwise; the same status. */
export function errorAnswer(request: Request, code: ErrorCode, headers: HeadersInit = {}, page?: PageText): Response {
  return wantsHtmlNavigation(request) ? errorPage(code, page, headers) : errorResponse(code, headers);
}
