/**
 * What every gateway page shows of the operator's brand: BRAND_NAME, BRAND_LOGO_URL and
 * BRAND_COLOR, checked once with the rest of the configuration.
 */

export interface Brand {
  readonly name: string;
  /** https, or a path on this site: a page may load it (the CSP names its origin). */
  readonly logoUrl: string | null;
  /** `#rrggbb`: buttons and links. */
  readonly color: string;
}

export const DEFAULT_BRAND: Brand = { name: "Sign-in", logoUrl: null, color: "#1d4ed8" };

const MAX_NAME_LENGTH = 60;

interface BrandEnv {
  readonly BRAND_NAME?: unknown;
  readonly BRAND_LOGO_URL?: unknown;
  readonly BRAND_COLOR?: unknown;
}

export function parseBrand(problems: string[], env: BrandEnv): Brand {
  const name = env.BRAND_NAME ?? DEFAULT_BRAND.name;
  const color = env.BRAND_COLOR ?? DEFAULT_BRAND.color;
  const logo = env.BRAND_LOGO_URL ?? null;
  const before = problems.length;
  // eslint-disable-next-line no-control-regex
  if (typeof name !== "string" || name.trim() === "" || name.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    problems.push(`BRAND_NAME must be 1 to ${MAX_NAME_LENGTH} printable characters`);
  }
  if (typeof color !== "string" || !/^#[0-9a-fA-F]{6}$/.test(color)) problems.push(`BRAND_COLOR must be #rrggbb`);
  if (logo !== null && !isLogoUrl(logo)) problems.push("BRAND_LOGO_URL must be an https URL or a path on this site (`/logo.svg`)");
  if (problems.length > before) return DEFAULT_BRAND;
  return { name: name as string, logoUrl: logo as string | null, color: (color as string).toLowerCase() };
}

function isLogoUrl(value: unknown): value is string {
  if (typeof value !== "string" || value.length > 2048) return false;
  if (value.startsWith("/") && !value.startsWith("//") && !value.includes("\\")) return true;
  try {
    const url = new URL(value);
    return url.protocol === "https:" && !url.username && !url.password;
  } catch {
    return false;
  }
}
