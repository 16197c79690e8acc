/**
 * vitest globalSetup (vitest's main process) for the e2e project: the gateways of
 * test/e2e/gateways.ts, each a `wrangler dev` in front of its own echo origin, and the local
 * OpenID Provider of the OIDC one, and the local issuer of workload tokens the shared one trusts. vitest runs every project's setup before any test, so the
 * gateways start here in the background — while the workers project runs — and a file waits
 * only if its gateway is not ready yet. Directories, files and the control server's URL reach
 * the files with `provide("e2e", …)`; a gateway's port, chosen as it starts, with its status.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalProvider } from "../../scripts/local-oidc-provider.mjs";
import { startWorkloadIssuer } from "../workload/issuer.mjs";
import { type E2EContext, GATEWAY_SETTINGS, type GatewayInfo, type GatewayName, OIDC_CLIENT, originsSetting, trustedIssuersSetting } from "./gateways";
import { type EchoOrigin, FAST_TEMP_ROOT, freePort, type GatewayProcess, startEchoOrigin, startGateway } from "./harness";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(join(FAST_TEMP_ROOT, "gateway-e2e-run-"));
  const abort = new AbortController();
  const origins = new Map<string, EchoOrigin>();
  const running: GatewayProcess[] = [];
  let control: http.Server | undefined;
  let provider: Awaited<ReturnType<typeof startLocalProvider>> | undefined;
  let workloadIssuer: Awaited<ReturnType<typeof startWorkloadIssuer>> | undefined;
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
    await workloadIssuer?.close();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const names = [...(Object.keys(GATEWAY_SETTINGS) as (keyof typeof GATEWAY_SETTINGS)[]), "oidc"] as const;
    const recordsFile = (name: string) => join(root, `${name}.records.ndjson`);
    for (const name of names) origins.set(name, await startEchoOrigin({ recordsFile: recordsFile(name) }));
    control = await startControlServer(origins, recordsFile);

    // The provider's client needs the gateway's URLs, and the gateway the provider's issuer:
    // the client is registered once the gateway's port is chosen (oidcSettings).
    const eventsFile = join(root, "oidc-events.log");
    provider = await startLocalProvider({ onEvent: (event: string) => appendFileSync(eventsFile, `${event}\n`) });

    // The shared gateway's TRUSTED_ISSUERS name tenants of it (trustedIssuersSetting).
    workloadIssuer = await startWorkloadIssuer();

    const gateways = {} as Record<GatewayName, GatewayInfo>;
    for (const name of names) {
      const origin = origins.get(name)!;
      gateways[name] = {
        stateDir: join(root, name, "state"),
        logFile: join(root, `${name}.log`),
        statusFile: join(root, `${name}.status.json`),
        origin: { name, url: origin.url, port: origin.port, recordsFile: recordsFile(name) },
      };
    }
    const context: E2EContext = {
      controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
      gateways,
      oidc: { issuer: provider.issuer, eventsFile },
      workloadIssuer: { origin: workloadIssuer.origin },
    };
    project.provide("e2e", context);

    /** The OIDC gateway's settings, and its client at the provider, for the port it gets. */
    const oidcSettings = (port: number) => {
      const url = `http://127.0.0.1:${port}`;
      provider!.setClients([
        {
          client_id: OIDC_CLIENT.id,
          client_secret: OIDC_CLIENT.secret,
          redirect_uris: [`${url}/_gateway/callback`],
          post_logout_redirect_uris: [`${url}/`],
          backchannel_logout_uri: `${url}/_gateway/backchannel-logout`,
          backchannel_logout_session_required: true,
        },
      ]);
      return {
        AUTH_MODE: "oidc",
        OIDC_ISSUER: provider!.issuer,
        OIDC_CLIENT_ID: OIDC_CLIENT.id,
        OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
        OIDC_REDIRECT_URI: `${url}/_gateway/callback`,
        // The local provider's accounts are all <name>@example.com, verified.
        ALLOWED_USERS: JSON.stringify({ emailDomains: ["example.com"] }),
        // A route that needs a recent login (test/e2e/oidc-provider-logout.test.ts, R1).
        ROUTES: JSON.stringify([{ path: "/fresh{/*}?", access: { maxAuthAgeSeconds: 3600 } }]),
      };
    };

    /**
     * Starts one gateway on a port chosen just before, and says so in its status file. A port
     * can still be taken in between (wrangler then exits at once): up to three tries.
     */
    const start = async (name: GatewayName): Promise<void> => {
      const info = gateways[name];
      let failure: unknown;
      for (let attempt = 0; attempt < 3 && !abort.signal.aborted; attempt++) {
        try {
          const port = await freePort();
          const gateway = await startGateway({
            port,
            dir: join(root, name),
            logFile: info.logFile,
            originUrl: info.origin.url,
            vars:
              name === "oidc"
                ? oidcSettings(port)
                : { ...GATEWAY_SETTINGS[name], ...originsSetting(name, info.origin.url), ...trustedIssuersSetting(name, workloadIssuer!.origin) },
            signal: abort.signal,
          });
          running.push(gateway);
          writeFileSync(info.statusFile, JSON.stringify({ ready: true, port }));
          return;
        } catch (error) {
          failure = error;
        }
      }
      writeFileSync(info.statusFile, JSON.stringify({ error: failure instanceof Error ? failure.message : String(failure) }));
    };

    // Not awaited: the files wait for their own gateway (gateways.ts, useGateway). One at a
    // time, the shared one first: a start takes most of a core for a few seconds, and the
    // workers project runs meanwhile on the same two.
    let previous: Promise<void> = Promise.resolve();
    starting = names.map((name) => (previous = previous.then(() => start(name))));
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
