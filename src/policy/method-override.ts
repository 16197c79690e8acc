/**
 * Method overrides that origin frameworks honour: `_method` in a form body (Rails'
 * Rack::MethodOverride, Laravel, Symfony, Spring's HiddenHttpMethodFilter), in a JSON body
 * (Laravel's input(), Express method-override with a body getter behind express.json()) or in
 * the query (Laravel, Spring). `POST /api/reports/7` with `_method=DELETE` runs the DELETE action, so a
 * request is decided as the stricter of its own method and every override it carries (X-03);
 * the header forms (`X-HTTP-Method-Override`) never reach the origin (identity.ts).
 *
 * The body is read only when the answer could change: a POST whose content type a framework
 * parses (urlencoded, multipart, none as Rack reads it, JSON), to a path where some method gets
 * other access than POST. It is read from a copy, up to MAX_OVERRIDE_BODY_BYTES; what the
 * gateway cannot read as the origin would is refused rather than guessed: a larger body (413),
 * a compressed one (415: Express inflates `Content-Encoding: gzip` before parsing; browsers
 * never compress request bodies), or one that does not parse (400).
 */
import { mediaType, readBoundedBody } from "../http/body";
import { GatewayError } from "../http/responses";

/** A form body larger than this, on a path whose access depends on the method, is refused. */
export const MAX_OVERRIDE_BODY_BYTES = 1024 * 1024;

const PARAMETER = "_method";

/** The override methods a request carries, upper-cased as frameworks read them (may be empty). */
export async function overrideMethods(request: Request, url: URL, mayMatter: () => boolean): Promise<string[]> {
  const fromQuery = url.searchParams.getAll(PARAMETER);
  const fromBody = bodyKind(request) !== null && mayMatter() ? await bodyOverrides(request) : [];
  return [...new Set([...fromQuery, ...fromBody].map((value) => value.trim().toUpperCase()))];
}

type BodyKind = "urlencoded" | "multipart" | "json";

/** How a framework would parse this POST's body for `_method`, or null when none would. */
function bodyKind(request: Request): BodyKind | null {
  if (request.method !== "POST" || !request.body) return null;
  const type = mediaType(request.headers.get("content-type"));
  if (type === "" || type === "application/x-www-form-urlencoded") return "urlencoded";
  if (type === "multipart/form-data") return "multipart";
  if (type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type)) return "json";
  return null;
}

async function bodyOverrides(request: Request): Promise<string[]> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity") {
    throw new GatewayError("unsupported_media_type", `${encoding}-encoded body on a path whose access depends on the method (a _method override cannot be ruled out)`);
  }
  const bytes = await readBounded(request.clone());
  switch (bodyKind(request)) {
    case "multipart":
      return multipartOverrides(bytes, request.headers.get("content-type")!);
    case "json":
      return jsonOverrides(bytes);
    default:
      return new URLSearchParams(new TextDecoder().decode(bytes)).getAll(PARAMETER);
  }
}

async function multipartOverrides(bytes: Uint8Array, contentType: string): Promise<string[]> {
  try {
    const form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
    return form.getAll(PARAMETER).filter((value): value is string => typeof value === "string");
  } catch {
    throw new GatewayError("bad_request", "malformed multipart body on a path whose access depends on the method");
  }
}

function jsonOverrides(bytes: Uint8Array): string[] {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new GatewayError("bad_request", "malformed JSON body on a path whose access depends on the method");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const override = (value as Record<string, unknown>)[PARAMETER];
  return typeof override === "string" ? [override] : [];
}

async function readBounded(copy: Request): Promise<Uint8Array> {
  const bytes = await readBoundedBody(copy, MAX_OVERRIDE_BODY_BYTES);
  if (!bytes) throw tooLarge();
  return bytes;
}

function tooLarge(): GatewayError {
  return new GatewayError("payload_too_large", `form body over ${MAX_OVERRIDE_BODY_BYTES} bytes on a path whose access depends on the method (a _method override cannot be ruled out)`);
}
