/**
 * `POST /_gateway/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0 §2.5–2.8): the
 * provider says a user's provider session has ended; the gateway ends the sessions it created
 * from it, everywhere at once (SECURITY.md T-04..T-06, D-03).
 *
 * - `application/x-www-form-urlencoded` with exactly one `logout_token`, at most
 *   MAX_BODY_BYTES; anything else is 400 before any network call or Durable Object.
 * - The token is verified (logout-token.ts), then its `jti` is claimed in the replay cache;
 *   a replay is 400 and changes nothing.
 * - `sid` ⇒ the sessions from that provider session; only `sub` ⇒ every session of that
 *   provider subject. 200 also when there was nothing left to end (§2.8).
 * - Every answer is `Cache-Control: no-store` (§2.8); errors are `{"error": "..."}`.
 *   The provider's keys or the session store unavailable ⇒ 503, so the provider may retry.
 */
import type { Handler } from "hono";
import { gatewayHeaders } from "../../http/responses";
import { logEvent, logError } from "../../log";
import type { GatewayEnv } from "../../pipeline/types";
import { readUrlencodedForm } from "../../http/body";
import { durableCall } from "../../session/durable-call";
import { indexStub } from "../../session/stubs";
import { idpIndex } from "./idp-index";
import type { ResolvedOidcConfig } from "./settings";
import { logoutRefused, verifyLogoutToken } from "./logout-token";
import { logoutTokenReplayStub } from "../../durable/logout-token-replay";

export const MAX_BODY_BYTES = 16 * 1024;

export function backchannelLogout(oidc: ResolvedOidcConfig): Handler<GatewayEnv> {
  return async function backchannelLogout(c) {
    // Every refusal and failure is a GatewayError from logout-token.ts, answered by app.ts.
    const token = await logoutTokenOf(c.req.raw);
    const verified = await verifyLogoutToken(oidc, token);

    const replay = logoutTokenReplayStub(c.env, verified.iss, verified.jti);
    const first = await durableCall("replay cache", () => replay.claim(verified.retainUntil), UNAVAILABLE);
    if (!first) throw logoutRefused("jti already used (replay)", { sub: verified.sub ?? null });

    const index = indexStub(c.env, idpIndex(verified.sid ? ["sid", verified.iss, verified.sid] : ["sub", verified.iss, verified.sub!]));
    let revoked: number;
    try {
      revoked = await durableCall("revoke", () => index.revokeAll("backchannel-logout"), UNAVAILABLE);
    } catch (error) {
      // Forget the jti, so the provider's retry of this very token is not taken for a replay.
      await replay.release().catch((releaseError: unknown) => {
        // The provider's retry will then be taken for a replay (400): worth an operator's look.
        logError("logout.backchannel_release_failed", { error: String(releaseError) });
      });
      throw error;
    }
    logEvent("logout.backchannel", { by: verified.sid ? "sid" : "sub", sub: verified.sub ?? null, revoked });
    return new Response(null, { status: 200, headers: gatewayHeaders() });
  };
}

/** A Durable Object that cannot answer: 503, logged as the back-channel's failure. */
const UNAVAILABLE = { event: "logout.backchannel_failed" } as const;

async function logoutTokenOf(request: Request): Promise<string> {
  const form = await readUrlencodedForm(request, MAX_BODY_BYTES);
  if (!form.ok && form.problem === "not-urlencoded") throw logoutRefused("body is not application/x-www-form-urlencoded");
  if (!form.ok) throw logoutRefused(`body is larger than ${MAX_BODY_BYTES} bytes`);
  const tokens = form.fields.getAll("logout_token");
  if (tokens.length !== 1 || !tokens[0]) throw logoutRefused("body must hold exactly one logout_token");
  return tokens[0];
}
