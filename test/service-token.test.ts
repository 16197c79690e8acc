/**
 * The service token (src/services/token.ts): `gws_<id>.<secret>.<mac>`, signed with the
 * SESSION_SECRET keys under its own MAC domain. Whatever is malformed or forged is refused at the
 * edge, before any Durable Object is asked (authenticateService).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { authenticateService } from "../src/services/store";
import { checkServiceToken, isServiceId, mintServiceToken, SERVICE_TOKEN_LENGTH, SERVICE_TOKEN_PREFIX, verifyServiceToken } from "../src/services/token";
import { importSessionKeys, mintToken, sessionSecrets, verifyToken } from "../src/session/token";

const bindings = env as unknown as Env;
const [SIGNING_KEY, OLD_KEY] = sessionSecrets(bindings.SESSION_SECRET!) as [string, string];
const keys = await importSessionKeys([SIGNING_KEY, OLD_KEY]);

/** The test env, whose service namespaces throw at any use and record it. */
function envWithoutServiceObjects(touched: string[]): Env {
  const untouchable = (name: string) =>
    new Proxy({}, {
      get(_, property) {
        touched.push(`${name}.${String(property)}`);
        throw new Error(`${name} must not be used for a token that does not verify`);
      },
    });
  return { ...bindings, SERVICES: untouchable("SERVICES"), SERVICE_DIRECTORY: untouchable("SERVICE_DIRECTORY") } as unknown as Env;
}

describe("a service token", () => {
  it("is gws_ and two 128-bit parts in canonical base64url with a MAC, 93 characters, and verifies", async () => {
    const { id, secret, token } = await mintServiceToken(keys);
    expect(token).toMatch(/^gws_[A-Za-z0-9_-]{21}[AQgw]\.[A-Za-z0-9_-]{21}[AQgw]\.[A-Za-z0-9_-]{43}$/);
    expect(token).toHaveLength(SERVICE_TOKEN_LENGTH);
    expect(SERVICE_TOKEN_LENGTH).toBe(93);
    expect(token.startsWith(`${SERVICE_TOKEN_PREFIX}${id}.${secret}.`)).toBe(true);
    expect(isServiceId(id)).toBe(true);
    expect(await verifyServiceToken(keys, token)).toEqual({ id, secret });
    const other = await mintServiceToken(keys);
    expect(other.id).not.toBe(id);
    expect(other.secret).not.toBe(secret);
  });

  it("keeps its id and changes its secret when minted again for a rotation", async () => {
    const first = await mintServiceToken(keys);
    const rotated = await mintServiceToken(keys, first.id);
    expect(rotated.id).toBe(first.id);
    expect(rotated.secret).not.toBe(first.secret);
    expect(await verifyServiceToken(keys, rotated.token)).toEqual({ id: first.id, secret: rotated.secret });
  });

  it("verifies when signed by an older SESSION_SECRET key that is still listed, and not once it is gone", async () => {
    const { token } = await mintServiceToken(await importSessionKeys([OLD_KEY]));
    expect(await verifyServiceToken(keys, token)).not.toBeNull();
    expect(await verifyServiceToken(await importSessionKeys([SIGNING_KEY]), token)).toBeNull();
  });

  it("is refused when it is a session token, and a session token never passes as one (domain-separated MACs)", async () => {
    const session = await mintToken(keys);
    expect(await checkServiceToken(keys, `${SERVICE_TOKEN_PREFIX}${session.token}`)).toEqual({ ok: false, reason: "forged" });
    expect(await checkServiceToken(keys, session.token)).toEqual({ ok: false, reason: "malformed" });
    const service = await mintServiceToken(keys);
    expect(await verifyToken(keys, service.token.slice(SERVICE_TOKEN_PREFIX.length))).toBeNull();
    expect(await verifyToken(keys, service.token)).toBeNull();
  });

  it.each<[string, (token: string) => string, "malformed" | "forged"]>([
    ["signed with a key this gateway never had", (token) => token, "forged"],
    ["with its MAC changed", (token) => `${token.slice(0, -2)}${token.at(-2) === "A" ? "B" : "A"}${token.at(-1)}`, "forged"],
    ["with another secret under the same MAC", (token) => token.replace(/\.[^.]+\./, `.${"A".repeat(22)}.`), "forged"],
    ["truncated by one character", (token) => token.slice(0, -1), "malformed"],
    ["with one character more", (token) => `${token}A`, "malformed"],
    ["without its prefix", (token) => token.slice(SERVICE_TOKEN_PREFIX.length), "malformed"],
    ["with its prefix in capitals", (token) => `GWS_${token.slice(4)}`, "malformed"],
    ["with a non-canonical last character of the id", (token) => `${token.slice(0, 25)}B${token.slice(26)}`, "malformed"],
    ["of 16 KiB", () => `gws_${"A".repeat(16 * 1024)}`, "malformed"],
    ["empty", () => "", "malformed"],
    ["of the right length and no shape", () => "gws_" + "!".repeat(SERVICE_TOKEN_LENGTH - 4), "malformed"],
  ])("is refused %s, without any Durable Object", async (name, alter, reason) => {
    const signer = name.startsWith("signed with") ? await importSessionKeys(["a-key-this-gateway-never-had-0123456789abcdef"]) : keys;
    const token = alter((await mintServiceToken(signer)).token);
    expect(await verifyServiceToken(keys, token)).toBeNull();
    expect(await checkServiceToken(keys, token)).toEqual({ ok: false, reason });
    const touched: string[] = [];
    expect(await authenticateService(envWithoutServiceObjects(touched), keys, token, Date.now())).toEqual({ ok: false, reason });
    expect(touched).toEqual([]);
  });

  it("asks its Durable Object once it verifies (the proof above would notice a call)", async () => {
    const touched: string[] = [];
    const { token } = await mintServiceToken(keys);
    await expect(authenticateService(envWithoutServiceObjects(touched), keys, token, Date.now())).rejects.toThrow(/must not be used/);
    expect(touched).toEqual(["SERVICES.get"]);
  });
});
