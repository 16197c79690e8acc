import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { freePort, loginAs, rawRequest } from "./harness";
import { observe } from "./helpers";

let origin: RemoteOrigin;
let gateway: SharedGateway;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
});

describe("the black-box harness", () => {
  it("serves the gateway over HTTP in front of the loopback origin", async () => {
    const { token } = await loginAs(gateway.port, { sub: "harness-user" });
    const { response, forwarded } = await observe(origin, () => rawRequest(gateway.port, "GET", "/hello?x=1", { cookie: `__Host-session=${token}` }));
    expect(response.status).toBe(200);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.rawPath).toBe("/hello?x=1");
    expect(forwarded[0]!.headers["x-auth-user"]).toBe("harness-user");
  });
});

describe("freePort", () => {
  const RANGE = "/proc/sys/net/ipv4/ip_local_port_range";

  it.runIf(existsSync(RANGE))("chooses a port below the ephemeral range, free to bind on loopback", async () => {
    const rangeStart = Number(readFileSync(RANGE, "utf8").trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) expect(port).toBeLessThan(rangeStart);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(ports[0], "127.0.0.1", resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
