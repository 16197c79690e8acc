// HTML templates. Every interpolated value goes through escapeHtml; `content` passed to
// layout() is markup built here from escaped parts. No scripts and no external resources,
// so the Content-Security-Policy set in index.ts can stay strict.

import type { AssertionCheck } from "./assertion";

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { max-width: 42rem; margin: 2.5rem auto; padding: 0 1rem; }
header { font-size: .9rem; margin-bottom: .75rem; }
main { border: 1px solid #8884; border-radius: .75rem; padding: 1.5rem 2rem; }
h1 { margin-top: 0; font-size: 1.5rem; }
a { color: #2563eb; }
.muted { color: #888; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .9rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #8883; vertical-align: top; }
code { font-family: ui-monospace, monospace; word-break: break-all; }
label { display: block; margin: .9rem 0 .3rem; }
label.check { display: flex; gap: .5rem; align-items: center; }
input[type=text], input[type=email] { width: 100%; box-sizing: border-box; padding: .5rem;
  font: inherit; border: 1px solid #8888; border-radius: .375rem; }
button { font: inherit; margin-top: 1rem; padding: .5rem 1.1rem; border: 0; border-radius: .375rem;
  background: #2563eb; color: #fff; cursor: pointer; }
.ok { background: #dcfce7; color: #14532d; padding: .5rem .75rem; border-radius: .375rem; }
.error { background: #fee2e2; color: #991b1b; padding: .5rem .75rem; border-radius: .375rem; }
.role { display: inline-block; padding: 0 .5rem; margin-right: .25rem; border-radius: 1rem;
  background: #8882; font-size: .85rem; }
`;

function layout(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Demo origin</title>
<style>${STYLE}</style>
</head>
<body>
<header><a href="/">Demo origin</a> <span class="muted">behind the edge session gateway</span></header>
<main>
<h1>${escapeHtml(title)}</h1>
${content}
</main>
</body>
</html>
`;
}

function roleBadges(roles: string[]): string {
  if (roles.length === 0) return `<span class="muted">none</span>`;
  return roles.map((role) => `<span class="role">${escapeHtml(role)}</span>`).join("");
}

export type LoginFormValues = { returnTo: string; name?: string; email?: string; admin?: boolean };

export function loginPage(values: LoginFormValues, error?: string, signedInAs?: string): string {
  const notice = signedInAs
    ? `<p class="muted">You are signed in as ${escapeHtml(signedInAs)}; signing in again starts a new session.</p>`
    : "";
  return layout(
    "Sign in",
    `${notice}
<p>This demo trusts any name: it shows how an origin hands an identity to the gateway.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/login">
  <input type="hidden" name="return_to" value="${escapeHtml(values.returnTo)}">
  <label for="name">Name</label>
  <input type="text" id="name" name="name" required maxlength="64" autocomplete="name" autofocus
    value="${escapeHtml(values.name ?? "")}">
  <label for="email">Email <span class="muted">(optional)</span></label>
  <input type="email" id="email" name="email" autocomplete="email" placeholder="name@example.com"
    value="${escapeHtml(values.email ?? "")}">
  <label class="check"><input type="checkbox" name="admin" value="1"${values.admin ? " checked" : ""}> Admin role</label>
  <button type="submit">Sign in</button>
</form>`,
  );
}

/** What the home page says about X-Auth-Assertion. */
function assertionNotice(check: AssertionCheck): string {
  switch (check.state) {
    case "verified":
      return `<p class="ok" role="status"><strong>Signed assertion verified</strong> against the gateway's JWKS: ${escapeHtml(check.alg)}, key <code>${escapeHtml(check.kid)}</code>, for <code>${escapeHtml(check.sub)}</code>, valid ${check.expiresInSeconds} s more. This origin would refuse a request whose headers did not come from the gateway.</p>`;
    case "refused":
      return `<p class="error" role="alert"><strong>Signed assertion NOT verified</strong> (${escapeHtml(check.reason)}): an origin must refuse this request.</p>`;
    default:
      return `<p class="muted">No signed assertion (<code>X-Auth-Assertion</code>): set <code>ASSERTION_KEYS</code> on the gateway (<code>npm run assertion-key</code>) so the origin can verify who the headers name.</p>`;
  }
}

/** `authHeaders` are the `X-Auth-*` request headers, as [name, value] pairs. */
export function homePage(displayName: string | undefined, authHeaders: [string, string][], assertion: AssertionCheck = { state: "absent" }): string {
  if (displayName === undefined) {
    return layout("Welcome", `<p>You are not signed in.</p>\n<p><a href="/login">Sign in</a></p>`);
  }
  const rows = authHeaders
    .map(([name, value]) => `<tr><th scope="row"><code>${escapeHtml(name)}</code></th><td><code>${escapeHtml(value)}</code></td></tr>`)
    .join("\n");
  return layout(
    "Welcome",
    `<p>Signed in as <strong>${escapeHtml(displayName)}</strong>.</p>
<p>The gateway added these headers to your request; the origin never sees your session cookie.</p>
${assertionNotice(assertion)}
<table>
<thead><tr><th>Header</th><th>Value</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<ul>
  <li><a href="/admin">Admin area</a> <span class="muted">(needs the admin role)</span></li>
  <li><a href="/_gateway/session">Your session as JSON</a></li>
  <li><a href="/_gateway/sessions">Your sessions</a> <span class="muted">(every device you are signed in on; end any of them)</span></li>
  <li><a href="/echo">Every request header as JSON</a></li>
</ul>
<form method="post" action="/_gateway/logout"><button>Sign out</button></form>`,
  );
}

export function adminPage(displayName: string, sub: string, roles: string[]): string {
  return layout(
    "Admin area",
    `<p>Only users with the <span class="role">admin</span> role get here.</p>
<table>
<tr><th scope="row">User</th><td>${escapeHtml(displayName)} <span class="muted">(<code>${escapeHtml(sub)}</code>)</span></td></tr>
<tr><th scope="row">Roles</th><td>${roleBadges(roles)}</td></tr>
</table>
<p><a href="/">Back home</a> · <a href="/_gateway/sessions">Your sessions</a></p>
<form method="post" action="/_gateway/logout"><button>Sign out</button></form>`,
  );
}

export function forbiddenPage(roles: string[]): string {
  return layout(
    "Forbidden",
    `<p>This page needs the <span class="role">admin</span> role. Your roles: ${roleBadges(roles)}</p>
<p><a href="/_gateway/logout">Sign out</a>, then sign in again with “Admin role” ticked.</p>
<p><a href="/">Back home</a></p>`,
  );
}

export function notFoundPage(path: string): string {
  return layout("Not found", `<p>Nothing here at <code>${escapeHtml(path)}</code>.</p>\n<p><a href="/">Back home</a></p>`);
}
