/**
 * vitest globalSetup (vitest's main process) for the e2e project: the gateways of
 * test/e2e/gateways.ts, each a `wrangler dev` in front of its own echo origin, and the local
 * OpenID Provider of the OIDC one. vitest runs every project's setup before any test, so the
 * gateways start here in the background — while the workers project runs — and a file waits
 * only if its gateway is not ready yet. Ports, directories and the control server's URL reach
 * the files with `provide("e2e", …)`.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalProvider } from "../../scripts/local-oidc-provider.mjs";
import { type E2EContext, GATEWAY_SETTINGS, type GatewayInfo, type GatewayName, OIDC_CLIENT } from "./gateways";
import { type EchoOrigin, FAST_TEMP_ROOT, freePort, type GatewayProcess, startEchoOrigin, startGateway } from "./harness";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(join(FAST_TEMP_ROOT, "gateway-e2e-run-"));
  const abort = new AbortController();
  const origins = new Map<string, EchoOrigin>();
  const running: GatewayProcess[] = [];
  let control: http.Server | undefined;
  let provider: Awaited<ReturnType<typeof startLocalProvider>> | undefined;
  let starting: Promise<void>[] = [];

  const teardown = async () => {
    abort.abort();
    await Promise.allSettled(starting);
    await Promise.allSettled(running.map((gateway) => gateway.stop()));
    await Promise.allSettled([...origins.values()].map((origin) => origin.close()));
    if (control) {
      const closed = new Promise((done) => control!.close(done));
      control.closeAllConnections();
      await closed;
    }
    await provider?.close();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const names = [...(Object.keys(GATEWAY_SETTINGS) as (keyof typeof GATEWAY_SETTINGS)[]), "oidc"] as const;
    const recordsFile = (name: string) => join(root, `${name}.records.ndjson`);
    for (const name of names) origins.set(name, await startEchoOrigin({ recordsFile: recordsFile(name) }));
    control = await startControlServer(origins, recordsFile);

    // The provider's client needs the gateway's URLs, and the gateway the provider's issuer.
    const eventsFile = join(root, "oidc-events.log");
    provider = await startLocalProvider({ onEvent: (event: string) => appendFileSync(eventsFile, `${event}\n`) });

    const gateways = {} as Record<GatewayName, GatewayInfo>;
    const vars = {} as Record<GatewayName, Record<string, unknown>>;
    for (const name of names) {
      const port = await freePort();
      const dir = join(root, name);
      const origin = origins.get(name)!;
      gateways[name] = {
        port,
        url: `http://127.0.0.1:${port}`,
        stateDir: join(dir, "state"),
        logFile: join(root, `${name}.log`),
        statusFile: join(root, `${name}.status.json`),
        origin: { name, url: origin.url, port: origin.port, recordsFile: recordsFile(name) },
      };
      vars[name] = name === "oidc" ? {} : GATEWAY_SETTINGS[name];
    }
    const oidcUrl = gateways.oidc.url;
    provider.setClients([
      {
        client_id: OIDC_CLIENT.id,
        client_secret: OIDC_CLIENT.secret,
        redirect_uris: [`${oidcUrl}/_gateway/callback`],
        post_logout_redirect_uris: [`${oidcUrl}/`],
        backchannel_logout_uri: `${oidcUrl}/_gateway/backchannel-logout`,
        backchannel_logout_session_required: true,
      },
    ]);
    vars.oidc = {
      AUTH_MODE: "oidc",
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: OIDC_CLIENT.id,
      OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      OIDC_REDIRECT_URI: `${oidcUrl}/_gateway/callback`,
    };

    const context: E2EContext = {
      controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
      gateways,
      oidc: { issuer: provider.issuer, eventsFile },
    };
    project.provide("e2e", context);

    // Not awaited: the files wait for their own gateway (gateways.ts, useGateway).
    starting = names.map(async (name) => {
      const info = gateways[name];
      try {
        const gateway = await startGateway({
          port: info.port,
          dir: join(root, name),
          logFile: info.logFile,
          originUrl: info.origin.url,
          vars: vars[name],
          signal: abort.signal,
        });
        running.push(gateway);
        writeFileSync(info.statusFile, JSON.stringify({ ready: true }));
      } catch (error) {
        writeFileSync(info.statusFile, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      }
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** Stops an origin for a file, and starts it again on its port. */
function startControlServer(origins: Map<string, EchoOrigin>, recordsFile: (name: string) => string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://control.invalid");
    const [, kind, name, action] = url.pathname.split("/");
    const origin = kind === "origins" ? origins.get(name ?? "") : undefined;
    const answer = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (!origin) return answer(404, { error: `no origin ${name}` });
    try {
      if (req.method === "POST" && action === "stop") {
        await origin.close();
        return answer(200, {});
      }
      if (req.method === "POST" && action === "start") {
        origins.set(name!, await startEchoOrigin({ port: origin.port, received: origin.received, recordsFile: recordsFile(name!) }));
        return answer(200, {});
      }
      return answer(404, { error: `no action ${req.method} ${action}` });
    } catch (error) {
      return answer(500, { error: String(error) });
    }
  });
  server.keepAliveTimeout = 120_000;
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
