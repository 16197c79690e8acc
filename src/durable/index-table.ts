/**
 * The table behind every session index (session-index.ts): public ids with their creation
 * time and absolute expiry, an alarm at the earliest expiry that drops whatever is left behind,
 * and no storage at all once the table is empty. Each index Durable Object keeps one of these
 * in a private field, so none of it is reachable over RPC.
 */
export interface IndexRow extends Record<string, SqlStorageValue> {
  public_id: string;
  created_at: number;
  absolute_expires_at: number;
}

export class IndexTable {
  readonly #storage: DurableObjectStorage;
  #schemaReady = false;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  record(publicId: string, createdAt: number, absoluteExpiresAt: number): void {
    this.#sql("INSERT OR REPLACE INTO sessions (public_id, created_at, absolute_expires_at) VALUES (?, ?, ?)", publicId, createdAt, absoluteExpiresAt);
  }

  forget(publicId: string): void {
    this.#sql("DELETE FROM sessions WHERE public_id = ?", publicId);
  }

  forgetExpired(now: number): void {
    this.#sql("DELETE FROM sessions WHERE absolute_expires_at <= ?", now);
  }

  /** The live connections the other sessions of this index reported (MAX_CONNECTIONS_PER_USER). */
  connectionsBesides(publicId: string): number {
    return this.#sql<{ total: number }>("SELECT COALESCE(SUM(connections), 0) AS total FROM sessions WHERE public_id != ?", publicId).one().total;
  }

  /** A listed session's live connections; an id not listed is not counted. */
  setConnections(publicId: string, connections: number): void {
    this.#sql("UPDATE sessions SET connections = ? WHERE public_id = ?", connections, publicId);
  }

  /** Oldest first, by creation time (a changed ABSOLUTE_TIMEOUT_SECONDS does not reorder them). */
  rows(): IndexRow[] {
    return this.#sql<IndexRow>("SELECT public_id, created_at, absolute_expires_at FROM sessions ORDER BY created_at, public_id").toArray();
  }

  /**
   * Revokes the rows' sessions in parallel and answers once each has answered; only those
   * that answered leave the table, so a retry reaches the rest. Throws if any failed.
   * Resolves to how many were live.
   */
  async revokeRows(rows: readonly IndexRow[], revoke: (publicId: string) => Promise<boolean>): Promise<number> {
    const results = await Promise.allSettled(rows.map((row) => revoke(row.public_id)));
    let live = 0;
    let failed = 0;
    results.forEach((result, index) => {
      if (result.status === "rejected") {
        failed++;
        return;
      }
      if (result.value) live++;
      this.forget(rows[index]!.public_id);
    });
    if (failed > 0) {
      await this.scheduleCleanup();
      throw new Error(`${failed} of ${rows.length} sessions could not be revoked`);
    }
    return live;
  }

  /** Alarm at the earliest absolute expiry; no rows ⇒ no storage at all. */
  async scheduleCleanup(): Promise<void> {
    const next = this.#sql<{ next: number | null }>("SELECT MIN(absolute_expires_at) AS next FROM sessions").one().next;
    if (next === null) {
      await this.#storage.deleteAll();
      this.#schemaReady = false;
      return;
    }
    await this.#storage.setAlarm(next);
  }

  #sql<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: SqlStorageValue[]): SqlStorageCursor<T> {
    if (!this.#schemaReady) {
      this.#storage.sql.exec("CREATE TABLE IF NOT EXISTS sessions (public_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL DEFAULT 0, absolute_expires_at INTEGER NOT NULL, connections INTEGER NOT NULL DEFAULT 0)");
      // A table from before created_at (docs/storage.md): its rows sort first, as the oldest.
      const columns = this.#storage.sql.exec<{ name: string }>("PRAGMA table_info(sessions)").toArray();
      if (!columns.some((column) => column.name === "created_at")) {
        this.#storage.sql.exec("ALTER TABLE sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0");
      }
      // A table from before MAX_CONNECTIONS_PER_USER: no session has reported any yet.
      if (!columns.some((column) => column.name === "connections")) {
        this.#storage.sql.exec("ALTER TABLE sessions ADD COLUMN connections INTEGER NOT NULL DEFAULT 0");
      }
      this.#schemaReady = true;
    }
    return this.#storage.sql.exec<T>(query, ...bindings);
  }
}
