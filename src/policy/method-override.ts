/**
 * Method overrides that origin frameworks honour: `_method` in a form body (Rails'
 * Rack::MethodOverride, Laravel, Symfony, Spring's HiddenHttpMethodFilter), in a JSON body
 * (Laravel's input, Express method-override with a body getter behind express.json()) or in
 * the query (Laravel, Symfony, Spring). `POST /api/reports/7` with `_method=DELETE` runs the
 * DELETE action, so a request is decided as the stricter of its own method and every override
 * it carries (X-03); the header forms (`X-HTTP-Method-Override`) never reach the origin
 * (identity/forwarding.ts). Every spelling some framework reads as `_method` counts, under every
 * Content-Type some framework parses (override-spellings.ts, R2).
 *
 * The body is read only when the answer could change: a POST whose Content-Type some framework
 * parses, to a path where some method gets other access than POST. It is read from a copy, up
 * to MAX_OVERRIDE_BODY_BYTES; what the gateway cannot read as the origin would is refused
 * rather than guessed: a larger body (413), a compressed one (415: Express inflates
 * `Content-Encoding: gzip` before parsing; browsers never compress request bodies), one that
 * does not parse as what its type says (400), or a multipart body whose boundary PHP and Rack
 * would read differently or whose part heads hold more names than one could tell apart (400).
 */
import { readBoundedBody } from "../http/body";
import { GatewayError } from "../http/responses";
import { MAX_NAMES_PER_PART, multipartFieldsAnyFrameworkSees } from "./multipart-names";
import { agreedBoundary, bodyParsers, formEssence, overrideValue, readsAsOverrideName, type BodyParser } from "./override-spellings";

/** A form body larger than this, on a path whose access depends on the method, is refused. */
export const MAX_OVERRIDE_BODY_BYTES = 1024 * 1024;

/** The override methods a request carries, upper-cased as frameworks read them (may be empty). */
export async function overrideMethods(request: Request, url: URL, mayMatter: () => boolean): Promise<string[]> {
  const fromQuery = overridesIn(url.searchParams);
  const parsers = request.method === "POST" && request.body ? bodyParsers(request.headers.get("content-type")) : [];
  const fromBody = parsers.length > 0 && mayMatter() ? await bodyOverrides(request, parsers) : [];
  return [...new Set([...fromQuery, ...fromBody].map(overrideValue))];
}

/** The values of every field some framework reads as `_method`. */
function overridesIn(fields: Iterable<[string, unknown]>): string[] {
  const values: string[] = [];
  for (const [name, value] of fields) if (typeof value === "string" && readsAsOverrideName(name)) values.push(value);
  return values;
}

async function bodyOverrides(request: Request, parsers: readonly BodyParser[]): Promise<string[]> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity") {
    throw new GatewayError("unsupported_media_type", `${encoding}-encoded body on a path whose access depends on the method (a _method override cannot be ruled out)`);
  }
  const bytes = await readBounded(request.clone());
  // Nothing in an empty body: Rack, PHP and Laravel's JSON input all read it as no fields.
  if (bytes.byteLength === 0) return [];
  const contentType = request.headers.get("content-type") ?? "";
  const overrides: string[] = [];
  for (const parser of parsers) {
    if (parser === "urlencoded") overrides.push(...overridesIn(new URLSearchParams(new TextDecoder().decode(bytes))));
    else if (parser === "multipart") overrides.push(...(await multipartOverrides(bytes, contentType)));
    else overrides.push(...jsonOverrides(bytes));
  }
  return overrides;
}

async function multipartOverrides(bytes: Uint8Array, contentType: string): Promise<string[]> {
  const boundary = agreedBoundary(contentType);
  if (boundary === null) {
    throw new GatewayError("bad_request", "multipart body whose boundary origin frameworks could read differently, on a path whose access depends on the method");
  }
  const scanned = multipartFieldsAnyFrameworkSees(new TextDecoder().decode(bytes), boundary);
  if (scanned === null) {
    throw new GatewayError("bad_request", `multipart part with over ${MAX_NAMES_PER_PART} names on a path whose access depends on the method`);
  }
  const fields: [string, unknown][] = scanned;
  // The platform's parser as well, for form-data: a body it cannot parse is refused rather than
  // read one way. (Parts of mixed and related need no Content-Disposition; the scan reads them.)
  if (formEssence(contentType) === "multipart/form-data") fields.push(...(await formDataFields(bytes, boundary)));
  return overridesIn(fields);
}

async function formDataFields(bytes: Uint8Array, boundary: string): Promise<[string, unknown][]> {
  try {
    const form = await new Response(bytes, { headers: { "content-type": `multipart/form-data; boundary="${boundary}"` } }).formData();
    return [...form];
  } catch {
    throw new GatewayError("bad_request", "malformed multipart body on a path whose access depends on the method");
  }
}

/** A JSON object's top-level `_method` (Laravel's input; Express's body getter), by any spelling. */
function jsonOverrides(bytes: Uint8Array): string[] {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new GatewayError("bad_request", "malformed JSON body on a path whose access depends on the method");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return overridesIn(Object.entries(value));
}

async function readBounded(copy: Request): Promise<Uint8Array> {
  const bytes = await readBoundedBody(copy, MAX_OVERRIDE_BODY_BYTES);
  if (!bytes) throw tooLarge();
  return bytes;
}

function tooLarge(): GatewayError {
  return new GatewayError("payload_too_large", `body over ${MAX_OVERRIDE_BODY_BYTES} bytes on a path whose access depends on the method (a _method override cannot be ruled out)`);
}
