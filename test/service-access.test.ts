/**
 * Service tokens through the Worker's fetch handler (docs/principals.md,
 * docs/service-credentials.md): created with the admin API, sent as `Authorization: Bearer
 * gws_…` on a rule whose `principals` admit services. The credential's lifecycle is proven at
 * the store layer (test/service-credentials.test.ts); here, what the gateway answers and what the
 * origin gets — and that an admin call's change holds for the requests that start after it
 * answered, through the whole pipeline.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { adminFetch, echoHeader, gatewayFetchIn, type EchoBody } from "./helpers";
import { clientSocket, controlledOrigin, roundTrip } from "./live-helpers";

const ROUTES = [
  { path: "/deploy/*", access: { principals: ["service"], services: ["ci-deploy"], roles: ["deployer"] } },
  { path: "/machines/*", access: { principals: ["user", "service"], roles: ["deployer"] } },
  { path: "/ws", access: { principals: ["service"], roles: ["deployer"] } },
  ...(JSON.parse((env as unknown as { ROUTES: string }).ROUTES) as unknown[]),
];

let counter = 0;
/** A service credential with a name of its own (the names are unique gateway-wide). */
async function createService(fields: Record<string, unknown> = {}): Promise<{ id: string; name: string; token: string }> {
  counter += 1;
  const name = `svc-${counter}-${crypto.randomUUID().slice(0, 8)}`;
  const response = await adminFetch("/services", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, roles: ["deployer"], ...fields }) });
  expect(response.status).toBe(201);
  return response.json();
}

/** A gateway with the service rules, whose origin counts what reaches it. */
function gatewayWithServiceRules(origin: Fetcher = (env as unknown as Env).ORIGIN!) {
  let hits = 0;
  const bindings = { ...(env as unknown as Env), ROUTES: JSON.stringify(ROUTES), ORIGIN: { fetch: (request: Request) => ((hits += 1), origin.fetch(request)) } } as unknown as Env;
  return { fetch: (path: string, init?: RequestInit) => gatewayFetchIn(bindings, path, init), originHits: () => hits };
}

const bearer = (token: string, headers: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${token}`, ...headers } });
const patch = (id: string, body: unknown) => adminFetch(`/services/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("service tokens on a rule that admits services", () => {
  it("lets a service through as service:<name> with its roles, and without its Authorization header", async () => {
    const gateway = gatewayWithServiceRules();
    const service = await createService();
    const body = await (await gateway.fetch("/machines/x", bearer(service.token, { "x-auth-user": "alice" }))).json<EchoBody>();
    expect(echoHeader(body, "x-auth-principal")).toBe("service");
    expect(echoHeader(body, "x-auth-user")).toBe(`service:${service.name}`);
    expect(echoHeader(body, "x-auth-roles")).toBe("deployer");
    expect(echoHeader(body, "x-auth-session")).toBeNull();
    expect(echoHeader(body, "authorization")).toBeNull();
  });

  it("refuses a forged, truncated or another gateway's token 401 invalid_token, with nothing at the origin", async () => {
    const gateway = gatewayWithServiceRules();
    const { token } = await createService();
    const flipped = `${token.slice(0, -2)}${token.at(-2) === "A" ? "B" : "A"}${token.at(-1)}`;
    for (const forged of [flipped, token.slice(0, -1), `gws_${"A".repeat(89)}`, "gws_"]) {
      const response = await gateway.fetch("/machines/x", bearer(forged, { accept: "text/html" }));
      expect(response.status, forged).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    }
    expect(gateway.originHits()).toBe(0);
  });

  it("answers a service the rule does not name 403 insufficient_scope, and one whose roles were taken 403 from the next request", async () => {
    const gateway = gatewayWithServiceRules();
    const other = await createService();
    const response = await gateway.fetch("/deploy/start", bearer(other.token));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="insufficient_scope"');
    expect((await gateway.fetch("/machines/x", bearer(other.token))).status).toBe(200);
    expect((await patch(other.id, { roles: ["reader"] })).status).toBe(200);
    expect((await gateway.fetch("/machines/x", bearer(other.token))).status).toBe(403);
  });

  it("refuses a disabled, deleted or rotated-out token 401 from the very next request", async () => {
    const gateway = gatewayWithServiceRules();
    const disabled = await createService();
    expect((await patch(disabled.id, { enabled: false })).status).toBe(200);
    expect((await gateway.fetch("/machines/x", bearer(disabled.token))).status).toBe(401);
    const deleted = await createService();
    expect((await adminFetch(`/services/${deleted.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await gateway.fetch("/machines/x", bearer(deleted.token))).status).toBe(401);
    const rotated = await createService();
    const rotation = await adminFetch(`/services/${rotated.id}/rotate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ graceSeconds: 0 }) });
    const { token: fresh } = await rotation.json<{ token: string }>();
    expect((await gateway.fetch("/machines/x", bearer(rotated.token))).status).toBe(401);
    expect((await gateway.fetch("/machines/x", bearer(fresh))).status).toBe(200);
  });
});

describe("an admin's disable, through the whole pipeline", () => {
  it("refuses every request that starts after the disable answered (40 in flight)", { timeout: 60_000 }, async () => {
    const gateway = gatewayWithServiceRules();
    const service = await createService();
    const outcomes: { startedAfter: boolean; status: number }[] = [];
    let disabled = false;
    const lane = async () => {
      let after = 0;
      while (after < 3) {
        const startedAfter = disabled;
        const response = await gateway.fetch("/machines/x", bearer(service.token));
        await response.arrayBuffer();
        outcomes.push({ startedAfter, status: response.status });
        if (startedAfter) after++;
      }
    };
    const lanes = Array.from({ length: 40 }, lane);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await patch(service.id, { enabled: false })).status).toBe(200);
    disabled = true;
    await Promise.all(lanes);
    const after = outcomes.filter((outcome) => outcome.startedAfter);
    expect(outcomes.some((outcome) => !outcome.startedAfter && outcome.status === 200)).toBe(true);
    expect(after.length).toBeGreaterThanOrEqual(120);
    expect(after.filter((outcome) => outcome.status !== 401)).toEqual([]);
  });
});

describe("a service's live connection", () => {
  it("is closed before the disable that ends it answers", async () => {
    const origin = controlledOrigin();
    const gateway = gatewayWithServiceRules(origin.fetcher);
    const service = await createService();
    const open = clientSocket(await gateway.fetch("/ws", bearer(service.token, { upgrade: "websocket" })));
    expect(await roundTrip(open, "before")).toBe("before");
    let closedAt = Infinity;
    void open.closed.then((closed) => (closedAt = closed.at));
    expect((await patch(service.id, { enabled: false })).status).toBe(200);
    const answeredAt = Date.now();
    const closed = await open.closed;
    expect(closed).toMatchObject({ code: 1008, reason: "session ended" });
    expect(closedAt).toBeLessThanOrEqual(answeredAt);
  });
});
