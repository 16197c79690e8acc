// vitest globalSetup (Node side) for the workers project: the local issuer of workload tokens
// (issuer.mjs) on 127.0.0.1; its origin reaches test/workload-token.test.ts through vitest's
// provide/inject, as the OpenID Providers' issuers do (test/oidc/global-setup.mjs).
import { startWorkloadIssuer } from "./issuer.mjs";

export default async function setup({ provide }) {
  const issuer = await startWorkloadIssuer();
  provide("workloadIssuerOrigin", issuer.origin);
  return () => issuer.close();
}
