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
