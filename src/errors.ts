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
  rate_limited: 429,
  internal_error: 500,
  bad_gateway: 502,
  unavailable: 503,
  gateway_timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** Logged, never sent to the client. */
  readonly reason: string;

  constructor(code: ErrorCode, reason: string) {
    super(`${code}: ${reason}`);
    this.name = "GatewayError";
    this.code = code;
    this.reason = reason;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

/** The one public response for an error code: a JSON body naming only the code. */
export function errorResponse(code: ErrorCode, headers: HeadersInit = {}): Response {
  const response = Response.json({ error: code }, { status: errorStatus[code], headers });
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("X-Content-Type-Options", "nosniff");
  return response;
}
