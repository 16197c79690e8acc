/**
 * Black-box harness: the gateway as a real HTTP server on a loopback port (`wrangler dev`, the
 * same workerd the project runs on) in front of a Node origin on loopback. Requests are sent
 * with node:http so raw paths reach the gateway exactly as written (curl --path-as-is style).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import { WebSocketServer, type WebSocket as OriginSocket } from "ws";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "node_modules/.bin");

export const E2E_SECRET = "e2e-signing-key-0123456789abcdef0123456789abcdef";
export const E2E_ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef0123456789abcdef";

export interface GatewayProcess {
  readonly url: string;
  readonly port: number;
  /** Everything wrangler printed (the gateway's JSON log lines among it). */
  readonly output: string[];
  /** `--persist-to` directory: Durable Object storage lives under `v3/do/<script>-<Class>/`. */
  readonly stateDir: string;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** Settings as `[vars]` (TOML-like values or strings); merged over the e2e defaults. */
  readonly vars?: Record<string, unknown>;
  readonly originUrl: string;
  /**
   * Where the gateway's temporary directory (config and `--persist-to` state) is made; default
   * FAST_TEMP_ROOT. Durable Object storage is SQLite with fsync per object, so on a disk each
   * new session costs ~100 ms; on a tmpfs such as /dev/shm about 10 ms (FAST_TEMP_ROOT).
   */
  readonly tempRoot?: string;
  /** The port to listen on; default a free one. (OIDC tests register it at the provider first.) */
  readonly port?: number;
  /**
   * The gateway's temporary directory (config and `--persist-to` state), when the caller must
   * know it before the gateway is ready; default a new one under `tempRoot`. Removed by stop().
   */
  readonly dir?: string;
  /** A file that receives everything wrangler prints as it prints it (also before it is ready). */
  readonly logFile?: string;
  /** Aborting it stops a gateway that is still starting (startGateway then rejects). */
  readonly signal?: AbortSignal;
  /**
   * Workers run beside the gateway in the same `wrangler dev` (one `-c` each) and bound to it as
   * service bindings: `{ binding: "API", script: "<path>.js" }`.
   */
  readonly services?: readonly { readonly binding: string; readonly script: string }[];
}

/** A tmpfs when the machine has one (Linux), else the default temporary directory. */
export const FAST_TEMP_ROOT = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

export async function startGateway(options: GatewayOptions): Promise<GatewayProcess> {
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const dir = options.dir ?? mkdtempSync(join(options.tempRoot ?? FAST_TEMP_ROOT, "gateway-e2e-"));
  mkdirSync(dir, { recursive: true });
  const config = {
    name: `gateway-e2e-${port}`,
    main: join(ROOT, "src/index.ts"),
    compatibility_date: "2026-08-01",
    durable_objects: {
      bindings: [
        { name: "SESSIONS", class_name: "SessionObject" },
        { name: "USER_SESSIONS", class_name: "UserSessions" },
        { name: "IDP_SESSIONS", class_name: "IdpSessions" },
        { name: "LOGOUT_TOKENS", class_name: "LogoutTokenReplay" },
        { name: "SERVICES", class_name: "ServiceCredential" },
        { name: "SERVICE_DIRECTORY", class_name: "ServiceDirectory" },
      ],
    },
    migrations: [
      { tag: "v1", new_sqlite_classes: ["SessionObject", "UserSessions"] },
      { tag: "v2", new_sqlite_classes: ["IdpSessions", "LogoutTokenReplay"] },
      { tag: "v3", new_sqlite_classes: ["ServiceCredential", "ServiceDirectory"] },
    ],
    services: (options.services ?? []).map(({ binding }, index) => ({ binding, service: `gateway-e2e-${port}-service-${index}` })),
    vars: {
      ORIGIN_URL: options.originUrl,
      SESSION_SECRET: E2E_SECRET,
      ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      ...options.vars,
    },
  };
  writeFileSync(join(dir, "wrangler.json"), JSON.stringify(config, null, 2));
  const serviceConfigs = (options.services ?? []).map(({ script }, index) => {
    const file = join(dir, `service-${index}.json`);
    writeFileSync(file, JSON.stringify({ name: `gateway-e2e-${port}-service-${index}`, main: resolve(script), compatibility_date: "2026-08-01" }));
    return ["-c", file];
  });

  const child = spawn(
    join(BIN, "wrangler"),
    ["dev", "-c", join(dir, "wrangler.json"), ...serviceConfigs.flat(), "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false"],
    {
      cwd: dir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    },
  );
  const output: string[] = [];
  const onAbort = () => void killGroup(child);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await waitForReady(child, port, output, options.logFile);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  // A gateway that dies while the files use it fails them all with ECONNREFUSED: say so, with
  // what it printed last, where the run's output shows it (its log file goes with the run).
  let stopping = false;
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`wrangler dev on port ${port} exited unexpectedly (code ${code}, signal ${signal}); its last output:\n${output.join("").slice(-4000)}`);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output,
    stateDir: join(dir, "state"),
    async stop() {
      stopping = true;
      await killGroup(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function waitForReady(child: ChildProcess, port: number, output: string[], logFile?: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void killGroup(child);
      reject(new Error(`wrangler dev did not get ready in 90 s:\n${output.join("")}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (logFile) appendFileSync(logFile, text);
      // Its own port: a busy port can look ready to a generic check (docs/platform-notes.md).
      if (output.join("").includes(`Ready on http://127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`wrangler dev exited with ${code}:\n${output.join("")}`));
    });
  });
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((done) => child.once("exit", done));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((done) => (timer = setTimeout(done, 5000)));
  await Promise.race([exited, timeout]);
  // A pending timer would keep the process alive for the rest of the 5 s.
  clearTimeout(timer);
  if (child.exitCode === null) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * A free loopback port for a server that binds it later (wrangler's `--port`, `--inspector-port`),
 * taken below the kernel's ephemeral range. A port from that range (what `listen(0)` gives) can
 * become the local port of any outgoing connection in the meantime, and with three test
 * projects running side by side one did (CI: wrangler's "Address already in use"). Below the
 * range only another listener can take it.
 */
export async function freePort(): Promise<number> {
  const rangeStart = ephemeralRangeStart();
  if (rangeStart === null || rangeStart <= LOWEST_PORT) return listenOn(0);
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = LOWEST_PORT + Math.floor(Math.random() * (rangeStart - LOWEST_PORT));
    try {
      return await listenOn(candidate);
    } catch {
      // Taken: another one.
    }
  }
  throw new Error(`no free loopback port between ${LOWEST_PORT} and ${rangeStart}`);
}

/** Clear of the registered ports most services use. */
const LOWEST_PORT = 10_000;

/** Where Linux starts handing out ports to outgoing connections; null elsewhere. */
function ephemeralRangeStart(): number | null {
  try {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(start) ? start : null;
  } catch {
    return null;
  }
}

/** Listens on 127.0.0.1:`port` (0: any), closes again, and answers the port. */
function listenOn(port: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolvePromise(bound));
    });
  });
}

// ---- the origin --------------------------------------------------------------------------

export interface EchoRecord {
  method: string;
  /** The request target exactly as it arrived on the wire. */
  rawPath: string;
  /** Header names and values as they arrived (names lower-cased by Node). */
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  /** When the origin received it (epoch ms). */
  at?: number;
}

/**
 * What an origin received, read from where the origin runs: in this process, or in vitest's
 * main process for the gateways the files share (test/e2e/gateways.ts).
 */
export interface OriginRecords {
  readonly url: string;
  readonly port: number;
  /** How many requests the origin has received so far. */
  mark(): Promise<number>;
  /** The requests received since `mark()` answered `from`, in order. */
  since(from: number): Promise<EchoRecord[]>;
}

export interface EchoOrigin extends OriginRecords {
  /** Every request the origin received, in order. */
  readonly received: EchoRecord[];
  close(): Promise<void>;
}

export interface EchoOriginOptions {
  /** The port to listen on; default a free one (a closed origin comes back on its old port). */
  readonly port?: number;
  /** Where to record the requests; default a new list (a reopened origin keeps its old one). */
  readonly received?: EchoRecord[];
  /**
   * Also appends each request to this file, one JSON line each, before answering it: another
   * process reads what the origin received from there (test/e2e/gateways.ts).
   */
  readonly recordsFile?: string;
}

/**
 * Echoes what it received as JSON. `x-echo-respond: {"Header": "v" | ["v1","v2"]}` and
 * `x-echo-status: N` shape the response; `/slow?ms=N` waits; `/big?bytes=N` streams N bytes.
 *
 * `/signout-page` is an HTML page whose CSP has `form-action 'self'`, with a sign-out form.
 * Live connections (test/e2e/live-connections.test.ts): a WebSocket upgrade on any path is
 * accepted and echoes every frame, text or binary, as it came; `close:<code>:<reason>` makes
 * the origin close; `?hold-ms=N` on the handshake answers it N ms late. `/events` is an event stream, one `data: tick <n>` every 100 ms. Each is
 * recorded: `WS-OPEN`, `WS-MESSAGE` (body: the text, or `binary:<base64>`), `WS-CLOSE` (body:
 * `<code> <reason>`), `SSE-OPEN`, `SSE-CLOSED`, with the time in `at` (epoch ms).
 *
 * Misbehaving answers, written to the socket as they are: `…/status-line?code=N` answers with
 * the status line `HTTP/1.1 N` whatever N is (`99x`, `1`, `600`, `65536`); a WebSocket
 * handshake to `…/redirect-handshake` is answered `302` to `/elsewhere` instead of `101`, its body
 * framed by `content-length`, or with `?framing=chunked` or `close`.
 */
export function startEchoOrigin(options: EchoOriginOptions = {}): Promise<EchoOrigin> {
  const received = options.received ?? [];
  const note = (req: http.IncomingMessage, method: string, body: string) => {
    const entry: EchoRecord = { method, rawPath: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, body, at: Date.now() };
    received.push(entry);
    if (options.recordsFile) appendFileSync(options.recordsFile, `${JSON.stringify(entry)}\n`);
  };
  const server = http.createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://origin.invalid").pathname === "/signout-page") {
      // An app page with common CSP hardening (form-action 'self') and a sign-out button
      // (test/e2e/browser.test.ts): the gateway's sign-out must work from here.
      req.resume();
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": "default-src 'self'; form-action 'self'" });
      res.end(`<!doctype html><html lang="en"><head><title>App</title></head><body><h1>App</h1><form method="post" action="/_gateway/logout"><button type="submit">Sign out</button></form></body></html>`);
      return;
    }
    if (new URL(req.url ?? "/", "http://origin.invalid").pathname === "/events") {
      note(req, "SSE-OPEN", "");
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
      let tick = 0;
      const timer = setInterval(() => res.write(`data: tick ${tick++}\n\n`), 100);
      res.on("close", () => {
        clearInterval(timer);
        note(req, "SSE-CLOSED", String(tick));
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const record: EchoRecord = {
        method: req.method ?? "",
        rawPath: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(record);
      if (options.recordsFile) appendFileSync(options.recordsFile, `${JSON.stringify(record)}\n`);
      const respond = req.headers["x-echo-respond"];
      const headers: Record<string, string | string[]> = { "content-type": "application/json" };
      if (typeof respond === "string") Object.assign(headers, JSON.parse(respond));
      const status = Number(req.headers["x-echo-status"] ?? 200);
      const url = new URL(record.rawPath, "http://origin.invalid");
      if (url.pathname === "/slow") {
        setTimeout(() => {
          res.writeHead(status, headers).end(JSON.stringify(record));
        }, Number(url.searchParams.get("ms") ?? 1000));
        return;
      }
      if (url.pathname === "/reset") {
        req.socket.destroy();
        return;
      }
      if (url.pathname.endsWith("/status-line")) {
        req.socket.end(`HTTP/1.1 ${url.searchParams.get("code")} Odd\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi`);
        return;
      }
      res.writeHead(status, headers).end(JSON.stringify(record));
    });
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    if (new URL(req.url ?? "/", "http://origin.invalid").pathname.endsWith("/redirect-handshake")) {
      note(req, "WS-REDIRECTED", "");
      // The socket left Node's HTTP parser with the upgrade event: it serves this one answer,
      // its body framed by length, by chunks, or by the end of the connection (`?framing=`).
      const framing = new URL(req.url ?? "/", "http://origin.invalid").searchParams.get("framing");
      const head = "HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-type: text/plain\r\nconnection: close\r\n";
      const body = "Found. Redirecting to /elsewhere";
      if (framing === "chunked") socket.end(`${head}transfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
      else if (framing === "close") socket.end(`${head}\r\n${body}`);
      else socket.end(`${head}content-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    // `?hold-ms=N`: the handshake is answered N ms after it arrived (recorded `WS-HANDSHAKE`).
    const holdMs = Number(new URL(req.url ?? "/", "http://origin.invalid").searchParams.get("hold-ms") ?? 0);
    if (holdMs > 0) {
      note(req, "WS-HANDSHAKE", "");
      setTimeout(() => sockets.handleUpgrade(req, socket, head, accepted), holdMs);
    } else sockets.handleUpgrade(req, socket, head, accepted);
  });
  function accepted(ws: OriginSocket, req: http.IncomingMessage): void {
    note(req, "WS-OPEN", "");
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? `binary:${data.toString("base64")}` : data.toString();
      note(req, "WS-MESSAGE", text);
      const close = /^close:(\d+):(.*)$/.exec(text);
      if (close) ws.close(Number(close[1]), close[2]);
      else ws.send(data, { binary: isBinary });
    });
    ws.on("close", (code: number, reason: Buffer) => note(req, "WS-CLOSE", `${code} ${reason.toString()}`));
  }
  // Idle connections stay open longer than the gateway keeps them pooled: Node's 5 s default
  // closes them while workerd may be reusing one (a spurious 502, as the differential origins
  // saw), and a gateway the files share idles between files.
  server.keepAliveTimeout = 120_000;
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolvePromise({
        url: `http://127.0.0.1:${port}`,
        port,
        received,
        mark: async () => received.length,
        since: async (from) => received.slice(from),
        close: () =>
          new Promise((done) => {
            for (const ws of sockets.clients) ws.terminate();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

// ---- raw requests --------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Header lines sent exactly as listed: names keep their case, and a name listed twice goes on
 * the wire twice (an object would merge `X-Auth-User` and `x-auth-user`). `Host` is added first
 * unless listed.
 */
export type HeaderLines = readonly (readonly [name: string, value: string])[];

/** A request whose path goes on the wire exactly as given (no URL normalization). */
export function rawRequest(
  port: number,
  method: string,
  rawPath: string,
  headers: Record<string, string | string[]> | HeaderLines = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const wireHeaders = Array.isArray(headers) ? flatHeaderLines(headers as HeaderLines, port) : (headers as Record<string, string | string[]>);
    const req = http.request({ host: "127.0.0.1", port, method, path: rawPath, headers: wireHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${rawPath}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// node:http sends an array of headers verbatim and adds no Host of its own.
function flatHeaderLines(lines: HeaderLines, port: number): string[] {
  const hasHost = lines.some(([name]) => name.toLowerCase() === "host");
  return [...(hasHost ? [] : ["Host", `127.0.0.1:${port}`]), ...lines.flat()];
}

/** Logs in through delegated login: the echo origin returns X-Gateway-Login on /login. */
export async function loginAs(port: number, identity: { sub: string; roles?: string[]; email?: string; name?: string }, headers: Record<string, string> = {}): Promise<{ token: string; setCookie: string; response: RawResponse }> {
  const response = await rawRequest(port, "POST", "/login", {
    ...headers,
    "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify({ roles: [], ...identity }) }),
  });
  const setCookie = (response.headers["set-cookie"] ?? []).find((line) => line.startsWith("__Host-session="));
  if (!setCookie) throw new Error(`login failed: ${response.status} ${response.body}`);
  return { token: setCookie.slice("__Host-session=".length).split(";")[0]!, setCookie, response };
}
