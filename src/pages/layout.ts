/**
 * The one template of every page the gateway itself answers (docs/design.md "Gateway pages in
 * a browser"): the brand, a title, the body; the stylesheet of style.ts; a strict CSP — no
 * script at all, styles and images from this site (and the logo's origin), forms only to this
 * site, never framed. Every value is escaped by hono/html.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { gatewayHeaders } from "../http/responses";
import type { Brand } from "./brand";
import { STYLESHEET_PATH } from "./style";

export type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageContent {
  readonly title: string;
  readonly body: Fragment;
  /** A navigation the page starts by itself (a meta refresh: no script needed). */
  readonly refreshTo?: string;
}

export function pageCsp(brand: Brand): string {
  const logoOrigin = brand.logoUrl?.startsWith("https://") ? ` ${new URL(brand.logoUrl).origin}` : "";
  return `default-src 'none'; style-src 'self'; img-src 'self'${logoOrigin}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

export async function renderPage(brand: Brand, content: PageContent): Promise<string> {
  const logo = brand.logoUrl ? html`<img src="${brand.logoUrl}" alt="">` : "";
  const refresh = content.refreshTo ? html`<meta http-equiv="refresh" content="0;url=${content.refreshTo}">` : "";
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
${refresh}<title>${content.title} · ${brand.name}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header>${logo}<span>${brand.name}</span></header>
<main>
<h1>${content.title}</h1>
${content.body}
</main>
</body>
</html>
`;
  return String(await page);
}

/** A page as the gateway's answer: never cached, never sniffed, never framed. */
export async function pageResponse(brand: Brand, status: number, content: PageContent, headers: HeadersInit = {}): Promise<Response> {
  const all = gatewayHeaders(headers);
  all.set("Content-Type", "text/html; charset=utf-8");
  all.set("Content-Security-Policy", pageCsp(brand));
  all.set("X-Frame-Options", "DENY");
  all.set("Referrer-Policy", "no-referrer");
  return new Response(await renderPage(brand, content), { status, headers: all });
}

/** `2026-12-02 21:04 UTC` in a `<time>`: the same for everyone, with no script to localise it. */
export function shownTime(iso: string): Fragment {
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

export { html, raw };
