/**
 * What is legal but probably not what the operator meant. The Worker logs each of these once
 * per isolate (resolve.ts); `npm run check` prints them (scripts/check-config.mjs).
 */
import { withoutUrlSecrets } from "./schemas";
import { SETTINGS } from "./settings";
import { closestName } from "./suggest";

export interface ConfigWarning {
  /** The log line's event name. */
  readonly event: string;
  /** For a person: what is wrong and what to do. */
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** The bindings in wrangler.toml that are not settings: the Durable Object namespaces. */
const BINDINGS = ["SESSIONS", "USER_SESSIONS", "IDP_SESSIONS", "LOGOUT_TOKENS", "SERVICES", "SERVICE_DIRECTORY"];
const KNOWN = [...Object.keys(SETTINGS), ...BINDINGS];

/**
 * Every name the Worker was given that it never reads: a misspelled setting is otherwise
 * silently ignored and its default applies.
 */
export function unknownNameWarnings(env: object, originBindings: readonly string[] = []): ConfigWarning[] {
  return Object.keys(env)
    // Names starting with "__" belong to tooling (vitest-pool-workers' loopback service); the
    // service bindings ORIGINS names are read through it.
    .filter((name) => !KNOWN.includes(name) && !name.startsWith("__") && !originBindings.includes(name))
    .sort()
    .map((name) => {
      const suggestion = closestName(name, KNOWN);
      return {
        event: "config.unknown_setting",
        message: `${name} is not a setting of the gateway and is ignored${suggestion ? ` (did you mean ${suggestion}?)` : ""}`,
        fields: { name, suggestion },
      };
    });
}

/** ORIGIN_URL beside the ORIGIN binding: the binding wins, and ORIGIN_URL is silently unused. */
export function originWarnings(env: { ORIGIN_URL?: unknown; ORIGIN?: unknown }): ConfigWarning[] {
  if (!env.ORIGIN || env.ORIGIN_URL === undefined || env.ORIGIN_URL === "") return [];
  return [
    {
      event: "config.origin_url_ignored",
      message:
        "ORIGIN_URL is ignored: the ORIGIN service binding is set and takes precedence. Remove one of them " +
        "(for your own app, delete the [[services]] block of wrangler.toml, or run `npm run dev -- --origin <url>`)",
      fields: { ORIGIN_URL: typeof env.ORIGIN_URL === "string" ? withoutUrlSecrets(env.ORIGIN_URL) : env.ORIGIN_URL },
    },
  ];
}

export function shortIdleTimeoutWarning(idleTimeoutSeconds: number): ConfigWarning[] {
  if (idleTimeoutSeconds >= 60) return [];
  return [
    {
      event: "config.short_idle_timeout",
      message: `IDLE_TIMEOUT_SECONDS (${idleTimeoutSeconds}) is under 60 s: meant for tests and demos`,
      fields: { IDLE_TIMEOUT_SECONDS: idleTimeoutSeconds, note: "under 60 s: for tests and demos" },
    },
  ];
}
