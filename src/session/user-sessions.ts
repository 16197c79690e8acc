/**
 * UserSessions: one Durable Object per subject, the index of that user's live sessions, so
 * that "list" and "revoke all" are exact. It holds public ids only. A session removes itself
 * when it ends; an alarm at the earliest absolute expiry drops any id left behind, and an
 * index that becomes empty deletes its storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { sessionStub } from "./stubs";
import type { EndReason, SessionView } from "./types";

interface IndexRow extends Record<string, SqlStorageValue> {
  public_id: string;
  absolute_expires_at: number;
}

export class UserSessions extends DurableObject<Env> {
  #schemaReady = false;

  /**
   * Records a new session. With a cap (`maxSessions` > 0), the user's oldest sessions beyond it
   * are revoked before this answers (OWASP ASVS 5.0 §7.1.2; checklist D-04).
   */
  async add(publicId: string, absoluteExpiresAt: number, maxSessions: number): Promise<void> {
    this.#sql("INSERT OR REPLACE INTO sessions (public_id, absolute_expires_at) VALUES (?, ?)", publicId, absoluteExpiresAt);
    if (maxSessions > 0) {
      // Oldest first: every session lives the same ABSOLUTE_TIMEOUT_SECONDS from its login.
      const excess = this.#rows().filter((row) => row.public_id !== publicId);
      const evicted = excess.slice(0, Math.max(0, excess.length + 1 - maxSessions));
      await this.#revoke(evicted, "session-limit");
    }
    await this.#scheduleCleanup();
  }

  async remove(publicId: string): Promise<void> {
    this.#sql("DELETE FROM sessions WHERE public_id = ?", publicId);
    await this.#scheduleCleanup();
  }

  /** The user's live sessions, oldest first; ids whose session is over are dropped. */
  async list(): Promise<SessionView[]> {
    const rows = this.#rows();
    const views = await Promise.all(rows.map((row) => sessionStub(this.env, row.public_id).read()));
    const live: SessionView[] = [];
    views.forEach((view, index) => {
      if (view) live.push(view);
      else this.#sql("DELETE FROM sessions WHERE public_id = ?", rows[index]!.public_id);
    });
    await this.#scheduleCleanup();
    return live;
  }

  /**
   * Revokes every session of the user and answers only once each one has answered, so no
   * request with any of them reaches the origin afterwards. Throws if any revoke failed; the
   * ids that failed stay in the index so a retry reaches them.
   */
  async revokeAll(reason: EndReason): Promise<number> {
    const rows = this.#rows();
    await this.#revoke(rows, reason);
    await this.#scheduleCleanup();
    return rows.length;
  }

  override async alarm(): Promise<void> {
    this.#sql("DELETE FROM sessions WHERE absolute_expires_at <= ?", Date.now());
    await this.#scheduleCleanup();
  }

  /** Revokes the sessions in parallel; only those that answered leave the index. */
  async #revoke(rows: readonly IndexRow[], reason: EndReason): Promise<void> {
    const results = await Promise.allSettled(
      rows.map((row) => sessionStub(this.env, row.public_id).revoke(reason, { notifyIndex: false })),
    );
    let failed = 0;
    results.forEach((result, index) => {
      if (result.status === "fulfilled") this.#sql("DELETE FROM sessions WHERE public_id = ?", rows[index]!.public_id);
      else failed++;
    });
    if (failed > 0) {
      await this.#scheduleCleanup();
      throw new Error(`${failed} of ${rows.length} sessions could not be revoked`);
    }
  }

  #rows(): IndexRow[] {
    return this.#sql<IndexRow>("SELECT public_id, absolute_expires_at FROM sessions ORDER BY absolute_expires_at").toArray();
  }

  /** Alarm at the earliest absolute expiry; no rows ⇒ no storage at all. */
  async #scheduleCleanup(): Promise<void> {
    const next = this.#sql<{ next: number | null }>("SELECT MIN(absolute_expires_at) AS next FROM sessions").one().next;
    if (next === null) {
      await this.ctx.storage.deleteAll();
      this.#schemaReady = false;
      return;
    }
    await this.ctx.storage.setAlarm(next);
  }

  #sql<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: SqlStorageValue[]): SqlStorageCursor<T> {
    if (!this.#schemaReady) {
      this.ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS sessions (public_id TEXT PRIMARY KEY, absolute_expires_at INTEGER NOT NULL)",
      );
      this.#schemaReady = true;
    }
    return this.ctx.storage.sql.exec<T>(query, ...bindings);
  }
}
