/**
 * SessionIndex: the Durable Object behind every "sessions of …" list — a user's (UserSessions)
 * and an identity provider session's or subject's (IdpSessions) — so that "list" and "revoke
 * all" are exact. It knows nothing of what it indexes: sessions add themselves when they are
 * created (SessionRecord.indexes names the indexes) and remove themselves when they end. An
 * alarm at the earliest absolute expiry drops any id left behind, and an index that becomes
 * empty deletes its storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { sessionStub } from "../session/stubs";
import type { EndReason, SessionView, UserChanges } from "../session/types";
import { IndexTable } from "./index-table";

export class SessionIndex extends DurableObject<Env> {
  readonly #table = new IndexTable(this.ctx.storage);

  /**
   * Records a new session. With a cap (`maxSessions` > 0), the oldest sessions by creation time
   * beyond it are revoked before this answers (OWASP ASVS 5.0 §7.1.2; SECURITY.md D-04).
   */
  async add(publicId: string, createdAt: number, absoluteExpiresAt: number, maxSessions = 0): Promise<void> {
    this.#table.record(publicId, createdAt, absoluteExpiresAt);
    if (maxSessions > 0) {
      const others = this.#table.rows().filter((row) => row.public_id !== publicId);
      const evicted = others.slice(0, Math.max(0, others.length + 1 - maxSessions));
      await this.#table.revokeRows(evicted, (id) => sessionStub(this.env, id).revoke("session-limit"));
    }
    await this.#table.scheduleCleanup();
  }

  async remove(publicId: string): Promise<void> {
    this.#table.forget(publicId);
    await this.#table.scheduleCleanup();
  }

  /** The live sessions, oldest first; ids whose session is over are dropped. */
  async list(): Promise<SessionView[]> {
    const rows = this.#table.rows();
    const views = await Promise.all(rows.map((row) => sessionStub(this.env, row.public_id).read()));
    const live: SessionView[] = [];
    views.forEach((view, index) => {
      if (view) live.push(view);
      else this.#table.forget(rows[index]!.public_id);
    });
    await this.#table.scheduleCleanup();
    return live;
  }

  /**
   * Revokes every listed session and answers only once each one has answered, so no request
   * with any of them reaches the origin afterwards. Answers how many were live. Throws if any
   * revoke failed; those ids stay listed so a retry reaches them.
   */
  async revokeAll(reason: EndReason): Promise<number> {
    const revoked = await this.#table.revokeRows(this.#table.rows(), (id) => sessionStub(this.env, id).revoke(reason));
    await this.#table.scheduleCleanup();
    return revoked;
  }

  /**
   * Changes the identity of every listed session (the user's index: an admin's PATCH) and
   * answers only once each one has answered, so no request with any of them carries the old
   * values afterwards. Answers how many were live; throws if any failed (the caller retries:
   * the change is idempotent).
   */
  async updateAll(changes: UserChanges): Promise<number> {
    const rows = this.#table.rows();
    const results = await Promise.allSettled(rows.map((row) => sessionStub(this.env, row.public_id).updateUser(changes)));
    const failed = results.filter((result) => result.status === "rejected").length;
    if (failed > 0) throw new Error(`${failed} of ${rows.length} sessions could not be updated`);
    results.forEach((result, index) => {
      if (result.status === "fulfilled" && !result.value) this.#table.forget(rows[index]!.public_id);
    });
    await this.#table.scheduleCleanup();
    return results.filter((result) => result.status === "fulfilled" && result.value).length;
  }

  /**
   * MAX_CONNECTIONS_PER_USER: a session asks to hold `connections` live connections (its count
   * with the new one). Admitted, and recorded, when the sum over the user's sessions stays
   * within `maxConnections`. A session's count is replaced, never added to, so a count that
   * went stale (its object restarted) is corrected by that session's next report.
   */
  async admitConnections(publicId: string, connections: number, maxConnections: number): Promise<boolean> {
    if (this.#table.connectionsBesides(publicId) + connections > maxConnections) return false;
    this.#table.setConnections(publicId, connections);
    return true;
  }

  /** A session's live connections after one closed (its row leaves with it when it ends). */
  async countConnections(publicId: string, connections: number): Promise<void> {
    this.#table.setConnections(publicId, connections);
  }

  override async alarm(): Promise<void> {
    this.#table.forgetExpired(Date.now());
    await this.#table.scheduleCleanup();
  }
}
