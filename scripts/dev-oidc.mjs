// `npm run dev:oidc [-- <wrangler dev options>]`: the demo behind the gateway in OIDC mode.
//
// 1. Starts a local OpenID Provider (scripts/local-oidc-provider.mjs) on
//    http://127.0.0.1:9090 (DEV_OIDC_PORT to change it) with the gateway registered as a
//    client: redirect URI, post-logout redirect URI and back-channel logout URI on
//    http://localhost:8787 (or the `--port` you pass). Anyone can sign in, under any name and
//    password; names starting with "admin" get the admin role.
// 2. Runs `npm run dev` (scripts/dev.mjs: .dev.vars, wrangler dev with the demo origin) with
//    `--var` overrides that switch the gateway to OIDC mode against that provider.
// The provider lives as long as wrangler does; Ctrl-C stops both.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { startLocalProvider } from "./local-oidc-provider.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const gatewayPort = portArgument(args) ?? 8787;
// localhost for the gateway, 127.0.0.1 for the provider: two hosts, so their cookies stay apart.
const gateway = `http://localhost:${gatewayPort}`;
const clientId = "gateway-dev";
const clientSecret = randomBytes(32).toString("base64url");

let provider;
try {
  provider = await startLocalProvider({
    port: Number(process.env.DEV_OIDC_PORT ?? 9090),
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${gateway}/_gateway/callback`],
        post_logout_redirect_uris: [`${gateway}/`],
        backchannel_logout_uri: `${gateway}/_gateway/backchannel-logout`,
        backchannel_logout_session_required: true,
      },
    ],
    onEvent: (event, ...details) => {
      if (event !== "backchannel.success") console.warn(`dev:oidc: provider ${event}: ${details.at(-1)}`);
    },
  });
} catch (error) {
  console.error(`dev:oidc: could not start the local OpenID Provider: ${error.message} (set DEV_OIDC_PORT to use another port)`);
  process.exit(1);
}

console.log(
  [
    "",
    `dev:oidc: local OpenID Provider at ${provider.issuer} (development only).`,
    `dev:oidc: open ${gateway}/ and sign in under any name and password; names starting with "admin" get the admin role.`,
    "",
  ].join("\n"),
);

const vars = {
  AUTH_MODE: "oidc",
  OIDC_ISSUER: provider.issuer,
  OIDC_CLIENT_ID: clientId,
  OIDC_CLIENT_SECRET: clientSecret,
  OIDC_REDIRECT_URI: `${gateway}/_gateway/callback`,
  // Required in OIDC mode (README, "Who gets in"); the local provider's accounts are all
  // <name>@example.com with a verified address.
  ALLOWED_USERS: JSON.stringify({ emailDomains: ["example.com"] }),
  OIDC_POST_LOGOUT_REDIRECT_URI: `${gateway}/`,
};
const varArgs = Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
// The same process group: Ctrl-C in the terminal reaches wrangler directly.
const child = spawn(process.execPath, [path.join(root, "scripts/dev.mjs"), ...varArgs, ...args], { cwd: root, stdio: "inherit" });

const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, forward);

child.on("error", async (error) => {
  console.error(`dev:oidc: could not start the gateway: ${error.message}`);
  await provider.close();
  process.exit(1);
});
child.on("exit", async (code, signal) => {
  await provider.close();
  process.exit(signal ? 1 : (code ?? 1));
});

function portArgument(list) {
  for (let index = 0; index < list.length; index++) {
    const match = /^--port(?:=(\d+))?$/.exec(list[index]);
    if (match) return Number(match[1] ?? list[index + 1]);
  }
  return null;
}
