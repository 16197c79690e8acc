/** The admin console's tests (test/admin-console*.test.ts): its setting, and requests as a signed-in user. */
import type { Env } from "../src/env";
import type { SessionUser } from "../src/session/types";
import { asciiJson, COOKIE_NAME, gatewayFetchWith, sessionTokenFrom } from "./helpers";

export const CONSOLE = { ADMIN_ROLE: "ops" } as Partial<Env>;
export const NAVIGATION = { "sec-fetch-mode": "navigate", "sec-fetch-site": "none", accept: "text/html" };
export const FORM = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", origin: "https://gateway.test" };
export const idOf = (token: string) => token.split(".")[0]!;

export function withConsole(path: string, init: RequestInit = {}, overrides: Partial<Env> = CONSOLE) {
  return gatewayFetchWith(overrides, path, init);
}

export async function loginWith(user: SessionUser, overrides: Partial<Env> = CONSOLE): Promise<string> {
  const response = await withConsole("/login", { method: "POST", headers: { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": asciiJson(user) }) } }, overrides);
  return sessionTokenFrom(response)!;
}

/** A request with the session cookie of `token`. */
export function as(token: string, path: string, init: RequestInit = {}, overrides: Partial<Env> = CONSOLE) {
  const headers = new Headers(init.headers);
  headers.set("cookie", `${COOKIE_NAME}=${token}`);
  return withConsole(path, { ...init, headers }, overrides);
}

/** What `run` wrote with console.log. */
export async function captureLogs(run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (line: string) => lines.push(String(line));
  try {
    await run();
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}
