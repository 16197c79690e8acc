/**
 * The terminal that forwards an allowed request to the origin: same method, canonical path,
 * query and streamed body, in one Request built here (hono/proxy would copy the headers and
 * the answer once more: about 30 µs a request in the profile); identity and forwarding headers set by the propagator after every
 * client copy is stripped; the gateway's own cookies removed. WebSocket upgrades go through
 * fetch() directly (hono/proxy drops `Upgrade`); the session was checked at the handshake like
 * any request, the handshake is forwarded only once live/ has admitted it under a watch, and a
 * WebSocket or an answer with a body for a session is held so that it ends with the session (live/). A redirect is never followed, on either path: the origin's 3xx goes to the
 * client, so the policy decided for this URL is the policy of the only URL fetched, and origin
 * control headers come from that URL alone (SECURITY.md X-01). An unreachable origin is a 502,
 * one that sends no headers in time a 504.
 */
import type { Context } from "hono";
import { cookieHeaderWithout } from "../http/cookies";
import { DeadlineExceeded, withDeadline } from "../http/deadline";
import { GatewayError } from "../http/responses";
import type { IdentityPropagator } from "../identity/propagator";
import type { GatewayEnv, LiveConnections, Terminal } from "../pipeline/types";
import type { Origin } from "./origin";
import { originControl, type OriginControlOptions } from "./origin-control";
import { principalOf } from "../credentials/credential";

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

// The runtime's fetch negotiates the encodings it can decode itself; a client's list could
// name one it cannot (hono/proxy drops it for the same reason).
const REQUEST_DROPPED = new Set([...HOP_BY_HOP, "accept-encoding"]);
const HOP_BY_HOP_SET = new Set(HOP_BY_HOP);

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
    const principal = principalOf(c.get("credential"));
    // Config checked every rule's origin name (config/origins.ts): a miss is a bug, not a 404.
    const origin = origins.get(c.get("originName"));
    if (!origin) throw new Error(`no origin named ${c.get("originName")}`);
    // RFC 6455 §4.1: a handshake is a GET. Any other request's Upgrade is a hop-by-hop
    // header like the rest, and is dropped.
    const websocket = c.req.method === "GET" && c.req.header("upgrade")?.toLowerCase() === "websocket";
    const target = origin.targetOf(c.get("url"), c.get("canonicalPath"));
    const headers = await forwardHeaders(c, options, websocket);
    // A response to a request with a session is private: never from or into an edge cache (F-05).
    const cacheMode: RequestInit = principal ? { cache: "no-store" } : {};
    // The body streams through as it comes (a WebSocket handshake has none).
    const body = websocket ? null : c.req.raw.body;
    return options.live.hold(c, websocket, async () => {
      let upstream: Response;
      try {
        // Bounded wait for the response headers; the body then streams for as long as it takes.
        upstream = await withDeadline(originTimeoutSeconds * 1000, (signal) =>
          origin.fetch(new Request(target, { method: c.req.method, headers, body, redirect: "manual", signal, ...cacheMode, ...(body ? { duplex: "half" } : {}) })),
        );
      } catch (error) {
        if (error instanceof DeadlineExceeded) throw new GatewayError("gateway_timeout", `origin sent no response in ${originTimeoutSeconds} s`);
        throw new GatewayError("bad_gateway", `origin unreachable: ${String(error)}`);
      }
      return control(c, fromOrigin(upstream));
    });
  };
}

/**
 * The origin's answer with headers the gateway may change: connection-specific fields dropped
 * (RFC 9110 §7.6.1), and a body the runtime decoded sent on without its Content-Encoding and
 * length. A 101 is filtered like any answer; its socket is handed on untouched.
 * Any other status outside 200–599 is a 502.
 */
function fromOrigin(upstream: Response): Response {
  if (upstream.status === 101) return new Response(null, { status: 101, headers: upstream.headers, webSocket: upstream.webSocket });
  // A final status outside 200–599 (`HTTP/1.1 999`, `1`, a 1xx where a final answer belongs)
  // is no answer a client could act on, and the Response constructor refuses it: a misbehaving
  // origin is a 502, never the gateway's own 500.
  if (upstream.status < 200 || upstream.status > 599) {
    void upstream.body?.cancel().catch(() => {});
    throw new GatewayError("bad_gateway", `origin answered with status ${upstream.status}`);
  }
  const response = new Response(upstream.body, upstream);
  const { headers } = response;
  const dropped = droppedNames(headers, HOP_BY_HOP_SET);
  if (headers.has("content-encoding")) dropped.push("content-encoding", "content-length");
  for (const name of dropped) headers.delete(name);
  return response;
}

/**
 * The names present that are to go: those of `always`, and those the Connection header lists.
 * One pass over the few names a message has, rather than a delete call for every name that
 * could be there (most are not: ~10 µs a request in the profile).
 */
function droppedNames(headers: Headers, always: ReadonlySet<string>): string[] {
  const listed = headers.get("connection");
  const byConnection = listed ? new Set(listed.split(",").map((name) => name.trim().toLowerCase())) : null;
  const dropped: string[] = [];
  for (const name of headers.keys()) if (always.has(name) || byConnection?.has(name)) dropped.push(name);
  return dropped;
}

async function forwardHeaders(c: Context<GatewayEnv>, options: ProxyOptions, websocket: boolean): Promise<Headers> {
  const headers = new Headers(c.req.raw.headers);
  for (const name of droppedNames(headers, REQUEST_DROPPED)) {
    if (websocket && (name === "upgrade" || name === "connection")) continue;
    headers.delete(name);
  }
  // No permessage-deflate on the origin's leg either: a message is relayed as it was sent
  // (live/websocket-relay.ts bounds it), never inflated from a small compressed frame.
  if (websocket) headers.delete("sec-websocket-extensions");
  // The gateway's own cookies stay with the gateway: the session and the login method's.
  const cookie = cookieHeaderWithout(headers.get("cookie"), options.isGatewayCookie);
  if (cookie) headers.set("cookie", cookie);
  else headers.delete("cookie");
  const credential = c.get("credential");
  // A bearer credential was the gateway's to check: the origin gets the identity headers instead.
  if (credential.state === "bearer") headers.delete("authorization");
  await options.propagator.prepare(headers, { request: c.req.raw, url: c.get("url"), principal: principalOf(credential), originName: c.get("originName") });
  return headers;
}
