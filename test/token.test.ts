import { beforeAll, describe, expect, it } from "vitest";
import { hashSecret, importSessionKeys, isPublicId, mintToken, TOKEN_LENGTH, verifyToken, type SessionKeys } from "../src/session/token";

const NEW_KEY = "new-signing-key-0123456789abcdef0123456789";
const OLD_KEY = "old-signing-key-0123456789abcdef0123456789";
const OTHER_KEY = "someone-elses-key-0123456789abcdef012345678";
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

let keys: SessionKeys;
let valid: string;

beforeAll(async () => {
  keys = await importSessionKeys([NEW_KEY]);
  valid = (await mintToken(keys)).token;
});

/** Bytes of a base64url string, as the forgiving decoder reads it (unused bits ignored). */
function decode(text: string): number[] {
  return [...atob(text.replaceAll("-", "+").replaceAll("_", "/"))].map((char) => char.charCodeAt(0));
}

describe("mintToken", () => {
  it("gives <publicId>.<secret>.<mac>, three base64url parts", async () => {
    const minted = await mintToken(keys);
    const parts = minted.token.split(".");
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parts[0]).toBe(minted.publicId);
    expect(parts[1]).toBe(minted.secret);
    expect(minted.token).toHaveLength(TOKEN_LENGTH);
  });

  it("draws a 128-bit public id and a 128-bit secret, and a 256-bit MAC", async () => {
    const { token } = await mintToken(keys);
    const [publicId, secret, mac] = token.split(".") as [string, string, string];
    expect(decode(publicId)).toHaveLength(16);
    expect(decode(secret)).toHaveLength(16);
    expect(decode(mac)).toHaveLength(32);
  });

  it("never repeats a public id or a secret over 1,000 mints", async () => {
    const minted = await Promise.all(Array.from({ length: 1000 }, () => mintToken(keys)));
    const ids = new Set(minted.map((token) => token.publicId));
    const secrets = new Set(minted.map((token) => token.secret));
    expect(ids.size).toBe(1000);
    expect(secrets.size).toBe(1000);
    expect(new Set([...ids, ...secrets]).size).toBe(2000);
  });

  it("spreads the random bits: every base64url character appears across 1,000 secrets", async () => {
    // A weak sanity check of the CSPRNG wiring (a constant or counter would fail it).
    const minted = await Promise.all(Array.from({ length: 1000 }, () => mintToken(keys)));
    const seen = new Set(minted.flatMap((token) => [...token.secret.slice(0, 21)]));
    expect(seen.size).toBe(64);
  });
});

describe("verifyToken", () => {
  it("accepts its own token and returns its parts", async () => {
    const minted = await mintToken(keys);
    expect(await verifyToken(keys, minted.token)).toEqual({ publicId: minted.publicId, secret: minted.secret });
  });

  it("accepts a token signed with an old key while that key is listed after the new one", async () => {
    const oldToken = (await mintToken(await importSessionKeys([OLD_KEY]))).token;
    const rotated = await importSessionKeys([NEW_KEY, OLD_KEY]);
    expect(await verifyToken(rotated, oldToken)).not.toBeNull();
  });

  it("signs new tokens with the first key only", async () => {
    const rotated = await importSessionKeys([NEW_KEY, OLD_KEY]);
    const { token } = await mintToken(rotated);
    expect(await verifyToken(await importSessionKeys([NEW_KEY]), token)).not.toBeNull();
    expect(await verifyToken(await importSessionKeys([OLD_KEY]), token)).toBeNull();
  });

  it("refuses a token from a key that has been removed", async () => {
    const oldToken = (await mintToken(await importSessionKeys([OLD_KEY]))).token;
    expect(await verifyToken(await importSessionKeys([NEW_KEY]), oldToken)).toBeNull();
  });

  it("refuses a token signed with someone else's key", async () => {
    const foreign = (await mintToken(await importSessionKeys([OTHER_KEY]))).token;
    expect(await verifyToken(keys, foreign)).toBeNull();
  });

  it.each<[string, (token: string) => string]>([
    ["empty", () => ""],
    ["truncated by one character", (token) => token.slice(0, -1)],
    ["truncated to two parts", (token) => token.split(".").slice(0, 2).join(".")],
    ["extended by one character", (token) => `${token}A`],
    ["extended by a fourth part", (token) => `${token}.AAAA`],
    ["with padding", (token) => `${token}=`],
    ["with a leading space", (token) => ` ${token}`],
    ["with a trailing newline", (token) => `${token}\n`],
    ["with standard base64 characters", (token) => token.replaceAll("-", "+").replaceAll("_", "/").replace(/^[^.]/, "+")],
    ["with parts of the wrong lengths", (token) => {
      const [id, secret, mac] = token.split(".") as [string, string, string];
      return `${id}A.${secret.slice(1)}.${mac}`;
    }],
    ["with the dots moved", (token) => token.replaceAll(".", "").replace(/^(.{23})(.{22})/, "$1.$2.")],
    ["garbage of the right length", () => "x".repeat(TOKEN_LENGTH)],
    ["garbage with the right shape", () => `${"A".repeat(22)}.${"A".repeat(22)}.${"A".repeat(43)}`],
    ["quotes and angle brackets", () => `'"<>;`],
    ["4 KB", () => "A".repeat(4096)],
    ["upper-cased", (token) => token.toUpperCase()],
  ])("refuses a token %s", async (_, mutate) => {
    expect(await verifyToken(keys, mutate(valid))).toBeNull();
  });

  it("refuses every single-character change at every position", async () => {
    const accepted: string[] = [];
    for (let position = 0; position < valid.length; position++) {
      for (const char of `${BASE64URL}.=+/ `) {
        if (char === valid[position]) continue;
        const mutated = `${valid.slice(0, position)}${char}${valid.slice(position + 1)}`;
        if (await verifyToken(keys, mutated)) accepted.push(mutated);
      }
    }
    expect(accepted).toEqual([]);
  });

  it("refuses non-canonical last characters that decode to the same bytes", async () => {
    const [id, secret, mac] = valid.split(".") as [string, string, string];
    // The unused low bits of each part's last character: 4 for a 16-byte part, 2 for 32 bytes.
    const alias = (part: string, unusedBits: number) => {
      const index = BASE64URL.indexOf(part.at(-1)!);
      return `${part.slice(0, -1)}${BASE64URL[index | ((1 << unusedBits) - 1)]}`;
    };
    const aliases = [
      `${alias(id, 4)}.${secret}.${mac}`,
      `${id}.${alias(secret, 4)}.${mac}`,
      `${id}.${secret}.${alias(mac, 2)}`,
    ];
    for (const token of aliases) {
      expect(token).not.toBe(valid);
      expect(token.split(".").map(decode)).toEqual(valid.split(".").map(decode));
      expect(await verifyToken(keys, token)).toBeNull();
    }
  });

  it("refuses a token whose public id comes from another token", async () => {
    const other = await mintToken(keys);
    const [, secret, mac] = valid.split(".") as [string, string, string];
    expect(await verifyToken(keys, `${other.publicId}.${secret}.${mac}`)).toBeNull();
  });

  it("refuses a token whose secret comes from another token", async () => {
    const other = await mintToken(keys);
    const [id, , mac] = valid.split(".") as [string, string, string];
    expect(await verifyToken(keys, `${id}.${other.secret}.${mac}`)).toBeNull();
  });
});

describe("importSessionKeys", () => {
  it("refuses an empty key list", async () => {
    await expect(importSessionKeys([])).rejects.toThrow();
  });
});

describe("hashSecret", () => {
  it("gives the hex SHA-256 of the secret", async () => {
    // FIPS 180-2 test vector
    expect(await hashSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("gives 64 lower-case hex digits that do not contain the secret", async () => {
    const { secret } = await mintToken(keys);
    const hash = await hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
  });
});

describe("isPublicId", () => {
  it("accepts a minted public id", async () => {
    expect(isPublicId((await mintToken(keys)).publicId)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["too short", "A".repeat(21)],
    ["too long", "A".repeat(23)],
    ["non-canonical last character", `${"A".repeat(21)}B`],
    ["standard base64", `${"+".repeat(21)}A`],
    ["with padding", `${"A".repeat(22)}==`],
    ["path traversal", `../${"A".repeat(19)}`],
  ])("refuses %s", (_, value) => {
    expect(isPublicId(value)).toBe(false);
  });

  it("refuses a whole token", () => {
    expect(isPublicId(valid)).toBe(false);
  });
});
