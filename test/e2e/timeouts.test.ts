/**
 * Checklist LT-01 and LT-02, black-box and in real time: workerd's own clock and alarms, with
 * an idle timeout of 2 s and an absolute one of 4 s (the `timeouts` gateway of
 * test/e2e/gateways.ts; the sleeps below are written for those values). (test/timeouts.test.ts
 * covers the same rules with a fake clock, and the storage deletion from inside the Durable
 * Object.) The two tests run side by side, each with its own session, and find their own
 * origin requests by a marker in the query.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { E2E_ADMIN_TOKEN, loginAs, rawRequest } from "./harness";
import { outputContaining, sessionCookie, tokenParts } from "./helpers";

let origin: RemoteOrigin;
let gateway: SharedGateway;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("timeouts"));
});

const sleepUntil = (startedAt: number, ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + ms - Date.now())));

/** GET /zzz with the session; the status, and whether the origin saw this very request. */
async function use(token: string, marker: string): Promise<{ status: number; forwarded: boolean }> {
  const response = await rawRequest(gateway.port, "GET", `/zzz?${marker}`, { cookie: sessionCookie(token) });
  return { status: response.status, forwarded: (await origin.received()).some((record) => record.rawPath === `/zzz?${marker}`) };
}

describe.concurrent("session timeouts in real time", () => {
  it("LT-01 keeps a session used within the idle timeout, ends it after a silence, and its alarm clears it away", async () => {
    const { token } = await loginAs(gateway.port, { sub: "lt01-user" });
    const loggedInAt = Date.now();
    const id = tokenParts(token).publicId;

    await sleepUntil(loggedInAt, 1000);
    expect(await use(token, "lt01-within")).toEqual({ status: 200, forwarded: true });
    const lastUsedAt = Date.now();

    // Silent for 1.5 × the idle timeout.
    await sleepUntil(lastUsedAt, 3000);
    expect(await use(token, "lt01-after-silence")).toEqual({ status: 401, forwarded: false });
    // The alarm at the idle deadline ended it, and the user index forgot it.
    await outputContaining(gateway, new RegExp(`"event":"session.expired","session":"${id}"[^\\n]*idle-timeout`));
    const admin = { authorization: `Bearer ${E2E_ADMIN_TOKEN}` };
    expect((await rawRequest(gateway.port, "GET", `/_gateway/admin/sessions/${id}`, admin)).status).toBe(404);
    expect(JSON.parse((await rawRequest(gateway.port, "GET", "/_gateway/admin/users/lt01-user/sessions", admin)).body)).toEqual({ sessions: [] });
  });

  it("LT-02 ends a session at the absolute timeout, counted from login, however active it is", async () => {
    const { token } = await loginAs(gateway.port, { sub: "lt02-user" });
    const loggedInAt = Date.now();

    for (const second of [1, 2, 3]) {
      await sleepUntil(loggedInAt, second * 1000);
      expect(await use(token, `lt02-at-${second}s`)).toEqual({ status: 200, forwarded: true });
    }
    // The idle deadline never passes the absolute one.
    const session = JSON.parse((await rawRequest(gateway.port, "GET", "/_gateway/session", { cookie: sessionCookie(token) })).body) as {
      idleExpiresAt: string;
      absoluteExpiresAt: string;
    };
    expect(Date.parse(session.idleExpiresAt)).toBeLessThanOrEqual(Date.parse(session.absoluteExpiresAt));

    // 4.6 s: past the absolute deadline, before the idle one the last use would give (≥ 5 s).
    await sleepUntil(loggedInAt, 4600);
    expect(await use(token, "lt02-after-absolute")).toEqual({ status: 401, forwarded: false });
  });
});
