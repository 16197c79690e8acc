/**
 * UserSessions: one Durable Object per subject, the index of that user's live sessions, so
 * that "list" and "revoke all" are exact. It holds public ids only. A session removes itself
 * when it ends; an alarm at the earliest absolute expiry drops any id left behind, and an
 * index that becomes empty deletes its storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { IndexTable } from "./index-table";
import { sessionStub } from "../session/stubs";
import type { EndReason, SessionView } from "../session/types";

export class UserSessions extends DurableObject<Env> {
  readonly #table = new IndexTable(this.ctx.storage);

  /**
   * Records a new session. With a cap (`maxSessions` > 0), the user's oldest sessions beyond it
   * are revoked before this answers (OWASP ASVS 5.0 §7.1.2; checklist D-04).
   */
  async add(publicId: string, absoluteExpiresAt: number, maxSessions: number): Promise<void> {
    this.#table.record(publicId, absoluteExpiresAt);
    if (maxSessions > 0) {
      const others = this.#table.rows().filter((row) => row.public_id !== publicId);
      const evicted = others.slice(0, Math.max(0, others.length + 1 - maxSessions));
      await this.#table.revokeRows(evicted, (id) => this.#revokeSession(id, "session-limit"));
    }
    await this.#table.scheduleCleanup();
  }

  async remove(publicId: string): Promise<void> {
    this.#table.forget(publicId);
    await this.#table.scheduleCleanup();
  }

  /** The user's live sessions, oldest first; ids whose session is over are dropped. */
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
   * Revokes every session of the user and answers only once each one has answered, so no
   * request with any of them reaches the origin afterwards. Throws if any revoke failed; the
   * ids that failed stay in the index so a retry reaches them.
   */
  async revokeAll(reason: EndReason): Promise<number> {
    const rows = this.#table.rows();
    await this.#table.revokeRows(rows, (id) => this.#revokeSession(id, reason));
    await this.#table.scheduleCleanup();
    return rows.length;
  }

  override async alarm(): Promise<void> {
    this.#table.forgetExpired(Date.now());
    await this.#table.scheduleCleanup();
  }

  /** The session leaves this index here, so it is told not to call back. */
  async #revokeSession(publicId: string, reason: EndReason): Promise<boolean> {
    return sessionStub(this.env, publicId).revoke(reason, { notifyIndex: false });
  }
}
