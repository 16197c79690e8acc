// Types for `env` and `exports` from "cloudflare:workers" in tests (workers-types GlobalProps).
type GatewayWorkerEnv = import("../src/env").Env;

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../src/index");
    durableNamespaces: "SessionObject" | "UserSessions" | "IdpSessions" | "LogoutTokenReplay" | "ServiceCredential" | "ServiceDirectory";
  }
  interface Env extends GatewayWorkerEnv {}
}
