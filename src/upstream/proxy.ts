/**
 * The terminal that forwards an allowed request to the origin: same method, canonical path,
 * query and streamed body; identity and forwarding headers set by the propagator after every
 * client copy is stripped; the gateway's own cookies removed. WebSocket upgrades go through
 * fetch() directly (hono/proxy drops `Upgrade`); the session was checked at the handshake like
 * any request, and a WebSocket or a streamed answer with a session is then held so that it
 * ends with the session (live/). A redirect is never followed, on either path: the origin's 3xx goes to the
 * client, so the policy decided for this URL is the policy of the only URL fetched, and origin
 * control headers come from that URL alone (SECURITY.md X-01). An unreachable origin is a 502,
 * one that sends no headers in time a 504.
 */
import type { Context } from "hono";
import { proxy } from "hono/proxy";
import { cookieHeaderWithout } from "../http/cookies";
import { DeadlineExceeded, withDeadline } from "../http/deadline";
import { GatewayError } from "../http/responses";
import type { IdentityPropagator } from "../identity/propagator";
import type { GatewayEnv, LiveConnections, Terminal } from "../pipeline/types";
import type { Origin } from "./origin";
import { originControl, type OriginControlOptions } from "./origin-control";

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

export interface ProxyOptions extends OriginControlOptions {
  /** Every origin by name (DEFAULT_ORIGIN and ORIGINS); the decision step named the request's. */
  readonly origins: ReadonlyMap<string, Origin>;
  /** ORIGIN_TIMEOUT_SECONDS: the wait for the response headers. */
  readonly originTimeoutSeconds: number;
  readonly propagator: IdentityPropagator;
  /** Holds a WebSocket or a streamed answer under its session (live/hold.ts). */
  readonly live: LiveConnections;
}

export function proxyTerminal(options: ProxyOptions): Terminal {
  const { origins, originTimeoutSeconds } = options;
  const control = originControl(options);
  return async function proxyToOrigin(c) {
    const session = c.get("session");
    // Config checked every rule's origin name (config/origins.ts): a miss is a bug, not a 404.
    const origin = origins.get(c.get("originName"));
    if (!origin) throw new Error(`no origin named ${c.get("originName")}`);
    // RFC 6455 §4.1: a handshake is a GET. Any other request's Upgrade is a hop-by-hop
    // header like the rest, and is dropped.
    const websocket = c.req.method === "GET" && c.req.header("upgrade")?.toLowerCase() === "websocket";
    const target = origin.targetOf(c.get("url"), c.get("canonicalPath"));
    const headers = await forwardHeaders(c, options, websocket);
    // A response to a request with a session is private: never from or into an edge cache (F-05).
    const cacheMode: RequestInit = session ? { cache: "no-store" } : {};
    let upstream: Response;
    try {
      // Bounded wait for the response headers; the body then streams for as long as it takes.
      upstream = await withDeadline(originTimeoutSeconds * 1000, (signal) =>
        websocket
          ? origin.fetch(new Request(target, { method: "GET", headers, redirect: "manual", signal }))
          : proxy(target, { raw: c.req.raw, headers, redirect: "manual", signal, ...cacheMode, customFetch: origin.fetch }),
      );
    } catch (error) {
      if (error instanceof DeadlineExceeded) throw new GatewayError("gateway_timeout", `origin sent no response in ${originTimeoutSeconds} s`);
      throw new GatewayError("bad_gateway", `origin unreachable: ${String(error)}`);
    }
    // A 101 is filtered like any answer; its socket is handed on untouched.
    const response =
      upstream.status === 101
        ? new Response(null, { status: 101, headers: upstream.headers, webSocket: upstream.webSocket })
        : new Response(upstream.body, upstream);
    return options.live.hold(c, await control(c, response));
  };
}

async function forwardHeaders(c: Context<GatewayEnv>, options: ProxyOptions, websocket: boolean): Promise<Headers> {
  const headers = new Headers(c.req.raw.headers);
  const listedByConnection = (headers.get("connection") ?? "").split(",").map((name) => name.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...listedByConnection]) {
    if (websocket && (name === "upgrade" || name === "connection")) continue;
    if (name) headers.delete(name);
  }
  // The gateway's own cookies stay with the gateway: the session and the login method's.
  const cookie = cookieHeaderWithout(headers.get("cookie"), options.isGatewayCookie);
  if (cookie) headers.set("cookie", cookie);
  else headers.delete("cookie");
  await options.propagator.prepare(headers, { request: c.req.raw, url: c.get("url"), session: c.get("session") });
  return headers;
}
