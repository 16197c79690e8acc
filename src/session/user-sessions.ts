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

  async add(publicId: string, absoluteExpiresAt: number): Promise<void> {
    this.#sql("INSERT OR REPLACE INTO sessions (public_id, absolute_expires_at) VALUES (?, ?)", publicId, absoluteExpiresAt);
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
    const results = await Promise.allSettled(
      rows.map((row) => sessionStub(this.env, row.public_id).revoke(reason, { notifyIndex: false })),
    );
    let failed = 0;
    results.forEach((result, index) => {
      if (result.status === "fulfilled") this.#sql("DELETE FROM sessions WHERE public_id = ?", rows[index]!.public_id);
      else failed++;
    });
    await this.#scheduleCleanup();
    if (failed > 0) throw new Error(`${failed} of ${rows.length} sessions could not be revoked`);
    return rows.length;
  }

  override async alarm(): Promise<void> {
    this.#sql("DELETE FROM sessions WHERE absolute_expires_at <= ?", Date.now());
    await this.#scheduleCleanup();
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
