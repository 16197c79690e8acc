/**
 * Checklist R-08 (fail closed), black-box, for the failures a black box can cause: the origin
 * resets the connection or is down (502, generic body). An invalid configuration (503 for
 * every request, nothing forwarded) and a Durable Object failure (503) are caused inside
 * workerd by test/faults.test.ts; an origin that hangs (504) belongs to ORIGIN_TIMEOUT_SECONDS.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, useGateway } from "./gateways";
import { loginAs, rawRequest, type RawResponse } from "./harness";
import { secretsOf, sessionCookie } from "./helpers";

/** The one generic answer for an error: a JSON body naming the code, nothing else. */
function expectGenericError(response: RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(JSON.parse(response.body)).toEqual({ error: code });
  expect(response.headers["cache-control"]).toBe("no-store");
}

describe("R-08 the origin fails", () => {
  let stopped: RemoteOrigin | undefined;
  afterAll(async () => {
    // As it was, should the file run again (watch mode).
    await stopped?.start();
  });

  it("answers 502 with a generic body when the origin resets the connection", async () => {
    const { gateway } = await useGateway("shared");
    const { token } = await loginAs(gateway.port, { sub: "r08-user" });
    for (const method of ["GET", "POST"]) {
      const response = await rawRequest(gateway.port, method, "/reset", { cookie: sessionCookie(token) }, method === "POST" ? "{}" : undefined);
      expectGenericError(response, 502, "bad_gateway");
      for (const secret of secretsOf(token)) expect(response.body + JSON.stringify(response.headers)).not.toContain(secret);
    }
  });

  it("answers 502 with a generic body when nothing listens at ORIGIN_URL any more", async () => {
    // A gateway of its own (originDown), whose origin is stopped here (and started after the file).
    const { gateway, origin } = await useGateway("originDown");
    const { token } = await loginAs(gateway.port, { sub: "r08-down" });
    await origin.stop();
    stopped = origin;
    for (const [path, headers] of [
      ["/zzz", { cookie: sessionCookie(token) }],
      ["/public/x", {}],
    ] as const) {
      expectGenericError(await rawRequest(gateway.port, "GET", path, headers), 502, "bad_gateway");
    }
    // Access is still decided first: no session, no attempt at the origin.
    expectGenericError(await rawRequest(gateway.port, "GET", "/zzz", {}), 401, "unauthenticated");
  });

  it.each(["99x", "1", "100", "103", "199", "600", "999", "65536"])("answers 502, never 500, to an origin whose status line says %s", async (code) => {
    const { gateway } = await useGateway("shared");
    const { token } = await loginAs(gateway.port, { sub: "r08-status" });
    for (const headers of [{}, { cookie: sessionCookie(token) }] as Record<string, string>[]) {
      expectGenericError(await rawRequest(gateway.port, "GET", `/public/status-line?code=${code}`, headers), 502, "bad_gateway");
    }
    expect(gateway.output.join("")).not.toContain("request.error");
  });
});

describe("R12 an origin answers a WebSocket handshake with a redirect", () => {
  const handshake = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };

  it.each(["length", "chunked", "close"])("passes the 302 and its Location to the client, and follows nothing (body framed by %s)", async (framing) => {
    const { gateway, origin } = await useGateway("shared");
    const { token } = await loginAs(gateway.port, { sub: "r12-user" });
    for (const [path, headers] of [
      ["/public/redirect-handshake", handshake],
      ["/redirect-handshake", { ...handshake, cookie: sessionCookie(token) }],
    ] as const) {
      const from = await origin.mark();
      const response = await rawRequest(gateway.port, "GET", `${path}?framing=${framing}`, headers);
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe("/elsewhere");
      expect(response.body).toBe("Found. Redirecting to /elsewhere");
      // One request reached the origin: the handshake. The redirect was not followed.
      expect((await origin.since(from)).map((record) => [record.method, new URL(record.rawPath, "http://o").pathname])).toEqual([["WS-REDIRECTED", path]]);
    }
  });
});
