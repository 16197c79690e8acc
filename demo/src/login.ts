// The demo's "login": anyone may sign in under any name. It only shows the delegated-login
// contract: the origin answers with `X-Gateway-Login: <identity JSON>` and the gateway turns
// that into a session (docs/design.md, "Origin control headers").

/** The identity the gateway receives in `X-Gateway-Login`. */
export type Identity = { sub: string; email: string; name: string; roles: string[] };

/** What the login form sent, as strings, so the form can be shown again after an error. */
export type LoginInput = { name: string; email: string; admin: boolean; returnTo: string };

export type LoginResult = { identity: Identity } | { error: string };

const MAX_NAME_CHARS = 64;
const MAX_EMAIL_CHARS = 254; // RFC 5321 §4.5.3.1.3, path limit less the angle brackets
const MAX_RETURN_TO_CHARS = 2048;
const CONTROL_CHARS = /\p{Cc}/u;

/**
 * `value` if it is a same-site relative path, else `/`. `//host` and `/\host` are
 * protocol-relative to browsers (WHATWG URL treats `\` as `/`), hence an open redirect.
 * Spaces and non-ASCII are percent-encoded (RFC 3986 §2.1) so the `Location` header is
 * ASCII; existing `%XX` escapes are kept as they are.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== "string" || value.length > MAX_RETURN_TO_CHARS) return "/";
  if (!value.startsWith("/") || value.startsWith("//")) return "/";
  if (value.includes("\\") || CONTROL_CHARS.test(value)) return "/";
  let encoded: string;
  try {
    encoded = value.replace(/[^\x21-\x7e]/gu, (char) => encodeURIComponent(char));
  } catch {
    return "/"; // a lone surrogate (URIError): not a path anyone meant
  }
  return encoded.length <= MAX_RETURN_TO_CHARS ? encoded : "/";
}

export function validateLogin(input: LoginInput): LoginResult {
  const name = input.name.trim();
  const nameChars = [...name].length; // code points, so "Zoë" is 3
  if (nameChars < 1 || nameChars > MAX_NAME_CHARS || CONTROL_CHARS.test(name)) {
    return { error: `Enter a name of 1–${MAX_NAME_CHARS} characters, with no control characters.` };
  }
  const sub = name.toLowerCase().replace(/\s+/g, "-");

  let email = input.email.trim();
  if (email === "") {
    email = `${sub}@example.com`;
  } else if (email.length > MAX_EMAIL_CHARS || !/^[^\s@]+@[^\s@]+$/.test(email) || CONTROL_CHARS.test(email)) {
    return { error: "Enter an email address like name@example.com, or leave it empty." };
  }

  const roles = input.admin ? ["admin", "user"] : ["user"];
  return { identity: { sub, email, name, roles } };
}

/**
 * JSON with every non-ASCII character written as `\uXXXX`: header values are bytes, and a
 * name like "Zoë" must reach the gateway intact. JSON.parse gives back the same identity.
 */
export function identityHeaderValue(identity: Identity): string {
  return JSON.stringify(identity).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
