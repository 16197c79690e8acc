/**
 * Every setting, written once: its name, kind, default and documentation. The Env type
 * (env.ts), the defaults the parser falls back to (resolve.ts), and README's two settings
 * tables (between the `settings:` markers; `npm run docs:settings` rewrites them) all come
 * from this table, and a test fails when README and the table differ. Each setting's schema
 * is at its one parse line in resolve.ts (or auth/oidc/settings.ts).
 *
 * No imports: Node reads this file as it is (type stripping) to write README.
 */

export interface Setting {
  /** How it reaches the Worker: `[vars]`, a secret, or a binding. */
  readonly kind: "var" | "var (array)" | "var (table)" | "secret" | "service binding" | "rate-limit binding" | "Analytics Engine binding";
  /** README table it belongs to: the main one, or OIDC's. */
  readonly section: "core" | "oidc";
  /** The value used when the setting is absent. */
  readonly default?: unknown;
  /** No default: the configuration is invalid without it (in its mode). */
  readonly required?: boolean;
  /** What README shows as the default where it is not a plain value (derived, or a binding's). */
  readonly shown?: string;
  /** README's text (Markdown). */
  readonly meaning: string;
}

export const SETTINGS = {
  ORIGIN_URL: {
    kind: "var",
    section: "core",
    meaning:
      "The default origin's base URL, `http(s)://host[:port]`, optionally with a path prefix (`https://internal.example.com/app`: the request path is appended to it). Not needed when the origin is bound as the `ORIGIN` service.",
  },
  ORIGIN: {
    kind: "service binding",
    section: "core",
    meaning:
      "The origin as a Worker service binding; used instead of `ORIGIN_URL` when present.",
  },
  ORIGINS: {
    kind: "var (table)",
    section: "core",
    default: {},
    meaning:
      "More origins, by name: a base URL (a path prefix allowed), `{ url = \"…\" }` or `{ service = \"BINDING\" }`; a table may name the `audience` of the assertions sent to it (default: the default origin's + `#` + the name). A rule sends to one with `origin = \"name\"`; see [Several apps behind one gateway](#several-apps-behind-one-gateway).",
  },
  PRESERVE_HOST: {
    kind: "var",
    section: "core",
    default: false,
    meaning:
      "Send the client's `Host` to URL origins instead of the origin URL's host (on Cloudflare, both hostnames must be in the Worker's zone). Service bindings always see the client's URL.",
  },
  ROUTES: {
    kind: "var (array)",
    section: "core",
    default: [],
    meaning:
      "Ordered access rules, see [Routes and paths](#routes-and-paths).",
  },
  DEFAULT_ACCESS: {
    kind: "var",
    section: "core",
    default: "session",
    meaning:
      "Access for a request no rule matches: `\"public\"`, `\"session\"` or requirements (`{ roles = [...] }`, [Who gets in](#who-gets-in)). Keep the default: deny by default.",
  },
  ALLOWED_USERS: {
    kind: "var",
    section: "core",
    shown: "`\"any\"` (delegated); required in OIDC mode",
    meaning:
      "Who may have a session at all: `\"any\"`, or requirements (as in `access`, without `maxAuthAgeSeconds`), checked at login and on every request. See [Who gets in](#who-gets-in).",
  },
  TRUSTED_ISSUERS: {
    kind: "var (array)",
    section: "core",
    default: [],
    meaning:
      "Issuers whose JWTs are workload tokens (GitHub Actions, Kubernetes, SPIFFE): `{ name, issuer, audiences, jwksUrl?, algorithms?, subjectClaim?, rolesClaim?, maxTokenLifetimeSeconds? }`. Only rules whose `principals` include `\"workload\"` read them. See [Machines and CI](#machines-and-ci).",
  },
  CASE_INSENSITIVE_PATHS: {
    kind: "var",
    section: "core",
    default: false,
    meaning:
      "Match rules ignoring case, for origins that ignore it (`/ADMIN` is then matched as `/admin`).",
  },
  IDLE_TIMEOUT_SECONDS: {
    kind: "var",
    section: "core",
    default: 1800,
    meaning:
      "A session unused this long is over. Any whole number ≥ 1; under 60 logs a warning (meant for tests and demos).",
  },
  ABSOLUTE_TIMEOUT_SECONDS: {
    kind: "var",
    section: "core",
    default: 28800,
    meaning:
      "A session is over this long after login, however active. ≥ the idle timeout, ≤ 400 days.",
  },
  COOKIE_NAME: {
    kind: "var",
    section: "core",
    default: "__Host-session",
    meaning:
      "The session cookie's name: it starts with `__Host-`, or with `__Secure-` when `COOKIE_DOMAIN` is set.",
  },
  COOKIE_DOMAIN: {
    kind: "var",
    section: "core",
    shown: "— (one hostname)",
    meaning:
      "Share one session across the subdomains of this domain (`example.com`): the cookie becomes `__Secure-session` with `Domain=`. Every host under it receives the session token: read [the risk](docs/several-apps.md#one-session-across-subdomains) first.",
  },
  LOGIN_URL: {
    kind: "var",
    section: "core",
    default: "/login",
    meaning:
      "Where `/_gateway/login` sends a browser without a session: the origin's login page (a path on this site), or one per host (`{ \"admin.example.com\" = \"/signin\", \"*\" = \"/login\" }`). `return_to` is appended.",
  },
  LOGIN_ROUTES: {
    kind: "var (array)",
    section: "core",
    default: ["/login"],
    meaning:
      "Origin paths (URLPattern pathnames) whose responses may log a user in with `X-Gateway-Login`, or a list per host (`{ \"admin.example.com\" = [\"/signin\"], \"*\" = [] }`).",
  },
  LOGIN_CALLBACK_ROUTES: {
    kind: "var (array)",
    section: "core",
    default: [],
    meaning:
      "Login routes (as `LOGIN_ROUTES`, which they need not repeat) that a browser reaches from another site by design: a magic link, the origin's own OAuth or SAML callback. `X-Gateway-Login` counts there on a cross-site top-level navigation (GET or POST) too, so the origin must check its own one-time code or `state`. See [Magic links and the origin's own callbacks](#magic-links-and-the-origins-own-callbacks).",
  },
  AUTH_MODE: {
    kind: "var",
    section: "core",
    default: "delegated",
    meaning:
      "How users log in. `\"delegated\"`: the origin logs them in ([below](#logging-users-in-delegated-login)). `\"oidc\"`: an OpenID Provider does ([docs/oidc.md](docs/oidc.md)).",
  },
  SESSION_SECRET: {
    kind: "secret",
    section: "core",
    required: true,
    meaning:
      "Key(s) that sign session cookies, each ≥ 32 characters, comma-separated: the **first signs, all verify**.",
  },
  ADMIN_TOKEN: {
    kind: "secret",
    section: "core",
    meaning:
      "Bearer token for the admin API, ≥ 32 characters. Not set ⇒ the admin API answers 404.",
  },
  ADMIN_ROLE: {
    kind: "var",
    section: "core",
    shown: "none",
    meaning:
      "Users with this role get the admin console at `/_gateway/admin/` (look up a user, end their sessions), authorized by their session. Not set ⇒ no console; the bearer-token API is unchanged.",
  },
  ORIGIN_TIMEOUT_SECONDS: {
    kind: "var",
    section: "core",
    default: 30,
    meaning:
      "How long to wait for the origin's response headers before answering 504. The body then streams for as long as it takes.",
  },
  BRAND_NAME: {
    kind: "var",
    section: "core",
    default: "Sign-in",
    meaning:
      "The name every gateway page shows (sign-in, sign-out, your sessions, errors), 1 to 60 characters.",
  },
  BRAND_LOGO_URL: {
    kind: "var",
    section: "core",
    shown: "none",
    meaning:
      "A logo for those pages: an https URL or a path on this site (`/logo.svg`). The pages' CSP admits its origin.",
  },
  BRAND_COLOR: {
    kind: "var",
    section: "core",
    default: "#1d4ed8",
    meaning:
      "The accent of those pages (buttons, links), `#rrggbb`.",
  },
  MAX_SESSIONS_PER_USER: {
    kind: "var",
    section: "core",
    default: 10,
    meaning:
      "Live sessions one user may have. A login beyond it revokes that user's oldest session before it answers. `0`: no cap.",
  },
  MAX_CONNECTIONS_PER_SESSION: {
    kind: "var",
    section: "core",
    default: 100,
    meaning:
      "Live connections one session may hold through the gateway: relayed WebSockets and streamed answers. A handshake beyond it is answered 429 before the origin is contacted (a stream beyond it: 429, or cut if it was already under way); see [docs/live-connections.md](docs/live-connections.md). `0`: no cap.",
  },
  MAX_CONNECTIONS_PER_USER: {
    kind: "var",
    section: "core",
    default: 500,
    meaning:
      "Live connections one user may hold across all of their sessions, counted as `MAX_CONNECTIONS_PER_SESSION` is; beyond it, 429. `0`: no cap.",
  },
  END_SESSION_ON_USER_AGENT_CHANGE: {
    kind: "var",
    section: "core",
    default: false,
    meaning:
      "End a session when a request carries another `User-Agent` than the login's. A change of address or User-Agent is always logged (`session.client_changed`).",
  },
  COOKIE_FAILURE_LIMITER: {
    kind: "rate-limit binding",
    section: "core",
    shown: "100 per 60 s",
    meaning:
      "Cookies that fail the signature check, counted per client address (`CF-Connecting-IP`); past the limit the client gets 429. Without the binding, failures are only logged. See `[[ratelimits]]` in `wrangler.toml`.",
  },
  ASSERTION_KEYS: {
    kind: "secret",
    section: "core",
    meaning:
      "Private JWKs that sign `X-Auth-Assertion`, as a JSON array, each with a unique `kid`: EC P-256 (`ES256`) or Ed25519 (`EdDSA`). The **first signs, all are published** at `/_gateway/jwks.json`. `npm run assertion-key` makes one. Not set ⇒ no assertion. See [How your origin trusts the gateway](#how-your-origin-trusts-the-gateway).",
  },
  ASSERTION_ISSUER: {
    kind: "var",
    section: "core",
    shown: "`https://` + the request's host",
    meaning:
      "The assertion's `iss` claim.",
  },
  ASSERTION_AUDIENCE: {
    kind: "var",
    section: "core",
    shown: "the `iss` value",
    meaning:
      "The assertion's `aud` claim (one string) for the default origin: what it checks it is the audience of. Each origin in `ORIGINS` gets its own ([one audience per origin](docs/assertion.md#one-audience-per-origin)).",
  },
  GATEWAY_METRICS: {
    kind: "Analytics Engine binding",
    section: "core",
    shown: "— (off)",
    meaning:
      "Workers Analytics Engine dataset: one data point per access decision and per session event (outcome, reason, rule, latency). See [docs/operations.md](docs/operations.md). `[[analytics_engine_datasets]]` in `wrangler.toml`.",
  },
  OIDC_ISSUER: {
    kind: "var",
    section: "oidc",
    required: true,
    meaning:
      "The provider's issuer identifier, exactly as its discovery document (`<issuer>/.well-known/openid-configuration`) states it, trailing slash or not. `https://`; plain `http://` only for `localhost`, `127.0.0.1` and `[::1]` (local development).",
  },
  OIDC_CLIENT_ID: {
    kind: "var",
    section: "oidc",
    required: true,
    meaning:
      "The gateway's client id at the provider.",
  },
  OIDC_CLIENT_SECRET: {
    kind: "secret",
    section: "oidc",
    required: true,
    meaning:
      "The client secret (`wrangler secret put OIDC_CLIENT_SECRET`). Sent with `client_secret_basic`, or `client_secret_post` when the provider supports only that.",
  },
  OIDC_REDIRECT_URI: {
    kind: "var",
    section: "oidc",
    required: true,
    meaning:
      "The callback, an absolute URL ending in `/_gateway/callback` on the host your users use, e.g. `https://app.example.com/_gateway/callback`. Fixed: never built from the request's `Host`.",
  },
  OIDC_POST_LOGOUT_REDIRECT_URI: {
    kind: "var",
    section: "oidc",
    shown: "origin of `OIDC_REDIRECT_URI` + `/`",
    meaning:
      "Where the provider sends the browser after logout.",
  },
  OIDC_SCOPES: {
    kind: "var",
    section: "oidc",
    default: "openid email profile",
    meaning:
      "Scopes of the authorization request; must include `openid`. Add the scope your provider needs for groups/roles, if any.",
  },
  OIDC_SUB_CLAIM: {
    kind: "var",
    section: "oidc",
    default: "sub",
    meaning:
      "Claim that becomes the user id (`X-Auth-User`). Keep `sub` unless you know better: it is the only claim OIDC promises is stable and never reassigned (Entra ID's `oid` is another good choice; never `email` or `preferred_username`).",
  },
  OIDC_EMAIL_CLAIM: {
    kind: "var",
    section: "oidc",
    default: "email",
    meaning:
      "Claim for `X-Auth-Email`. With the default, an address counts only when the provider sends `email_verified` as `true` (or the string `\"true\"`); `false`, absent or anything else leaves it out (logged), so an origin that keys accounts by email is never handed an address nobody verified. A custom claim is taken as it is.",
  },
  OIDC_NAME_CLAIM: {
    kind: "var",
    section: "oidc",
    default: "name",
    meaning:
      "Claim for `X-Auth-Name`.",
  },
  OIDC_ROLES_CLAIM: {
    kind: "var",
    section: "oidc",
    default: "groups",
    meaning:
      "Claim for the roles (`X-Auth-Roles`, and the `roles` of `ROUTES`): an array of strings, or one string.",
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

type KindOf<K extends SettingName> = (typeof SETTINGS)[K]["kind"];

/** The settings as bindings: a var arrives as a string or a TOML value; a secret as a string. */
export type SettingsEnv = {
  [K in SettingName as KindOf<K> extends "var" | "var (array)" | "var (table)" | "secret" ? K : never]?: KindOf<K> extends "secret" ? string : unknown;
};

/** The default of a setting that has one, typed as written above. */
export function defaultOf<K extends SettingName>(name: K): (typeof SETTINGS)[K] extends { default: infer D } ? D : never {
  return (SETTINGS[name] as Setting).default as never;
}

function shownDefault(setting: Setting): string {
  if (setting.default !== undefined) return `\`${JSON.stringify(setting.default)}\``;
  if (setting.shown) return setting.shown;
  return setting.required ? "— (required)" : "—";
}

/** README's table for one section, as Markdown. */
export function settingsTable(section: Setting["section"]): string {
  const rows = Object.entries(SETTINGS as Record<string, Setting>)
    .filter(([, setting]) => setting.section === section)
    .map(([name, setting]) => `| \`${name}\` | ${setting.kind} | ${shownDefault(setting)} | ${setting.meaning} |`);
  return ["| name | kind | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
