/**
 * The Worker behind `npm run check` (scripts/check-config.mjs): the very validator the
 * gateway runs at its first request (resolve.ts), in the same runtime (workerd, whose
 * URLPattern the rules compile with), on the settings the script read from wrangler.toml,
 * `.dev.vars` and `--var`. Never deployed: src/index.ts does not import it.
 *
 * POST { settings: {NAME: value}, bindings: [{ name, kind }] } → { problems, warnings }
 */
import { resolveConfig } from "./resolve";

interface CheckRequest {
  readonly settings: Record<string, unknown>;
  /** The bindings wrangler.toml declares, by name; each gets an inert stand-in. */
  readonly bindings: readonly { readonly name: string; readonly kind: string }[];
}

/** Enough of each binding for the validator, which only asks whether it is there and what it is. */
function standIn(kind: string): unknown {
  const never = () => {
    throw new Error("the check never calls a binding");
  };
  if (kind === "service") return { fetch: never, connect: never };
  if (kind === "ratelimit") return { limit: never };
  if (kind === "analytics_engine") return { writeDataPoint: never };
  return {};
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { settings, bindings } = await request.json<CheckRequest>();
    const env = { ...settings, ...Object.fromEntries(bindings.map(({ name, kind }) => [name, standIn(kind)])) };
    const result = await resolveConfig(env as never);
    return Response.json({
      problems: result.ok ? [] : result.problems,
      warnings: result.warnings.map((warning) => warning.message),
    });
  },
} satisfies ExportedHandler;
