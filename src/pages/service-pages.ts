/**
 * The admin console's service credentials (`ADMIN_ROLE`; docs/service-credentials.md): every
 * credential with its roles, state and times, forms to create one, rotate its token with a grace
 * period, disable or enable it and delete it; and the page that shows a new token, once.
 *
 * The pages' CSP forbids every script. The token page alone allows one, by its exact address
 * (COPY_SCRIPT_PATH, no inline script): it shows the token's copy button, which is hidden without
 * it — the token can still be selected and copied by hand.
 */
import type { SessionView } from "../session/types";
import type { ServiceView } from "../services/types";
import { CONSOLE_PATH, SERVICES_CONSOLE_PATH } from "./admin-pages";
import type { Brand } from "./brand";
import { html, pageCsp, pageResponse, shownTime, type Fragment } from "./layout";

/** The token page's one script: the copy button. */
export const COPY_SCRIPT_PATH = `${SERVICES_CONSOLE_PATH}/copy-token.js`;

/** The grace periods the console offers a rotation, in seconds (the API takes any from 0 to 30 days). */
const GRACE_CHOICES: readonly (readonly [number, string])[] = [
  [0, "no longer: refuse it at once"],
  [3600, "1 hour"],
  [86_400, "1 day"],
  [7 * 86_400, "7 days"],
  [30 * 86_400, "30 days"],
];
const DEFAULT_GRACE_SECONDS = 86_400;

export interface ServicesPageContent {
  readonly admin: SessionView;
  readonly services: readonly ServiceView[];
  readonly nowMs: number;
  /** What went wrong with the form just posted (a taken name, a bad role), said above the forms. */
  readonly problem?: string;
  /** The creation form's fields as they were posted, to correct rather than retype. */
  readonly draft?: { readonly name: string; readonly roles: string; readonly expiresInDays: string };
}

export function servicesPage(brand: Brand, content: ServicesPageContent, status = 200): Promise<Response> {
  const { admin, services, nowMs, problem, draft } = content;
  const list = services.length === 0 ? html`<p>No service credential yet.</p>` : services.map((service) => serviceItem(service, nowMs));
  return pageResponse(brand, status, {
    title: "Service credentials",
    body: html`<p class="muted">Signed in as ${admin.user.email ?? admin.user.sub}. Every action here is logged with your id. <a href="${CONSOLE_PATH}">Look up a user's sessions</a></p>
${problem ? html`<p class="error" role="alert">${problem}</p>` : ""}
<p>A CI job, a cron or a backend sends its token as <code>Authorization: Bearer gws_…</code> to routes whose rules admit services. Times are UTC.</p>
${list}
<h2>New service credential</h2>
<form method="post" action="${SERVICES_CONSOLE_PATH}"><label for="service-name">Name (lower-case letters, digits and -)</label>
<input type="text" id="service-name" name="name" value="${draft?.name ?? ""}" required maxlength="63" pattern="[a-z0-9][a-z0-9\\-]{0,62}" autocomplete="off">
<label for="service-roles">Roles, comma-separated</label>
<input type="text" id="service-roles" name="roles" value="${draft?.roles ?? ""}" autocomplete="off">
<label for="service-expires">Expires after (days; empty: never)</label>
<input type="number" id="service-expires" name="expiresInDays" value="${draft?.expiresInDays ?? ""}" min="1" max="1825" step="1">
<div class="actions"><button type="submit">Create</button></div></form>`,
  });
}

function serviceItem(service: ServiceView, nowMs: number): Fragment {
  const expired = service.expiresAt !== null && Date.parse(service.expiresAt) <= nowMs;
  const state = expired ? "expired" : service.enabled ? "enabled" : "disabled";
  const action = `${SERVICES_CONSOLE_PATH}/${service.id}`;
  const grace = GRACE_CHOICES.map(([seconds, label]) => html`<option value="${seconds}"${seconds === DEFAULT_GRACE_SECONDS ? html` selected` : ""}>${label}</option>`);
  return html`<section class="item" aria-labelledby="service-${service.id}"><h3 id="service-${service.id}">${service.name} <span class="tag">${state}</span></h3>
<dl class="facts"><dt>Roles</dt><dd>${service.roles.length > 0 ? service.roles.join(", ") : "none"}</dd><dt>Enabled</dt><dd>${service.enabled ? "yes" : "no"}</dd><dt>Created</dt><dd>${shownTime(service.createdAt)}</dd><dt>Expires</dt><dd>${service.expiresAt ? shownTime(service.expiresAt) : "never"}</dd><dt>Last used</dt><dd>${service.lastUsedAt ? shownTime(service.lastUsedAt) : "never"}</dd><dt>Previous token valid until</dt><dd>${service.previousTokenValidUntil ? shownTime(service.previousTokenValidUntil) : "—"}</dd></dl>
<form method="post" action="${action}/rotate"><label for="grace-${service.id}">After a new token, the current one is accepted for</label>
<select id="grace-${service.id}" name="graceSeconds">${grace}</select>
<div class="actions"><button type="submit" class="secondary">New token for ${service.name}</button></div></form>
<div class="actions"><form method="post" action="${action}/${service.enabled ? "disable" : "enable"}"><button type="submit" class="secondary">${service.enabled ? "Disable" : "Enable"} ${service.name}</button></form><form method="post" action="${action}/delete"><button type="submit" class="danger">Delete ${service.name}</button></form></div></section>`;
}

export interface TokenPageContent {
  readonly service: ServiceView;
  readonly token: string;
  /** A rotation's token (else a new credential's). */
  readonly rotated: boolean;
  /** The absolute address of COPY_SCRIPT_PATH on this host: the page's CSP allows that one script. */
  readonly copyScriptUrl: string;
}

/** A new token, shown this once: the gateway keeps only its hash. */
export async function tokenPage(brand: Brand, content: TokenPageContent): Promise<Response> {
  const { service, token, rotated, copyScriptUrl } = content;
  const previous = service.previousTokenValidUntil;
  const old = rotated ? html`<p>${previous ? html`The previous token is accepted until ${shownTime(previous)}, then refused.` : "The previous token is refused from now on."}</p>` : "";
  const response = await pageResponse(brand, 200, {
    title: rotated ? `New token for ${service.name}` : "Service credential created",
    body: html`<p>This is the token of <strong>${service.name}</strong>. Copy it now: it is shown only this once, and the gateway keeps only a hash of it.</p>
<label for="token">Token</label>
<textarea class="token" id="token" rows="2" readonly autocomplete="off" spellcheck="false">${token}</textarea>
<div class="actions"><button type="button" class="secondary" data-copy="token" hidden>Copy the token</button><span id="copy-status" class="muted" role="status"></span></div>
${old}<p>A service sends it in an <code>Authorization: Bearer …</code> header.</p>
<div class="actions"><a class="button" href="${SERVICES_CONSOLE_PATH}">Back to service credentials</a></div>
<script src="${copyScriptUrl}"></script>`,
  });
  response.headers.set("Content-Security-Policy", `${pageCsp(brand)}; script-src ${copyScriptUrl}`);
  return response;
}

/**
 * The copy button's script (served at COPY_SCRIPT_PATH): shows the button, and copies the field it
 * names to the clipboard, or selects it and says to copy it by hand when the browser will not.
 */
export const COPY_SCRIPT = `"use strict";
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", () => {
    const field = document.getElementById(button.getAttribute("data-copy"));
    const status = document.getElementById("copy-status");
    const say = (text) => { if (status) status.textContent = text; };
    field.select();
    const byHand = () => say(document.execCommand("copy") ? "Copied." : "Selected: copy it with your keyboard.");
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(() => say("Copied."), byHand);
    else byHand();
  });
}
`;
