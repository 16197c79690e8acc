import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("proxies a public request to the origin", async () => {
  const response = await exports.default.fetch("https://gateway.test/public/hello?x=1");
  expect(response.status).toBe(200);
  const body = await response.json<{ path: string; search: string }>();
  expect(body.path).toBe("/public/hello");
});
