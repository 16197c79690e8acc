/**
 * `return_to` is honoured only as a same-site relative path (RFC 9700 §4.11.1, open
 * redirectors): `/x`, never `//x`, `/\x`, an absolute URL or a scheme; anything else is `/`.
 * The one exception: an absolute URL that the login method accepts, a configured host of a
 * session shared across subdomains.
 */
export const MAX_RETURN_TO_LENGTH = 2048;

const PROBE_ORIGIN = "https://gateway.invalid";

export function safeReturnTo(value: string | null | undefined, isAllowedUrl?: (url: URL) => boolean): string {
  if (!value || value.length > MAX_RETURN_TO_LENGTH) return "/";
  // Another configured host of one shared session (auth/oidc/callback-host.ts), if the login
  // method allows one: an absolute URL it accepts, as the URL parser writes it.
  if (isAllowedUrl && /^https?:\/\//i.test(value) && !/[\\\x00-\x20\x7f]/.test(value) && URL.canParse(value)) {
    const url = new URL(value);
    return isAllowedUrl(url) ? url.href : "/";
  }
  if (!value.startsWith("/") || value.startsWith("//")) return "/";
  // Browsers read `\` as `/` and drop tabs and newlines, so `/\evil` and `/\t/evil` are off-site.
  if (/[\\\x00-\x20\x7f]/.test(value)) return "/";
  let url: URL;
  try {
    url = new URL(value, PROBE_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== PROBE_ORIGIN) return "/";
  // Resolving dot segments can leave a `//` path (`/.//evil.com` → `//evil.com`), which a
  // browser reads as another host: the result is checked, not only the input.
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith("//") ? "/" : path;
}
