/**
 * Small helpers shared by the black-box files: the session cookie and token, Set-Cookie
 * parsing, what the origin saw, and bounded concurrency. Everything here runs in Node.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { E2E_ADMIN_TOKEN, type EchoRecord, type GatewayProcess, type OriginRecords, type RawResponse } from "./harness";

export const COOKIE_NAME = "__Host-session";

/** `<publicId>.<secret>.<mac>`, base64url without padding: 16, 16 and 32 bytes. */
export const TOKEN_SHAPE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export const sessionCookie = (token: string): string => `${COOKIE_NAME}=${token}`;

export interface TokenParts {
  publicId: string;
  secret: string;
  mac: string;
}

export function tokenParts(token: string): TokenParts {
  const match = TOKEN_SHAPE.exec(token);
  if (!match) throw new Error(`not a session token: ${token}`);
  return { publicId: match[1]!, secret: match[2]!, mac: match[3]! };
}

/** The strings that must never leave the cookie: the token, its secret and its MAC. */
export function secretsOf(token: string): string[] {
  const { secret, mac } = tokenParts(token);
  return [token, secret, mac, createHash("sha256").update(secret).digest("hex")];
}

/** A token signed the way the gateway signs (src/session/token.ts), with any key. */
export function signToken(key: string, publicId = randomBytes(16).toString("base64url"), secret = randomBytes(16).toString("base64url")): string {
  const mac = createHmac("sha256", key).update(`v1:${publicId}.${secret}`).digest("base64url");
  return `${publicId}.${secret}.${mac}`;
}

// ---- Set-Cookie ----------------------------------------------------------------------------

export interface ParsedSetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; a flag attribute has the value "". */
  attributes: Map<string, string>;
}

export function parseSetCookie(line: string): ParsedSetCookie {
  const [pair = "", ...rest] = line.split(";");
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const at = part.indexOf("=");
    const name = (at === -1 ? part : part.slice(0, at)).trim().toLowerCase();
    attributes.set(name, at === -1 ? "" : part.slice(at + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

export function setCookieLines(response: RawResponse): string[] {
  return response.headers["set-cookie"] ?? [];
}

/** The response's Set-Cookie lines for the session cookie, parsed. */
export function sessionSetCookies(response: RawResponse): ParsedSetCookie[] {
  return setCookieLines(response)
    .map(parseSetCookie)
    .filter((cookie) => cookie.name === COOKIE_NAME);
}

/** The exact deletion the gateway sends (checklist T-02). */
export const DELETION_COOKIE = `${COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`;

// ---- what each side saw ----------------------------------------------------------------------

/** Everything the client received except Set-Cookie: status line data, headers, body. */
export function clientViewWithoutSetCookie(response: RawResponse): string {
  const { "set-cookie": _setCookie, ...headers } = response.headers;
  return `${JSON.stringify(headers)}\n${response.body}`;
}

/** Everything the origin received: request target, raw header lines, body. */
export function originView(record: EchoRecord): string {
  return `${record.method} ${record.rawPath}\n${record.rawHeaders.join("\n")}\n${record.body}`;
}

/** An identity header as the gateway defines it: `x-auth-*` or `x-gateway-*`, `_` read as `-`. */
export function isIdentityHeaderName(name: string): boolean {
  const normalized = name.toLowerCase().replaceAll("_", "-");
  return normalized.startsWith("x-auth-") || normalized.startsWith("x-gateway-");
}

/** The header lines the origin received, as [lower-case name, value], in arrival order. */
export function headerLines(record: EchoRecord): [string, string][] {
  const lines: [string, string][] = [];
  for (let i = 0; i + 1 < record.rawHeaders.length; i += 2) lines.push([record.rawHeaders[i]!.toLowerCase(), record.rawHeaders[i + 1]!]);
  return lines;
}

/** The identity header lines the origin received, sorted by name. */
export function identityLines(record: EchoRecord): [string, string][] {
  return headerLines(record)
    .filter(([name]) => isIdentityHeaderName(name))
    .sort(([a], [b]) => a.localeCompare(b));
}

/** The request target the origin saw, without its query. */
export function pathOf(record: EchoRecord): string {
  const query = record.rawPath.indexOf("?");
  return query === -1 ? record.rawPath : record.rawPath.slice(0, query);
}

/**
 * Runs `send` and returns the response with the origin requests it caused (none when the
 * gateway answered by itself). Files run one at a time and requests in one file are
 * sequential, so nothing else lands in between, on a shared gateway too.
 */
export async function observe(origin: OriginRecords, send: () => Promise<RawResponse>): Promise<{ response: RawResponse; forwarded: EchoRecord[] }> {
  const before = await origin.mark();
  const response = await send();
  return { response, forwarded: await origin.since(before) };
}

// ---- the admin API and the gateway's own state ------------------------------------------------

export const adminAuth = { authorization: `Bearer ${E2E_ADMIN_TOKEN}` };

/** Files of one Durable Object class's storage under wrangler dev's --persist-to directory. */
export function durableObjectFiles(gateway: Pick<GatewayProcess, "stateDir">, className: string): string[] {
  const root = join(gateway.stateDir, "v3", "do");
  const dirs = readdirSync(root).filter((name) => name.endsWith(`-${className}`));
  return dirs.flatMap((dir) => readdirSync(join(root, dir)).filter((file) => file.endsWith(".sqlite") && file !== "metadata.sqlite"));
}

// ---- concurrency --------------------------------------------------------------------------

/** `work` over `items`, at most `limit` at a time; results in input order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---- configuration ------------------------------------------------------------------------

/** The routes most files use: the checklist's own example plus the delegated login page. */
export const ROUTES = [
  { path: "/public/*", access: "public" },
  { path: "/login", access: "public" },
  { path: "/admin{/*}?", access: { roles: ["admin"] } },
];

// ---- the gateway's log ------------------------------------------------------------------------

/**
 * The gateway's output once it contains `expected`. Log lines reach wrangler's stdout a little
 * after the response, so a test that reads the log waits for a line it knows must come.
 */
export async function outputContaining(gateway: { readonly output: readonly string[] }, expected: string | RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const output = gateway.output.join("");
    if (typeof expected === "string" ? output.includes(expected) : expected.test(output)) return output;
    if (Date.now() > deadline) throw new Error(`the gateway did not log ${String(expected)} within ${timeoutMs} ms:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
