/**
 * ServiceCredential: one Durable Object per service credential, named by its id. It alone says
 * whether the credential is alive — enabled, unexpired, and the token's secret the current one
 * (or the previous one within its rotation's grace) — so a disable, a delete or a rotation holds
 * from the very next request on, as a session's revoke does (docs/service-credentials.md).
 *
 * Live connections (docs/live-connections.md): a connection opened with the credential is held
 * under a watch, a hibernatable WebSocket to this object. Whatever ends the credential for a
 * connection — a disable, a delete, a rotation that drops the secret it was opened with, the
 * expiry or the end of a grace period — closes its watch before the call that ended it answers
 * (the alarm, for the times); a change of the roles closes every watch with `identity changed`.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { logEvent } from "../log";
import { timingSafeEqualDigests } from "../http/timing-safe";
import { WATCH_ACTIVITY, WATCH_ENDED, WATCH_IDENTITY_CHANGED, WATCH_LIMIT_HEADER, WATCH_STATUS } from "../session/types";
import { SERVICE_USE_WRITE_MS, SERVICE_WATCH_PARAMS, toServiceView, type CreateServiceInput, type ServiceAuthentication, type ServiceChanges, type ServiceRecord, type ServiceView } from "../services/types";
import { closeWatch, WatchRelease } from "./watch-release";
import { sameRoles } from "./watch-terms";

const RECORD_KEY = "service";

/** What a watch socket carries through hibernation: the secret its connection was opened with (null: any). */
interface WatchAttachment {
  readonly secretHash: string | null;
}

export class ServiceCredential extends DurableObject<Env> {
  #record: ServiceRecord | null = null;
  /** `lastUsedAt` as storage holds it; uses between writes only change memory. */
  #storedLastUsedAt: number | null = null;
  readonly #release = new WatchRelease();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#record = (await ctx.storage.get<ServiceRecord>(RECORD_KEY)) ?? null;
      this.#storedLastUsedAt = this.#record?.lastUsedAt ?? null;
    });
  }

  async create(input: CreateServiceInput, nowMs: number): Promise<ServiceView> {
    if (this.#record) throw new Error("service credential already exists");
    const record: ServiceRecord = {
      id: input.id,
      name: input.name,
      roles: input.roles,
      createdAt: nowMs,
      expiresAt: input.expiresAt,
      enabled: true,
      secretHash: input.secretHash,
      previousSecretHash: null,
      previousTokenValidUntil: null,
      lastUsedAt: null,
    };
    this.#record = record;
    await this.#persist(record);
    return toServiceView(record);
  }

  /**
   * Whether a token whose signature verified may be used at `nowMs`: its secret's hash is the
   * current one (or the previous one before `previousTokenValidUntil`), and the credential is
   * enabled and unexpired. Time is the later of the caller's and this object's clock, so neither
   * lets a credential live past its end. A use is written at most once a minute.
   */
  async authenticate(secretHash: string, nowMs: number): Promise<ServiceAuthentication> {
    const record = this.#record;
    if (!record) return { ok: false, reason: "unknown" };
    const now = Math.max(nowMs, Date.now());
    if (!accepts(record, secretHash, now)) return { ok: false, reason: "rotated" };
    if (!record.enabled) return { ok: false, reason: "disabled" };
    if (isExpired(record, now)) return { ok: false, reason: "expired" };
    await this.#used(record, now);
    return { ok: true, view: toServiceView(record) };
  }

  async read(): Promise<ServiceView | null> {
    return this.#record ? toServiceView(this.#record) : null;
  }

  /**
   * Enables or disables it, or replaces its roles, and answers once storage holds the change
   * and the connections it ends are closed: disabled, every one; other roles, every one with
   * `identity changed` (the origin authorized them with the old roles). null: no such credential.
   */
  async update(changes: ServiceChanges): Promise<ServiceView | null> {
    const record = this.#record;
    if (!record) return null;
    const rolesChanged = changes.roles !== undefined && !sameRoles(record.roles, changes.roles);
    // Memory first: a call that arrives while storage is written already sees the change.
    if (changes.enabled !== undefined) record.enabled = changes.enabled;
    if (changes.roles !== undefined) record.roles = changes.roles;
    await this.#persist(record);
    if (!record.enabled) await this.#release.close(this.ctx.getWebSockets(), WATCH_ENDED);
    else if (rolesChanged) await this.#release.close(this.ctx.getWebSockets(), WATCH_IDENTITY_CHANGED);
    return toServiceView(record);
  }

  /**
   * A new secret. The current one becomes the previous one, accepted for `graceSeconds` more
   * (never past the expiry); 0: refused at once, and the connections opened with it are closed
   * before this answers. An older previous secret is dropped, its connections with it.
   */
  async rotate(newSecretHash: string, graceSeconds: number, nowMs: number): Promise<ServiceView | null> {
    const record = this.#record;
    if (!record) return null;
    const now = Math.max(nowMs, Date.now());
    const validUntil = Math.min(now + graceSeconds * 1000, record.expiresAt ?? Infinity);
    const keepsPrevious = validUntil > now;
    record.previousSecretHash = keepsPrevious ? record.secretHash : null;
    record.previousTokenValidUntil = keepsPrevious ? validUntil : null;
    record.secretHash = newSecretHash;
    await this.#persist(record);
    await this.#closeEnded(now);
    return toServiceView(record);
  }

  /** Deletes it: its connections are closed, then its storage goes. Answers what it was (null: nothing). */
  async delete(): Promise<ServiceView | null> {
    const record = this.#record;
    if (!record) return null;
    this.#record = null;
    await this.#release.close(this.ctx.getWebSockets());
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return toServiceView(record);
  }

  /**
   * A watch: `GET` with `Upgrade: websocket`, only ever from this gateway's Worker (a Durable
   * Object has no public address), with the SERVICE_WATCH_PARAMS. 101 with a hibernatable
   * socket while the credential (and the watch's secret) is accepted, its roles are the ones the
   * connection was authorized with, and the cap allows one more; otherwise WATCH_STATUS says why.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response(null, { status: 426 });
    const terms = parseWatchRequest(request.url);
    if (!terms) return new Response(null, { status: 400 });
    const record = this.#record;
    const now = Date.now();
    if (!record || !isLive(record, now) || (terms.secretHash !== null && !accepts(record, terms.secretHash, now))) return new Response(null, { status: WATCH_STATUS.ended });
    if (terms.roles && !sameRoles(record.roles, terms.roles)) return new Response(null, { status: WATCH_STATUS.identityChanged });
    if (terms.max > 0 && this.#openWatches() >= terms.max) return new Response(null, { status: WATCH_STATUS.tooMany, headers: { [WATCH_LIMIT_HEADER]: "session" } });
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ secretHash: terms.secretHash } satisfies WatchAttachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Activity on a watched connection is a use (coalesced like a request's). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message !== WATCH_ACTIVITY) return;
    const record = this.#record;
    const now = Date.now();
    if (!record || !isLive(record, now)) {
      closeWatch(ws);
      return;
    }
    await this.#used(record, now);
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    closeWatch(ws);
    this.#release.released(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#release.released(ws);
  }

  /** At the expiry, or the end of a rotation's grace: the previous secret is forgotten, and what ended is closed. */
  override async alarm(): Promise<void> {
    const record = this.#record;
    if (!record) {
      await this.ctx.storage.deleteAll();
      return;
    }
    const now = Date.now();
    if (record.previousTokenValidUntil !== null && now >= record.previousTokenValidUntil) {
      record.previousSecretHash = null;
      record.previousTokenValidUntil = null;
      logEvent("service.previous_token_ended", { service: record.id, name: record.name });
    }
    if (isExpired(record, now)) logEvent("service.expired", { service: record.id, name: record.name });
    await this.#persist(record);
    await this.#closeEnded(now);
  }

  /** Closes every watch whose connection is no longer accepted at `now`. */
  async #closeEnded(now: number): Promise<void> {
    const record = this.#record;
    const ended = this.ctx.getWebSockets().filter((ws) => {
      if (!record || !isLive(record, now)) return true;
      const { secretHash } = (ws.deserializeAttachment() as WatchAttachment | null) ?? { secretHash: null };
      return secretHash !== null && !accepts(record, secretHash, now);
    });
    await this.#release.close(ended);
  }

  /** A use at `now`: memory always, storage when the stored one is SERVICE_USE_WRITE_MS old. */
  async #used(record: ServiceRecord, now: number): Promise<void> {
    record.lastUsedAt = now;
    if (this.#storedLastUsedAt === null || now - this.#storedLastUsedAt >= SERVICE_USE_WRITE_MS) await this.#persist(record);
  }

  /** Writes the record and sets the alarm at its next deadline still to come (the expiry, the grace's end). */
  async #persist(record: ServiceRecord): Promise<void> {
    await this.ctx.storage.put(RECORD_KEY, record);
    this.#storedLastUsedAt = record.lastUsedAt;
    const now = Date.now();
    const next = [record.expiresAt, record.previousTokenValidUntil].filter((at): at is number => at !== null && at > now);
    if (next.length > 0) await this.ctx.storage.setAlarm(Math.min(...next));
    else await this.ctx.storage.deleteAlarm();
  }

  #openWatches(): number {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length;
  }
}

function isExpired(record: ServiceRecord, now: number): boolean {
  return record.expiresAt !== null && now >= record.expiresAt;
}

function isLive(record: ServiceRecord, now: number): boolean {
  return record.enabled && !isExpired(record, now);
}

/** The secret is the current one, or the previous one within its grace. */
function accepts(record: ServiceRecord, secretHash: string, now: number): boolean {
  if (timingSafeEqualDigests(record.secretHash, secretHash)) return true;
  return record.previousSecretHash !== null && record.previousTokenValidUntil !== null && now < record.previousTokenValidUntil && timingSafeEqualDigests(record.previousSecretHash, secretHash);
}

/** The watch request's parameters, read strictly: it comes only from this gateway's Worker, so a malformed one is a bug. */
function parseWatchRequest(url: string): { secretHash: string | null; roles: readonly string[] | null; max: number } | null {
  const params = new URL(url).searchParams;
  const secretHash = params.get(SERVICE_WATCH_PARAMS.secret);
  if (secretHash !== null && !/^[0-9a-f]{64}$/.test(secretHash)) return null;
  const max = Number(params.get(SERVICE_WATCH_PARAMS.max) ?? "0");
  if (!Number.isInteger(max) || max < 0) return null;
  const rawRoles = params.get(SERVICE_WATCH_PARAMS.roles);
  if (rawRoles === null) return { secretHash, roles: null, max };
  let roles: unknown;
  try {
    roles = JSON.parse(rawRoles);
  } catch {
    return null;
  }
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) return null;
  return { secretHash, roles, max };
}
