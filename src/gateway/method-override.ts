/**
 * Method overrides that origin frameworks honour: `_method` in a form body (Rails'
 * Rack::MethodOverride, Laravel, Symfony, Spring's HiddenHttpMethodFilter) or in the query
 * (Laravel, Spring). `POST /api/reports/7` with `_method=DELETE` runs the DELETE action, so a
 * request is decided as the stricter of its own method and every override it carries (X-03);
 * the header forms (`X-HTTP-Method-Override`) never reach the origin (identity.ts).
 *
 * The body is read only when the answer could change: a POST whose content type a framework
 * parses as a form (urlencoded, multipart, or none, as Rack does), to a path where some method
 * gets other access than POST. It is read from a copy, up to MAX_OVERRIDE_BODY_BYTES; a larger
 * one is refused (413), since what it overrides cannot be known.
 */
import { GatewayError } from "../errors";

/** A form body larger than this, on a path whose access depends on the method, is refused. */
export const MAX_OVERRIDE_BODY_BYTES = 1024 * 1024;

const PARAMETER = "_method";

/** The override methods a request carries, upper-cased as frameworks read them (may be empty). */
export async function overrideMethods(request: Request, url: URL, mayMatter: () => boolean): Promise<string[]> {
  const fromQuery = url.searchParams.getAll(PARAMETER);
  const fromBody = isFormPost(request) && mayMatter() ? await bodyOverrides(request) : [];
  return [...new Set([...fromQuery, ...fromBody].map((value) => value.trim().toUpperCase()))];
}

function isFormPost(request: Request): boolean {
  if (request.method !== "POST" || !request.body) return false;
  const type = mediaType(request.headers.get("content-type"));
  return type === "" || type === "application/x-www-form-urlencoded" || type === "multipart/form-data";
}

function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

async function bodyOverrides(request: Request): Promise<string[]> {
  const bytes = await readBounded(request.clone());
  const type = mediaType(request.headers.get("content-type"));
  if (type !== "multipart/form-data") return new URLSearchParams(new TextDecoder().decode(bytes)).getAll(PARAMETER);
  try {
    const form = await new Response(bytes, { headers: { "content-type": request.headers.get("content-type")! } }).formData();
    return form.getAll(PARAMETER).filter((value): value is string => typeof value === "string");
  } catch {
    throw new GatewayError("bad_request", "malformed multipart body on a path whose access depends on the method");
  }
}

async function readBounded(copy: Request): Promise<Uint8Array> {
  const declared = Number(copy.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_OVERRIDE_BODY_BYTES) throw tooLarge();
  const reader = copy.body!.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > MAX_OVERRIDE_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(): GatewayError {
  return new GatewayError("payload_too_large", `form body over ${MAX_OVERRIDE_BODY_BYTES} bytes on a path whose access depends on the method (a _method override cannot be ruled out)`);
}
