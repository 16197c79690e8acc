import { beforeAll, describe, expect, it } from "vitest";
import { type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { loginAs, rawRequest } from "./harness";
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
