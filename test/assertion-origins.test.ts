/**
 * The assertion's audience is the origin's (docs/assertion.md "One audience per origin";
 * checklist R6): a public blog routed by path beside the app, on the same host, gets assertions
 * that the app's verifier refuses. Through the Worker's fetch handler, verified with jose
 * against the JWKS the gateway serves, as an origin would.
 */
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config/resolve";
import type { Env } from "../src/env";
import { assertionGateway, assertionOf, forwarded, newSession, privateJwk, verifierFor } from "./assertion-helpers";
import { silenceConfigLogs } from "./helpers";

const key = await privateJwk("origins-key");

/** A service-binding origin that answers with the assertion it received. */
function blogOrigin(): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      return Response.json({ assertion: new Request(input, init).headers.get("x-auth-assertion") });
    },
  } as unknown as Fetcher;
}

/** The app at the default origin (the echo fixture) and a public blog under /blog/ on the same host. */
function blogBesideApp(blogEntry: Record<string, unknown> = { service: "BLOG_APP" }, settings: Partial<Env> = {}): Env {
  return assertionGateway([key], {
    BLOG_APP: blogOrigin(),
    ORIGINS: JSON.stringify({ blog: blogEntry }),
    ROUTES: JSON.stringify([
      { path: "/blog/*", access: "public", origin: "blog" },
      { path: "/*", access: "session" },
    ]),
    ...settings,
  } as Partial<Env>);
}

/** The assertions the app and the blog received for one session. */
async function assertionsOf(gateway: Env): Promise<{ app: string; blog: string }> {
  const { token } = await newSession();
  const app = assertionOf(await forwarded(gateway, token))!;
  const blog = ((await forwarded(gateway, token, "/blog/a-post")) as unknown as { assertion: string }).assertion;
  return { app, blog };
}

describe("one audience per origin", () => {
  it("makes the blog's assertion fail the app's verifier, and each verify with its own audience", async () => {
    const gateway = blogBesideApp();
    const verify = verifierFor(gateway);
    const { app, blog } = await assertionsOf(gateway);
    await expect(verify(app)).resolves.toMatchObject({ payload: { aud: "https://gateway.test" } });
    await expect(verify(blog)).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "aud" });
    await expect(verify(blog, { audience: "https://gateway.test#blog" })).resolves.toMatchObject({ payload: { aud: "https://gateway.test#blog" } });
    await expect(verify(app, { audience: "https://gateway.test#blog" })).rejects.toMatchObject({ claim: "aud" });
  });

  it("states the audience an ORIGINS entry names, for a service or a URL origin", async () => {
    const gateway = blogBesideApp({ service: "BLOG_APP", audience: "https://blog.example.com" });
    const { app, blog } = await assertionsOf(gateway);
    expect(decodeJwt(blog).aud).toBe("https://blog.example.com");
    await expect(verifierFor(gateway)(blog)).rejects.toMatchObject({ claim: "aud" });
    expect(decodeJwt(app).aud).toBe("https://gateway.test");
    const urlEntry = await resolveConfig(blogBesideApp({ url: "https://blog-internal.example.com/prefix", audience: "blog" }));
    expect(urlEntry.ok && urlEntry.config.assertion?.originAudiences.get("blog")).toBe("blog");
    expect(urlEntry.ok && urlEntry.config.origins.get("blog")).toEqual({ kind: "url", url: new URL("https://blog-internal.example.com"), pathPrefix: "/prefix" });
  });

  it("derives a named origin's audience from ASSERTION_AUDIENCE when that is set", async () => {
    const { app, blog } = await assertionsOf(blogBesideApp(undefined, { ASSERTION_AUDIENCE: "shop" }));
    expect([decodeJwt(app).aud, decodeJwt(blog).aud]).toEqual(["shop", "shop#blog"]);
  });

});

describe("audiences in the configuration", () => {
  silenceConfigLogs();

  it.each<[string, Record<string, unknown>, Partial<Env>, RegExp]>([
    ["the default origin's", { service: "BLOG_APP", audience: "shop" }, { ASSERTION_AUDIENCE: "shop" }, /ORIGINS\.blog\.audience \("shop"\) is the audience of origin "default" too/],
    ["the issuer, which is the default audience", { service: "BLOG_APP", audience: "https://sso.example.com" }, { ASSERTION_ISSUER: "https://sso.example.com" }, /is the audience of origin "default" too/],
    ["not a claim value", { service: "BLOG_APP", audience: "two words" }, {}, /ORIGINS/],
  ])("refuses an ORIGINS audience that is %s", async (_, entry, settings, problem) => {
    const result = await resolveConfig(blogBesideApp(entry, settings));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toContainEqual(expect.stringMatching(problem));
  });

  it("refuses two named origins with one audience", async () => {
    const result = await resolveConfig({
      ...blogBesideApp(),
      DOCS_APP: blogOrigin(),
      ORIGINS: JSON.stringify({ blog: { service: "BLOG_APP", audience: "public-site" }, docs: { service: "DOCS_APP", audience: "public-site" } }),
    } as Env);
    expect(result.ok ? [] : result.problems).toContainEqual(expect.stringMatching(/ORIGINS\.docs\.audience \("public-site"\) is the audience of origin "blog" too/));
  });
});
