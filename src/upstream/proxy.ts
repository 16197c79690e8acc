/**
 * Forwards an allowed request to the origin: same method, canonical path, query and streamed
 * body; client identity and forwarding headers replaced by ours; the session cookie removed.
 * WebSocket upgrades go through fetch() directly (hono/proxy drops `Upgrade`); the session was
 * checked at the handshake like any request. A redirect is never followed, on either path:
 * the origin's 3xx goes to the client, so the policy decided for this URL is the policy of the
 * only URL fetched, and origin control headers come from that URL alone (SECURITY.md X-01).
 * An unreachable origin is a 502.
 */
import type { Context, Handler } from "hono";
import { proxy } from "hono/proxy";
import { GatewayError } from "../http/responses";
import { TRANSACTION_COOKIE } from "../auth/oidc/transaction";
import { cookieHeaderWithout } from "../http/cookies";
import { injectIdentityHeaders, setForwardingHeaders, stripIdentityHeaders } from "../identity/headers";
import { applyOriginControl } from "./origin-control";
import type { GatewayEnv } from "../pipeline/types";

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

export function proxyToOrigin(): Handler<GatewayEnv> {
  return async function proxyToOrigin(c) {
    const { config, session } = c.var;
    // RFC 6455 §4.1: a handshake is a GET. Any other request's Upgrade is a hop-by-hop
    // header like the rest, and is dropped.
    const websocket = c.req.method === "GET" && c.req.header("upgrade")?.toLowerCase() === "websocket";
    const target = originUrl(c);
    const headers = forwardHeaders(c, websocket);
    // Bounded wait for the response headers; the body then streams for as long as it takes.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), config.originTimeoutSeconds * 1000);
    // Raced as well as signalled: a fetcher that ignores the signal still cannot hold us.
    const timedOut = new Promise<never>((_, reject) => {
      deadline.signal.addEventListener("abort", () => reject(new Error("origin timeout")));
    });
    // A response to a request with a session is private: never from or into an edge cache
    // (checklist F-05).
    const cacheMode: RequestInit = session ? { cache: "no-store" } : {};
    let upstream: Response;
    try {
      const pending = websocket
        ? config.originFetch(new Request(target, { method: "GET", headers, redirect: "manual", signal: deadline.signal }))
        : proxy(target, {
            raw: c.req.raw,
            headers,
            redirect: "manual",
            signal: deadline.signal,
            ...cacheMode,
            customFetch: config.originFetch,
          });
      upstream = await Promise.race([pending, timedOut]);
    } catch (error) {
      if (deadline.signal.aborted) throw new GatewayError("gateway_timeout", `origin sent no response in ${config.originTimeoutSeconds} s`);
      throw new GatewayError("bad_gateway", `origin unreachable: ${String(error)}`);
    } finally {
      clearTimeout(timer);
    }
    // A 101 is filtered like any answer; its socket is handed on untouched.
    const response =
      upstream.status === 101
        ? new Response(null, { status: 101, headers: upstream.headers, webSocket: upstream.webSocket })
        : new Response(upstream.body, upstream);
    return applyOriginControl(c, response);
  };
}

function originUrl(c: Context<GatewayEnv>): URL {
  const { url } = c.var;
  const base = c.var.config.originBaseUrl;
  return base ? new URL(`${c.var.canonicalPath}${url.search}`, base) : url;
}

function forwardHeaders(c: Context<GatewayEnv>, websocket: boolean): Headers {
  const { config, session } = c.var;
  const headers = new Headers(c.req.raw.headers);
  const listedByConnection = (headers.get("connection") ?? "").split(",").map((name) => name.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...listedByConnection]) {
    if (websocket && (name === "upgrade" || name === "connection")) continue;
    if (name) headers.delete(name);
  }
  stripIdentityHeaders(headers);
  // The gateway's own cookies stay with the gateway: the session and the OIDC login transaction.
  const cookie = cookieHeaderWithout(headers.get("cookie"), [config.cookieName, TRANSACTION_COOKIE]);
  if (cookie) headers.set("cookie", cookie);
  else headers.delete("cookie");
  setForwardingHeaders(headers, c.req.raw, c.var.url);
  if (session) injectIdentityHeaders(headers, session);
  return headers;
}
