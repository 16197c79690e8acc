/**
 * The admin API's service credentials (DESIGN §1.1, docs/endpoints.md): every call of the
 * table and every status it answers, through the Worker's fetch handler with ADMIN_TOKEN. A
 * token appears in the answer that minted it and nowhere else — not in a listing, not in the log.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { authenticateService } from "../src/services/store";
import { directoryStub } from "../src/services/stubs";
import { MAX_SERVICES } from "../src/services/types";
import { importSessionKeys, sessionSecrets } from "../src/session/token";
import { adminFetch, gatewayFetchWith } from "./helpers";

const bindings = env as unknown as Env;
const keys = await importSessionKeys(sessionSecrets(bindings.SESSION_SECRET!));
const JSON_HEADERS = { "content-type": "application/json" };
const UNKNOWN_ID = "C".repeat(21) + "A";

interface Created {
  id: string;
  name: string;
  roles: string[];
  createdAt: string;
  expiresAt: string | null;
  token: string;
}

let counter = 0;
function uniqueName(): string {
  counter += 1;
  return `api-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

function send(method: string, path: string, body?: unknown): Promise<Response> {
  return adminFetch(`/services${path}`, { method, headers: JSON_HEADERS, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
}

async function create(body: Record<string, unknown> = {}): Promise<Created> {
  const response = await send("POST", "", { name: uniqueName(), roles: ["deployer"], ...body });
  expect(response.status).toBe(201);
  return response.json<Created>();
}

async function authenticates(token: string): Promise<string> {
  const result = await authenticateService(bindings, keys, token, Date.now());
  return result.ok ? "ok" : result.reason;
}

/** What the calls in `run` wrote with console.log and console.warn. */
async function logsOf(run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const { log, warn } = console;
  console.log = (line: string) => lines.push(String(line));
  console.warn = (line: string) => lines.push(String(line));
  try {
    await run();
  } finally {
    console.log = log;
    console.warn = warn;
  }
  return lines.join("\n");
}

describe("POST /_gateway/admin/services", () => {
  it("answers 201 with the credential and its token, which works at once, and logs the creation without the token", async () => {
    const name = uniqueName();
    let response!: Response;
    const logs = await logsOf(async () => {
      response = await send("POST", "", { name, roles: ["deployer", "deployer", "reader"], expiresInSeconds: 3600 });
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json<Created>();
    expect(Object.keys(body).sort()).toEqual(["createdAt", "expiresAt", "id", "name", "roles", "token"]);
    expect(body).toMatchObject({ name, roles: ["deployer", "reader"] });
    expect(Date.parse(body.expiresAt!) - Date.parse(body.createdAt)).toBe(3_600_000);
    expect(body.token).toMatch(new RegExp(`^gws_${body.id}\\.`));
    expect(await authenticates(body.token)).toBe("ok");
    expect(logs).toMatch(new RegExp(`"event":"admin.service_created","service":"${body.id}","name":"${name}"`));
    expect(logs).not.toContain(body.token.split(".")[1]);
  });

  it("creates one that never expires, with no roles, when they are not given", async () => {
    const body = await create({ roles: undefined });
    expect(body).toMatchObject({ roles: [], expiresAt: null });
  });

  it("answers 409 for a name that is taken", async () => {
    const { name } = await create();
    const response = await send("POST", "", { name, roles: [] });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: "conflict", problem: `name: ${name} is taken` });
  });

  it(`answers 409 once there are ${MAX_SERVICES} credentials, and creates again once there is room`, { timeout: 60_000 }, async () => {
    const directory = directoryStub(bindings);
    const room = MAX_SERVICES - (await directory.list()).length;
    const fillers = Array.from({ length: room }, (_, index) => `filler-${index}-${crypto.randomUUID().slice(0, 8)}`);
    for (let start = 0; start < fillers.length; start += 100) {
      await Promise.all(fillers.slice(start, start + 100).map((id) => directory.reserve(id, id, Date.now())));
    }
    try {
      const response = await send("POST", "", { name: uniqueName() });
      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({ error: "conflict", problem: `there are ${MAX_SERVICES} service credentials, the most there may be: delete one first` });
    } finally {
      for (let start = 0; start < fillers.length; start += 100) await Promise.all(fillers.slice(start, start + 100).map((id) => directory.remove(id)));
    }
    await create();
  });

  it.each<[string, unknown, string]>([
    ["a name with capitals", { name: "CI-Deploy" }, "name: must be a name"],
    ["a name that starts with -", { name: "-deploy" }, "name: must be a name"],
    ["a name of 64 characters", { name: "a".repeat(64) }, "name: must be a name"],
    ["an empty name", { name: "" }, "name: must be a name"],
    ["no name", { roles: [] }, "name: is required"],
    ["a name that is not a string", { name: 7 }, "name: must be a string"],
    ["roles that are not an array", { name: "x", roles: "deployer" }, "roles: "],
    ["an empty role", { name: "x", roles: [""] }, "roles.0: "],
    ["a role with a comma", { name: "x", roles: ["a,b"] }, "roles.0: must not contain a comma"],
    ["a role over 100 characters", { name: "x", roles: ["r".repeat(101)] }, "roles.0: "],
    ["65 roles", { name: "x", roles: Array.from({ length: 65 }, (_, i) => `r${i}`) }, "roles: "],
    ["a lifetime of 0", { name: "x", expiresInSeconds: 0 }, "expiresInSeconds: must be at least 1"],
    ["a negative lifetime", { name: "x", expiresInSeconds: -60 }, "expiresInSeconds: must be at least 1"],
    ["a lifetime in fractions", { name: "x", expiresInSeconds: 1.5 }, "expiresInSeconds: must be a whole number of seconds"],
    ["a lifetime as a string", { name: "x", expiresInSeconds: "60" }, "expiresInSeconds: must be a number"],
    ["a lifetime over five years", { name: "x", expiresInSeconds: 5 * 365 * 86_400 + 1 }, "expiresInSeconds: must be at most 157680000"],
    ["an unknown key", { name: "x", enabled: false }, "enabled: is not one of name, roles, expiresInSeconds"],
    ["an array", [], "body: must be a JSON object with name, roles, expiresInSeconds"],
    ["null", null, "body: must be a JSON object"],
    ["not JSON", "{name: x}", "body: not valid UTF-8 JSON"],
    ["a body of 17 KiB", JSON.stringify({ name: "x", roles: ["r".repeat(17 * 1024)] }), "body: larger than 16384 bytes"],
  ])("answers 400 naming the problem for %s, and creates nothing", async (_, body, problem) => {
    const before = (await (await send("GET", "")).json<{ services: unknown[] }>()).services.length;
    const response = await send("POST", "", body);
    expect(response.status).toBe(400);
    const answer = await response.json<{ error: string; problem: string }>();
    expect(answer.error).toBe("bad_request");
    expect(answer.problem.startsWith(problem), answer.problem).toBe(true);
    expect((await (await send("GET", "")).json<{ services: unknown[] }>()).services.length).toBe(before);
  });

  it("answers 400 for a body that is not declared as JSON", async () => {
    const response = await adminFetch("/services", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ name: uniqueName() }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "bad_request", problem: "body: Content-Type must be application/json" });
  });
});

describe("the other calls", () => {
  it("GET lists every credential, never with a token or a hash", async () => {
    const created = [await create(), await create()];
    const response = await send("GET", "");
    expect(response.status).toBe(200);
    const text = await response.text();
    const { services } = JSON.parse(text) as { services: Record<string, unknown>[] };
    for (const { id, name } of created) expect(services).toContainEqual(expect.objectContaining({ id, name, enabled: true, lastUsedAt: null, previousTokenValidUntil: null }));
    for (const service of services) expect(Object.keys(service).sort()).toEqual(["createdAt", "enabled", "expiresAt", "id", "lastUsedAt", "name", "previousTokenValidUntil", "roles"]);
    for (const { token } of created) expect(text).not.toContain(token.split(".")[1]);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it("GET :id answers the credential; 404 for an unknown or malformed id", async () => {
    const { id, name, token } = await create();
    const response = await send("GET", `/${id}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ id, name, enabled: true });
    expect(text).not.toContain(token.split(".")[1]);
    for (const other of [UNKNOWN_ID, "not-an-id", token, `${id}x`]) expect((await send("GET", `/${encodeURIComponent(other)}`)).status, other).toBe(404);
  });

  it("PATCH disables and enables (effective from the next call) and changes the roles; logged", async () => {
    const { id, token } = await create();
    let response!: Response;
    const logs = await logsOf(async () => {
      response = await send("PATCH", `/${id}`, { enabled: false });
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id, enabled: false });
    expect(await authenticates(token)).toBe("disabled");
    expect(logs).toMatch(new RegExp(`"event":"admin.service_updated","service":"${id}".*"changed":\\["enabled"\\]`));
    expect(await (await send("PATCH", `/${id}`, { enabled: true, roles: ["reader"] })).json()).toMatchObject({ enabled: true, roles: ["reader"] });
    expect(await authenticateService(bindings, keys, token, Date.now())).toMatchObject({ ok: true, service: { roles: ["reader"] } });
  });

  it.each<[string, unknown]>([
    ["no change at all", {}],
    ["an unknown key", { name: "other" }],
    ["enabled that is not a boolean", { enabled: "no" }],
    ["a bad role", { roles: ["a,b"] }],
    ["not JSON", "enabled=false"],
  ])("PATCH answers 400 for %s and changes nothing", async (_, body) => {
    const { id, token } = await create();
    const response = await send("PATCH", `/${id}`, body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "bad_request", problem: expect.any(String) });
    expect(await authenticates(token)).toBe("ok");
  });

  it("PATCH answers 404 for an unknown or malformed id", async () => {
    expect((await send("PATCH", `/${UNKNOWN_ID}`, { enabled: false })).status).toBe(404);
    expect((await send("PATCH", "/nope", { enabled: false })).status).toBe(404);
  });

  it("POST :id/rotate answers a new token; with no grace the old one is refused at once", async () => {
    const { id, token } = await create();
    let response!: Response;
    const logs = await logsOf(async () => {
      response = await send("POST", `/${id}/rotate`, { graceSeconds: 0 });
    });
    expect(response.status).toBe(200);
    const body = await response.json<{ token: string; previousTokenValidUntil: string | null }>();
    expect(Object.keys(body).sort()).toEqual(["previousTokenValidUntil", "token"]);
    expect(body.previousTokenValidUntil).toBeNull();
    expect(body.token).toMatch(new RegExp(`^gws_${id}\\.`));
    expect(await authenticates(token)).toBe("rotated");
    expect(await authenticates(body.token)).toBe("ok");
    expect(logs).toMatch(new RegExp(`"event":"admin.service_rotated","service":"${id}".*"graceSeconds":0`));
    expect(logs).not.toContain(body.token.split(".")[1]);
  });

  it("POST :id/rotate with a grace keeps the old token until previousTokenValidUntil, up to 30 days", async () => {
    const { id, token } = await create();
    const before = Date.now();
    const response = await send("POST", `/${id}/rotate`, { graceSeconds: 2_592_000 });
    expect(response.status).toBe(200);
    const { previousTokenValidUntil } = await response.json<{ previousTokenValidUntil: string }>();
    expect(Date.parse(previousTokenValidUntil) - before).toBeGreaterThanOrEqual(2_592_000_000);
    expect(await authenticates(token)).toBe("ok");
    expect(await (await send("GET", `/${id}`)).json()).toMatchObject({ previousTokenValidUntil });
  });

  it.each<[string, unknown]>([
    ["a grace over 30 days", { graceSeconds: 2_592_001 }],
    ["a negative grace", { graceSeconds: -1 }],
    ["no grace given", {}],
    ["an unknown key", { graceSeconds: 0, now: true }],
  ])("POST :id/rotate answers 400 for %s and keeps the token", async (_, body) => {
    const { id, token } = await create();
    expect((await send("POST", `/${id}/rotate`, body)).status).toBe(400);
    expect(await authenticates(token)).toBe("ok");
  });

  it("POST :id/rotate answers 404 for an unknown id", async () => {
    expect((await send("POST", `/${UNKNOWN_ID}/rotate`, { graceSeconds: 0 })).status).toBe(404);
  });

  it("DELETE answers 204, the token is refused from the next call on, and the name is free; 404 after and for a malformed id", async () => {
    const { id, name, token } = await create();
    let response!: Response;
    const logs = await logsOf(async () => {
      response = await send("DELETE", `/${id}`);
    });
    expect(response.status).toBe(204);
    expect(await authenticates(token)).toBe("unknown");
    expect(logs).toMatch(new RegExp(`"event":"admin.service_deleted","service":"${id}","name":"${name}"`));
    expect((await send("GET", `/${id}`)).status).toBe(404);
    expect((await send("DELETE", `/${id}`)).status).toBe(404);
    expect((await send("DELETE", "/nope")).status).toBe(404);
    expect((await send("POST", "", { name })).status).toBe(201);
  });

  it("answers 401 without the admin token, whatever the call, and changes nothing", async () => {
    const { id, token } = await create();
    for (const [method, path] of [["GET", ""], ["POST", ""], ["GET", `/${id}`], ["PATCH", `/${id}`], ["POST", `/${id}/rotate`], ["DELETE", `/${id}`]] as const) {
      expect((await adminFetch(`/services${path}`, { method, headers: JSON_HEADERS, body: method === "GET" ? null : "{}" }, "wrong-token")).status, `${method} ${path}`).toBe(401);
    }
    // A service token is no admin token either.
    expect((await adminFetch("/services", {}, token)).status).toBe(401);
    expect(await authenticates(token)).toBe("ok");
  });

  it("answers 404 to every call when no ADMIN_TOKEN is configured", async () => {
    const response = await gatewayFetchWith({ ADMIN_TOKEN: "" } as Partial<Env>, "/_gateway/admin/services", { headers: { authorization: "Bearer anything" } });
    expect(response.status).toBe(404);
  });
});
