/**
 * ServiceDirectory: the one Durable Object (named "services") that knows every service
 * credential by name. A name is reserved atomically (no await between the check and the
 * insert), so two creations of one name cannot both succeed; it holds at most MAX_SERVICES,
 * and a directory left empty deletes its storage. It says nothing of whether a credential is
 * alive: each ServiceCredential does (docs/storage.md).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { MAX_SERVICES, type DirectoryEntry, type Reservation } from "../services/types";

interface EntryRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  reserved_at: number;
}

export class ServiceDirectory extends DurableObject<Env> {
  #schemaReady = false;

  /** Reserves `name` for the credential `id`: `duplicate` when it is taken, `full` at `maxServices`. */
  async reserve(name: string, id: string, nowMs: number, maxServices: number = MAX_SERVICES): Promise<Reservation> {
    if (this.#sql("SELECT 1 FROM services WHERE name = ?", name).toArray().length > 0) return "duplicate";
    if (this.#sql<{ count: number }>("SELECT COUNT(*) AS count FROM services").one().count >= maxServices) return "full";
    this.#sql("INSERT INTO services (name, id, reserved_at) VALUES (?, ?, ?)", name, id, nowMs);
    return "reserved";
  }

  /** Every entry, by name. */
  async list(): Promise<DirectoryEntry[]> {
    return this.#sql<EntryRow>("SELECT id, name, reserved_at FROM services ORDER BY name").toArray().map((row) => ({ id: row.id, name: row.name, reservedAt: row.reserved_at }));
  }

  /** Frees the name of the credential `id`; true when it was listed. */
  async remove(id: string): Promise<boolean> {
    const removed = this.#sql("DELETE FROM services WHERE id = ?", id).rowsWritten > 0;
    if (this.#sql<{ count: number }>("SELECT COUNT(*) AS count FROM services").one().count === 0) {
      await this.ctx.storage.deleteAll();
      this.#schemaReady = false;
    }
    return removed;
  }

  #sql<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: SqlStorageValue[]): SqlStorageCursor<T> {
    if (!this.#schemaReady) {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS services (name TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, reserved_at INTEGER NOT NULL)");
      this.#schemaReady = true;
    }
    return this.ctx.storage.sql.exec<T>(query, ...bindings);
  }
}
