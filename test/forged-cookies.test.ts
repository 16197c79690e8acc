import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createSession } from "../src/session/store";
import { importSessionKeys, mintToken } from "../src/session/token";
import { COOKIE_NAME, type EchoBody, echoHeader, fetchWithSession, gatewayFetch, login, uniqueUser } from "./helpers";

const [SIGNING_KEY, OLD_KEY] = env.SESSION_SECRET!.split(",") as [string, string];

async function durableObjectCount(): Promise<number> {
  return (await listDurableObjectIds(env.SESSIONS)).length + (await listDurableObjectIds(env.USER_SESSIONS)).length;
}

describe("cookies that are not ours", () => {
  it("refuses tampered, unsigned, foreign-key and garbage cookies without creating any Durable Object", async () => {
    const beforeLogin = await durableObjectCount();
    const { token } = await login(uniqueUser());
    expect(await durableObjectCount()).toBe(beforeLogin + 2); // the session and its user index
    const [publicId, secret, mac] = token.split(".") as [string, string, string];
    const otherKeys = await importSessionKeys(["a-key-this-gateway-never-had-0123456789abcdef"]);
    const foreign = (await mintToken(otherKeys)).token;
    const flipped = mac.startsWith("A") ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;
    const cookies = [
      `${publicId}.${secret}.${flipped}`,
      `${publicId}.${secret}`,
      `${publicId}.${secret}.`,
      token.slice(0, -1),
      `${token}A`,
      foreign,
      "garbage",
      "",
      "x".repeat(4096),
      `'"<>;\\`,
      `${token.split(".")[0]}.${"A".repeat(22)}.${mac}`,
    ];
    const before = await durableObjectCount();
    for (const value of cookies) {
      const response = await gatewayFetch("/anything", { headers: { cookie: `${COOKIE_NAME}=${value}` } });
      expect(response.status, value).toBe(401);
    }
    expect(await durableObjectCount()).toBe(before);
  });

  it("answers an HTML navigation with a forged cookie by redirecting to login and clearing the cookie", async () => {
    const response = await gatewayFetch("/anything", { headers: { cookie: `${COOKIE_NAME}=garbage`, accept: "text/html" } });
    expect(response.status).toBe(302);
    expect(response.headers.getSetCookie()[0]).toMatch(new RegExp(`^${COOKIE_NAME}=; Max-Age=0`));
  });

  it("accepts the token only from the exact cookie name", async () => {
    const { token } = await login(uniqueUser());
    const attempts: RequestInit[] = [
      { headers: { authorization: `Bearer ${token}` } },
      { headers: { cookie: `session=${token}` } },
      { headers: { cookie: `__host-session=${token}` } },
      { headers: { cookie: `${COOKIE_NAME}X=${token}` } },
    ];
    for (const init of attempts) {
      expect((await gatewayFetch("/anything", init)).status).toBe(401);
    }
    expect((await gatewayFetch(`/anything?sid=${token}`)).status).toBe(401);
  });

  it("refuses two session cookies in one request, even when one of them is valid", async () => {
    const { token } = await login(uniqueUser());
    const response = await gatewayFetch("/anything", { headers: { cookie: `${COOKIE_NAME}=${token}; ${COOKIE_NAME}=other` } });
    expect(response.status).toBe(401);
  });
});

describe("key rotation", () => {
  it("verifies a session signed with an older key that is still listed", async () => {
    const oldKeys = await importSessionKeys([OLD_KEY]);
    const user = uniqueUser();
    const { token } = await createSession(env, { sessionKeys: oldKeys, idleTimeoutSeconds: 600, absoluteTimeoutSeconds: 3600, maxSessionsPerUser: 0 }, "gateway.test", user, {});
    const response = await fetchWithSession(token, "/anything");
    expect(response.status).toBe(200);
    expect(echoHeader(await response.json<EchoBody>(), "x-auth-user")).toBe(user.sub);
  });

  it("signs new sessions with the first key", async () => {
    const { token } = await login(uniqueUser());
    const firstOnly = await importSessionKeys([SIGNING_KEY]);
    const [publicId, secret, mac] = token.split(".") as [string, string, string];
    const expected = await crypto.subtle.sign("HMAC", firstOnly.signing, new TextEncoder().encode(`v1:${publicId}.${secret}`));
    const expectedMac = btoa(String.fromCharCode(...new Uint8Array(expected))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    expect(mac).toBe(expectedMac);
  });
});
