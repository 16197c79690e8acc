/**
 * LogoutTokenReplay: remembers one logout token's `jti` until the token could no longer be
 * accepted anyway, so a captured token cannot be replayed (Back-Channel Logout 1.0 §2.6 step
 * 9; SECURITY.md T-06). One Durable Object per `["jti", iss, jti]`; only tokens whose
 * signature, issuer, audience and times have verified get here, so the cache grows only with
 * the provider's own tokens, and the alarm deletes each entry when its window closes.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

const KEY = "retainUntil";

export function logoutTokenReplayStub(env: Env, issuer: string, jti: string) {
  return env.LOGOUT_TOKENS.get(env.LOGOUT_TOKENS.idFromName(JSON.stringify(["jti", issuer, jti])));
}

export class LogoutTokenReplay extends DurableObject<Env> {
  /**
   * True the first time, false for a `jti` already used. `retainUntil` (epoch ms) is when
   * the token would be refused for its age or expiry: the entry is kept until then.
   */
  async claim(retainUntil: number): Promise<boolean> {
    // No await between the read and the write but storage calls, which hold the input gate:
    // two deliveries of the same token cannot both see it unused.
    if ((await this.ctx.storage.get<number>(KEY)) !== undefined) return false;
    await this.ctx.storage.put(KEY, retainUntil);
    await this.ctx.storage.setAlarm(retainUntil);
    return true;
  }

  /** Forgets a claim whose logout could not be carried out, so the provider's retry works. */
  async release(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
