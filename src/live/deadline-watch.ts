/**
 * A watch with no Durable Object behind it: a workload token is good until its `exp` (or the
 * route's `maxAuthAgeSeconds`, counted from its `iat`) and nothing can end it sooner, so a
 * connection it opened ends at that instant — `reauthentication required`, as a session's does
 * when its login becomes too old. Activity tells nobody.
 */
import { atInstant } from "../http/deadline";
import { WATCH_REAUTHENTICATE } from "../session/types";
import type { SessionWatch } from "../session/watch";

export function deadlineWatch(endsAtMs: number): SessionWatch {
  let settle!: (reason: string) => void;
  const ended = new Promise<string>((resolve) => (settle = resolve));
  const cancel = atInstant(endsAtMs, () => settle(WATCH_REAUTHENTICATE));
  return { ended, activity() {}, close: cancel };
}
