import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoOrigin, type GatewayProcess, loginAs, rawRequest, startEchoOrigin, startGateway } from "./harness";

let origin: EchoOrigin;
let gateway: GatewayProcess;

beforeAll(async () => {
  origin = await startEchoOrigin();
  gateway = await startGateway({ originUrl: origin.url, vars: { ROUTES: [{ path: "/login", access: "public" }] } });
});
afterAll(async () => {
  await gateway?.stop();
  await origin?.close();
});

describe("the black-box harness", () => {
  it("serves the gateway over HTTP in front of the loopback origin", async () => {
    const { token } = await loginAs(gateway.port, { sub: "harness-user" });
    const response = await rawRequest(gateway.port, "GET", "/hello?x=1", { cookie: `__Host-session=${token}` });
    expect(response.status).toBe(200);
    const last = origin.received.at(-1)!;
    expect(last.rawPath).toBe("/hello?x=1");
    expect(last.headers["x-auth-user"]).toBe("harness-user");
  });
});
