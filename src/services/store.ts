/**
 * The Worker's client of the service credentials (docs/service-credentials.md): each call into
 * their Durable Objects is classified by session/durable-call.ts — a timeout or a platform
 * failure is 503 (fail closed), anything else a bug. A token is checked at the edge first: a
 * malformed or forged one never wakes a Durable Object.
 */
import type { Env } from "../env";
import { logError, logWarning } from "../log";
import { durableCall } from "../session/durable-call";
import { hashSecret, type SessionKeys } from "../session/token";
import { directoryStub, serviceStub } from "./stubs";
import { checkServiceToken, mintServiceToken } from "./token";
import type { ServiceAuthentication, ServiceChanges, ServiceRefusal, ServiceView } from "./types";

const call = <T>(what: string, run: () => Promise<T>): Promise<T> => durableCall(`service store ${what}`, run);

/**
 * A directory entry whose credential has no record this long after its reservation is left
 * from a creation that never finished (its Worker went away between the two calls): a listing
 * frees its name. A creation in progress is younger.
 */
const ABANDONED_RESERVATION_MS = 60_000;

export interface NewService {
  readonly name: string;
  readonly roles: readonly string[];
  /** Lifetime from now; null: never expires. */
  readonly expiresInSeconds: number | null;
}

/** A created credential and its token, which is never shown again; or why the name was refused. */
export type CreatedService = { readonly ok: true; readonly service: ServiceView; readonly token: string } | { readonly ok: false; readonly problem: "duplicate" | "full" };

export type ServiceAuthenticationResult =
  | { readonly ok: true; readonly service: ServiceView; /** Hex SHA-256 of the token's secret: what watchService ties a connection to. */ readonly secretHash: string }
  | { readonly ok: false; readonly reason: "malformed" | "forged" | ServiceRefusal };

/** Reserves the name (unique, at most MAX_SERVICES), then creates the credential's object. */
export async function createService(env: Env, keys: SessionKeys, input: NewService, nowMs: number = Date.now()): Promise<CreatedService> {
  const { id, secret, token } = await mintServiceToken(keys);
  const secretHash = await hashSecret(secret);
  const reservation = await call("reserve", () => directoryStub(env).reserve(input.name, id, nowMs));
  if (reservation !== "reserved") return { ok: false, problem: reservation };
  const expiresAt = input.expiresInSeconds === null ? null : nowMs + input.expiresInSeconds * 1000;
  try {
    const service = await call("create", () => serviceStub(env, id).create({ id, name: input.name, roles: input.roles, secretHash, expiresAt }, nowMs));
    return { ok: true, service, token };
  } catch (error) {
    // The name is freed; should the object exist after all, its secret was given to nobody.
    await call("release", () => directoryStub(env).remove(id)).catch((releaseError: unknown) => logError("service.release_failed", { service: id, error: String(releaseError) }));
    throw error;
  }
}

/** Every credential, by name: the directory's ids, each object's view read in parallel. */
export async function listServices(env: Env, nowMs: number = Date.now()): Promise<ServiceView[]> {
  const entries = await call("list", () => directoryStub(env).list());
  const views = await Promise.all(entries.map((entry) => readService(env, entry.id)));
  const abandoned = entries.filter((entry, index) => views[index] === null && nowMs - entry.reservedAt > ABANDONED_RESERVATION_MS);
  if (abandoned.length > 0) {
    logWarning("service.reservation_abandoned", { services: abandoned.map((entry) => entry.id), names: abandoned.map((entry) => entry.name) });
    // The listing is answered either way; a name not freed now is freed by the next one.
    const released = await Promise.allSettled(abandoned.map((entry) => call("release", () => directoryStub(env).remove(entry.id))));
    released.forEach((result, index) => {
      if (result.status === "rejected") logError("service.release_failed", { service: abandoned[index]!.id, error: String(result.reason) });
    });
  }
  return views.filter((view): view is ServiceView => view !== null);
}

export function readService(env: Env, id: string): Promise<ServiceView | null> {
  return call("read", () => serviceStub(env, id).read());
}

/** Effective from the next request on; the connections it ends are closed before it answers. null: no such credential. */
export function updateService(env: Env, id: string, changes: ServiceChanges): Promise<ServiceView | null> {
  return call("update", () => serviceStub(env, id).update(changes));
}

/**
 * A new token; the old one is accepted for `graceSeconds` more (0: refused from the next request
 * on, its connections closed before this answers). null: no such credential.
 */
export async function rotateService(env: Env, keys: SessionKeys, id: string, graceSeconds: number, nowMs: number = Date.now()): Promise<{ readonly service: ServiceView; readonly token: string } | null> {
  // The id stays: only the secret, and so the MAC, change.
  const { secret, token } = await mintServiceToken(keys, id);
  const secretHash = await hashSecret(secret);
  const service = await call("rotate", () => serviceStub(env, id).rotate(secretHash, graceSeconds, nowMs));
  return service ? { service, token } : null;
}

/**
 * The object first, then the directory: the token is refused from the moment the object has
 * answered, even if the directory cannot be told (a listing then frees the name). Answers what
 * was deleted; null: no such credential.
 */
export async function deleteService(env: Env, id: string): Promise<ServiceView | null> {
  const deleted = await call("delete", () => serviceStub(env, id).delete());
  await call("release", () => directoryStub(env).remove(id));
  return deleted;
}

/**
 * Whether a bearer token is a usable service credential at `nowMs`. Its signature is checked
 * first: a malformed or forged token never wakes a Durable Object. Then the credential's own
 * object says whether it is enabled, unexpired and the token not rotated out.
 */
export async function authenticateService(env: Env, keys: SessionKeys, token: string, nowMs: number): Promise<ServiceAuthenticationResult> {
  const checked = await checkServiceToken(keys, token);
  if (!checked.ok) return checked;
  const secretHash = await hashSecret(checked.secret);
  const result = await call("authenticate", async () => (await serviceStub(env, checked.id).authenticate(secretHash, nowMs)) as ServiceAuthentication);
  return result.ok ? { ok: true, service: result.view, secretHash } : result;
}
