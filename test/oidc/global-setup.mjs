// vitest globalSetup (Node side) for the workers project: a real OpenID Provider
// (`oidc-provider`, scripts/local-oidc-provider.mjs) and the fake one for negative cases
// (fake-provider.mjs), both on 127.0.0.1. Their issuers reach the Worker tests through
// vitest's provide/inject (test/oidc/helpers.ts).
import { startLocalProvider } from "../../scripts/local-oidc-provider.mjs";
import { startFakeProvider } from "./fake-provider.mjs";

/** The gateway client registered at the real provider; the tests use the same values. */
export const PROVIDER_CLIENT = {
  client_id: "gateway-test-client",
  client_secret: "provider-client-secret-0123456789abcdef0123456789",
  redirect_uris: ["https://gateway.test/_gateway/callback"],
  post_logout_redirect_uris: ["https://gateway.test/"],
};

export default async function setup({ provide }) {
  const provider = await startLocalProvider({ clients: [PROVIDER_CLIENT] });
  const fake = await startFakeProvider();
  provide("oidcProviderIssuer", provider.issuer);
  provide("fakeProviderIssuer", fake.issuer);
  provide("fakeProviderSigningJwk", JSON.stringify(fake.privateJwk));
  return async function teardown() {
    await Promise.all([provider.close(), fake.close()]);
  };
}
