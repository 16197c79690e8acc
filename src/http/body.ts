/** Reading a request body with a bound: a larger one is never held in memory. */

/**
 * The body's bytes, or null past `maxBytes` (reading stops there; a declared length over it is
 * refused unread). A request's, or a response's from a server the gateway calls.
 */
export async function readBoundedBody(message: Pick<Request, "headers" | "body">, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(message.headers.get("content-length") ?? 0);
  if (declared > maxBytes) return null;
  if (!message.body) return new Uint8Array(0);
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      return null;
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

/** A Content-Type's media type, lower-cased and without parameters; "" when there is none. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

export type JsonBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/**
 * An `application/json` body of at most `maxBytes`, parsed; or the problem, worded for the
 * caller (`body: not valid UTF-8 JSON`). Never throws for what the client sent.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) return { ok: false, problem: "body: Content-Type must be application/json" };
  const bytes = await readBoundedBody(request, maxBytes);
  if (!bytes) return { ok: false, problem: `body: larger than ${maxBytes} bytes` };
  try {
    return { ok: true, value: JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as unknown };
  } catch {
    return { ok: false, problem: "body: not valid UTF-8 JSON" };
  }
}

export type UrlencodedForm = { readonly ok: true; readonly fields: URLSearchParams } | { readonly ok: false; readonly problem: "not-urlencoded" | "too-large" };

/** An `application/x-www-form-urlencoded` body of at most `maxBytes`, read once; or why not. */
export async function readUrlencodedForm(request: Request, maxBytes: number): Promise<UrlencodedForm> {
  if (mediaType(request.headers.get("content-type")) !== "application/x-www-form-urlencoded") return { ok: false, problem: "not-urlencoded" };
  const body = await readBoundedBody(request, maxBytes);
  if (body === null) return { ok: false, problem: "too-large" };
  return { ok: true, fields: new URLSearchParams(new TextDecoder().decode(body)) };
}
