// The demo origin that `npm run dev` puts behind the gateway (bound as the `ORIGIN` service).
// It trusts the X-Auth-* request headers, which only the gateway can set (docs/design.md,
// "Identity headers"), checks the signed X-Auth-Assertion against the gateway's JWKS and says
// on its home page whether it verified (assertion.ts), and logs users in by answering with X-Gateway-Login ("Origin
// control headers"). Anyone can sign in under any name: this is a demo, not an auth server.
import { Hono, type Context } from "hono";
import { checkAssertion, type DemoEnv } from "./assertion";
import { identityHeaderValue, safeReturnTo, validateLogin, type LoginInput } from "./login";
import { adminPage, forbiddenPage, homePage, loginPage, notFoundPage } from "./pages";

// No scripts or external resources, inline styles only, forms post only to this site, and
// never framed (clickjacking). See the OWASP Content Security Policy Cheat Sheet.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function htmlResponse(markup: string, status = 200): Response {
  return new Response(markup, {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/** The signed-in user, as the gateway describes them; undefined on a public request. */
type Viewer = { sub: string; name: string; roles: string[] };

function viewerOf(c: Context): Viewer | undefined {
  const sub = authHeader(c, "X-Auth-User");
  if (!sub) return undefined;
  const roles = (c.req.header("X-Auth-Roles") ?? "")
    .split(",")
    .map((role) => decodeHeaderValue(role.trim()))
    .filter((role) => role !== "");
  return { sub, name: authHeader(c, "X-Auth-Name") || sub, roles };
}

/** The gateway percent-encodes `%` and anything outside printable ASCII in identity values. */
function authHeader(c: Context, name: string): string | undefined {
  const value = c.req.header(name);
  return value === undefined ? undefined : decodeHeaderValue(value);
}

function decodeHeaderValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The X-Auth-* request headers, sorted, with names cased as in the docs (`X-Auth-User`). */
function authHeadersOf(headers: Headers): [string, string][] {
  return [...headers]
    .filter(([name]) => name.startsWith("x-auth-"))
    .map(([name, value]): [string, string] => [name.replace(/(^|-)([a-z])/g, (_, dash, ch) => dash + ch.toUpperCase()), value])
    .sort(([a], [b]) => a.localeCompare(b));
}

const app = new Hono<{ Bindings: DemoEnv }>();

app.get("/health", (c) => c.json({ ok: true }));
// Public in the gateway's default ROUTES; an empty answer keeps browser consoles quiet.
app.get("/favicon.ico", () => new Response(null, { status: 204, headers: { "Cache-Control": "max-age=86400" } }));

app.get("/login", (c) => {
  const returnTo = safeReturnTo(c.req.query("return_to"));
  return htmlResponse(loginPage({ returnTo }, undefined, viewerOf(c)?.name));
});

app.post("/login", async function login(c) {
  // Login CSRF: another site must not sign a visitor in as someone else. Browsers send
  // Fetch Metadata (W3C Fetch Metadata Request Headers); curl sends none and may post.
  if (c.req.header("Sec-Fetch-Site") === "cross-site") {
    return htmlResponse(loginPage({ returnTo: "/" }, "That sign-in came from another site. Sign in here instead."), 403);
  }

  let form: Record<string, unknown> = {};
  try {
    form = await c.req.parseBody();
  } catch {
    // A malformed body is the same as an empty form: the name check below answers 400.
  }
  const field = (key: string) => (typeof form[key] === "string" ? form[key] : "");
  const input: LoginInput = {
    name: field("name"),
    email: field("email"),
    admin: field("admin") !== "",
    returnTo: safeReturnTo(field("return_to")),
  };

  const result = validateLogin(input);
  if ("error" in result) return htmlResponse(loginPage(input, result.error), 400);

  // The gateway (for a path in LOGIN_ROUTES) turns this header into a session cookie and
  // strips it; the browser never sees it.
  c.header("X-Gateway-Login", identityHeaderValue(result.identity));
  c.header("Cache-Control", "no-store");
  return c.redirect(input.returnTo, 303);
});

app.get("/", async (c) => {
  const viewer = viewerOf(c);
  const assertion = viewer ? await checkAssertion(c.req.raw, c.env ?? {}) : { state: "absent" as const };
  return htmlResponse(homePage(viewer?.name, authHeadersOf(c.req.raw.headers), assertion));
});

function adminArea(c: Context): Response {
  const viewer = viewerOf(c);
  // The gateway's default ROUTES already require the admin role here; checking again means a
  // mistake in ROUTES does not open this page (defence in depth).
  if (!viewer?.roles.includes("admin")) return htmlResponse(forbiddenPage(viewer?.roles ?? []), 403);
  return htmlResponse(adminPage(viewer.name, viewer.sub, viewer.roles));
}
app.get("/admin", adminArea);
app.get("/admin/*", adminArea);

/** Any method: what the origin received, as JSON (`curl localhost:8787/echo`). */
function echo(c: Context): Response {
  const url = new URL(c.req.url);
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  const headers = Object.fromEntries(c.req.raw.headers);
  return c.json({ method: c.req.method, path: url.pathname, query, headers }, 200, { "Cache-Control": "no-store" });
}
app.all("/echo", echo);
app.all("/echo/*", echo);

app.notFound((c) => htmlResponse(notFoundPage(c.req.path), 404));

export default app;
