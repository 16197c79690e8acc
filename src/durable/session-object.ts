/**
 * SessionObject: one Durable Object per session, named by the session's public id. It is the
 * only code that reads or writes the session's state (docs/storage.md), so create, touch and
 * revoke are strongly consistent: once revoke has answered, every later touch fails. It knows
 * no login method: the record names the indexes it is listed in, and it tells each of them
 * when it begins and ends.
 *
 * Live connections (docs/live-connections.md): the Worker that relays a WebSocket or streams a
 * response for this session holds a *watch*, a hibernatable WebSocket to this object. Ending
 * the session closes every watch before anything else, and the Worker then closes both legs
 * of its connection. A watch also carries the connection's activity for the idle timeout.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { logEvent, logError } from "../log";
import { timingSafeEqualDigests } from "../http/timing-safe";
import { expiryState, idleExpiresAt, toView, touchNeedsWrite, type ExpiryState } from "./expiry";
import { userIndexOf, WatchAdmission } from "./watch-admission";
import { parseWatchTerms, sameIdentity } from "./watch-terms";
import { closeWatch, WatchRelease } from "./watch-release";
import { WATCH_ACTIVITY, WATCH_ENDED, WATCH_IDENTITY_CHANGED, WATCH_STATUS, type WatchTerms, type CreateSessionInput, type EndReason, type IndexRef, type SessionRecord, type SessionView, type TouchClient, type TouchResult, type UserChanges } from "../session/types";
import { indexStub } from "../session/stubs";

const RECORD_KEY = "session";

export class SessionObject extends DurableObject<Env> {
  #record: SessionRecord | null = null;
  /** `lastSeenAt` as storage holds it; touches between writes only change memory. */
  #storedLastSeenAt = 0;
  /** Why the session ended, while this instance lives: only for the log ("the log says which"). */
  #endedBecause: EndReason | null = null;
  /** The client of the last touch, so a change is logged once, not on every request. */
  #lastClient: { clientIp?: string; userAgent?: string } | null = null;
  /** Closes watches and waits for the Worker to let go of them (watch-release.ts). */
  readonly #release = new WatchRelease();
  /** MAX_CONNECTIONS_PER_SESSION and _PER_USER for the watches (watch-admission.ts). */
  readonly #admission: WatchAdmission;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#admission = new WatchAdmission(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#record = (await ctx.storage.get<SessionRecord>(RECORD_KEY)) ?? null;
      this.#storedLastSeenAt = this.#record?.lastSeenAt ?? 0;
    });
  }

  async create(input: CreateSessionInput): Promise<SessionView> {
    if (this.#record) throw new Error("session already exists");
    const now = Date.now();
    const record: SessionRecord = {
      publicId: input.publicId,
      secretHash: input.secretHash,
      realm: input.realm,
      user: input.user,
      createdAt: now,
      authenticatedAt: input.authenticatedAt === null ? null : Math.min(input.authenticatedAt ?? now, now),
      lastSeenAt: now,
      idleTimeoutMs: input.idleTimeoutSeconds * 1000,
      absoluteExpiresAt: now + input.absoluteTimeoutSeconds * 1000,
      ...(input.clientIp ? { clientIp: input.clientIp } : {}),
      ...(input.userAgent ? { userAgent: input.userAgent } : {}),
      ...(input.clientCountry ? { clientCountry: input.clientCountry } : {}),
      indexes: input.indexes,
      ...(input.logoutHint ? { logoutHint: input.logoutHint } : {}),
    };
    // Memory first: a revoke that arrives while the index call below is in flight sees it.
    this.#record = record;
    await this.#persist(record);
    try {
      await Promise.all(
        input.indexes.map((ref) => indexStub(this.env, ref).add(record.publicId, record.createdAt, record.absoluteExpiresAt, ref.maxSessions ?? 0)),
      );
    } catch (error) {
      await this.#end("index-unavailable");
      throw error;
    }
    if (this.#record !== record) throw new Error("session revoked while it was being created");
    logEvent("session.created", { session: record.publicId, realm: record.realm ?? null, sub: record.user.sub, ip: record.clientIp ?? null });
    return toView(record);
  }

  /**
   * Checks the secret and the realm, extends the idle deadline (never past the absolute one).
   * On a host of another realm the session is none, and stays as it was: it is not touched nor
   * ended, as it lives on at its own app. A record without a realm (from before realms) is a
   * session on no host: fail closed, and its alarm ends it.
   */
  async touch(secretHash: string, client: TouchClient): Promise<TouchResult> {
    const record = this.#record;
    if (!record) return { ok: false, reason: this.#whyNotLive() };
    if (!timingSafeEqualDigests(record.secretHash, secretHash)) return { ok: false, reason: "secret-mismatch" };
    if (record.realm !== client.realm) return { ok: false, reason: "other-realm" };
    const now = Date.now();
    const state = await this.#endIfExpired(record, now);
    if (state !== "live") return { ok: false, reason: state };
    if (this.#clientChanged(record, client) && client.endOnUserAgentChange && client.userAgent !== record.userAgent) {
      await this.#end("user-agent-changed");
      return { ok: false, reason: "revoked" };
    }
    await this.#seen(record, now);
    return { ok: true, session: toView(record) };
  }

  /** The session's metadata without touching it, or null when it is not live. */
  async read(): Promise<SessionView | null> {
    const record = this.#record;
    if (!record || (await this.#endIfExpired(record, Date.now())) !== "live") return null;
    return toView(record);
  }

  /**
   * Replaces the identity's roles, email or name (an admin's PATCH of the user) and answers
   * only once storage holds it: every touch after this answer returns the new values, because
   * a Durable Object runs one call at a time. True when the session was live.
   */
  async updateUser(changes: UserChanges): Promise<boolean> {
    const record = this.#record;
    if (!record || expiryState(record, Date.now()) !== "live") return false;
    const updated = { ...record.user, ...changes };
    record.user = updated;
    await this.#persist(record);
    // A live connection was opened with the old identity, which its origin still acts on:
    // it is closed (1008 "identity changed") before the change answers; a reconnect carries the new one.
    await this.#closeWatches(WATCH_IDENTITY_CHANGED);
    logEvent("session.user_updated", { session: record.publicId, sub: updated.sub, changed: Object.keys(changes) });
    return true;
  }

  /** Ends the session now. Idempotent: true when it was live. */
  async revoke(reason: EndReason): Promise<boolean> {
    if (!this.#record) return false;
    await this.#end(reason);
    return true;
  }

  /**
   * Ends the session at the user's logout. Answers the login method's logout hint (OIDC: the
   * ID token, for the provider's logout, RP-Initiated Logout 1.0 §2).
   */
  async logout(): Promise<{ wasLive: boolean; logoutHint: string | null }> {
    const record = this.#record;
    if (!record) return { wasLive: false, logoutHint: null };
    await this.#end("logout");
    return { wasLive: true, logoutHint: record.logoutHint ?? record.idp?.idToken ?? null };
  }

  /**
   * A watch: `GET` with `Upgrade: websocket` and the Worker's terms, only ever from this
   * gateway's Worker (a Durable Object has no public address). 101 with a hibernatable socket
   * while the session is live, its identity is the one the connection was authorized with,
   * and the caps allow one more; otherwise WATCH_STATUS says why, and the connection it was
   * for is refused or ended.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response(null, { status: 426 });
    const terms = parseWatchTerms(request.url);
    if (!terms) return new Response(null, { status: 400 });
    const refused = (await this.#watchRefusal(terms)) ?? this.#admission.sessionRefusal(terms) ?? (await this.#admission.userRefusal(this.#record!, terms));
    if (refused) return refused;
    // The user's index was asked: the session may have ended or changed meanwhile.
    return (await this.#watchRefusal(terms)) ?? this.#admission.accept(terms);
  }

  /** 410 when the session is not live; 409 when its identity is not the one the connection was authorized with. */
  async #watchRefusal(terms: WatchTerms): Promise<Response | null> {
    if (!(await this.read())) return new Response(null, { status: WATCH_STATUS.ended });
    if (!sameIdentity(this.#record!.user, terms.user)) return new Response(null, { status: WATCH_STATUS.identityChanged });
    return null;
  }

  /** Activity on a watched connection: extends the idle deadline as a touch does (coalesced). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message !== WATCH_ACTIVITY) return;
    const record = this.#record;
    if (!record) {
      closeWatch(ws);
      return;
    }
    const now = Date.now();
    if ((await this.#endIfExpired(record, now)) === "live") await this.#seen(record, now);
  }

  /** The Worker let go of its watch (its connection closed, or it saw the session end). */
  override async webSocketClose(ws: WebSocket): Promise<void> {
    closeWatch(ws);
    this.#release.released(ws);
    await this.#admission.released(this.#record, ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#release.released(ws);
    await this.#admission.released(this.#record, ws);
  }

  /**
   * Closes every watch and waits until the Worker holding each has let go of it, so once the
   * end of the session has answered — a revoke, a logout — no frame of that session's
   * connections reaches the origin any more.
   */
  async #closeWatches(reason: string = WATCH_ENDED): Promise<void> {
    await this.#release.close(this.ctx.getWebSockets(), reason);
  }

  override async alarm(): Promise<void> {
    const record = this.#record;
    if (!record) {
      await this.ctx.storage.deleteAll();
      return;
    }
    if ((await this.#endIfExpired(record, Date.now())) !== "live") return;
    // Touched since the last write: the deadline moved, so write it and wait again.
    await this.#persist(record);
  }

  /**
   * Logs when the client's IP (`CF-Connecting-IP`) or User-Agent differs from the last one
   * seen (at first, the login's). True when the User-Agent is not the login's.
   */
  #clientChanged(record: SessionRecord, client: TouchClient): boolean {
    const last = this.#lastClient ?? { clientIp: record.clientIp, userAgent: record.userAgent };
    const ipChanged = client.clientIp !== last.clientIp;
    const userAgentChanged = client.userAgent !== last.userAgent;
    if (ipChanged || userAgentChanged) {
      logEvent("session.client_changed", { session: record.publicId, ipChanged, userAgentChanged, ip: client.clientIp ?? null });
      this.#lastClient = { clientIp: client.clientIp, userAgent: client.userAgent };
    }
    return client.userAgent !== record.userAgent;
  }

  #whyNotLive(): "unknown" | "revoked" | "idle-timeout" | "absolute-timeout" {
    const reason = this.#endedBecause;
    if (reason === null) return "unknown";
    if (reason === "idle-timeout") return "idle-timeout";
    if (reason === "absolute-timeout") return "absolute-timeout";
    return "revoked";
  }

  /** Ends the session when a timeout has passed at `now`; answers the state it found. */
  async #endIfExpired(record: SessionRecord, now: number): Promise<ExpiryState> {
    const state = expiryState(record, now);
    if (state !== "live") await this.#end(state);
    return state;
  }

  /** Activity at `now` (a request, a live connection's frame): written once per coalescing window. */
  async #seen(record: SessionRecord, now: number): Promise<void> {
    record.lastSeenAt = now;
    if (touchNeedsWrite(record, this.#storedLastSeenAt, now)) await this.#persist(record);
  }

  async #persist(record: SessionRecord): Promise<void> {
    await this.ctx.storage.put(RECORD_KEY, record);
    await this.ctx.storage.setAlarm(idleExpiresAt(record));
    this.#storedLastSeenAt = record.lastSeenAt;
  }

  async #end(reason: EndReason): Promise<void> {
    const record = this.#record;
    this.#record = null;
    this.#endedBecause = reason;
    // First: every live connection of this session is ended before the end is answered.
    await this.#closeWatches();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    if (!record) return;
    const expired = reason === "idle-timeout" || reason === "absolute-timeout";
    logEvent(expired ? "session.expired" : "session.revoked", { session: record.publicId, sub: record.user.sub, reason });
    const indexes: readonly IndexRef[] = record.indexes ?? [userIndexOf(record)];
    const results = await Promise.allSettled(indexes.map((ref) => indexStub(this.env, ref).remove(record.publicId)));
    results.forEach((result, index) => {
      // The session is gone either way; an index drops ids whose session is not live.
      if (result.status === "rejected") logError("index.remove_failed", { session: record.publicId, index: indexes[index]!.kind, error: String(result.reason) });
    });
  }
}
