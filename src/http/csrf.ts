/**
 * Cross-site request check for the gateway's own state-changing endpoints (OWASP ASVS 5.0
 * §3.5.1–3.5.3). A browser always sends `Sec-Fetch-Site` or `Origin` on a cross-site POST;
 * when it sends them they must say same-origin. A request with neither comes from a
 * non-browser client, which cannot carry a victim's cookie by accident.
 */
export function isCrossSite(request: Request): boolean {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite) return fetchSite !== "same-origin" && fetchSite !== "none";
  const origin = request.headers.get("origin");
  if (origin) return origin !== new URL(request.url).origin;
  return false;
}

/**
 * A top-level navigation of the browser window (a link followed, a redirect, a form posted),
 * as Fetch Metadata states it: `Sec-Fetch-Mode: navigate` and `Sec-Fetch-Dest: document`,
 * GET or POST. Not a frame, not a script's fetch. A request without Fetch Metadata (an old
 * browser) cannot show that it is one, and is not taken for one.
 */
export function isTopLevelNavigation(request: Request): boolean {
  if (request.method !== "GET" && request.method !== "POST") return false;
  return request.headers.get("sec-fetch-mode") === "navigate" && request.headers.get("sec-fetch-dest") === "document";
}
