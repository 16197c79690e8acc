// `npm run assertion-key [-- --alg ES256|EdDSA]`: prints a new private signing key for
// ASSERTION_KEYS, as a JSON array of one JWK, on stdout (so it can be piped into
// `wrangler secret put ASSERTION_KEYS`). The advice goes to stderr. To rotate, put the new key
// second in the array, and later first (docs/assertion.md).
import { randomBytes } from "node:crypto";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { exportJWK, generateKeyPair } from "jose";

const ALGORITHMS = { ES256: { alg: "ES256", options: { crv: "P-256" } }, EdDSA: { alg: "EdDSA", options: { crv: "Ed25519" } } };

/** A new private JWK with a `kid` that says when it was made: `<date>-<random>`. */
export async function newAssertionKey(algName = "ES256") {
  const algorithm = ALGORITHMS[algName];
  if (!algorithm) throw new Error(`unknown --alg ${JSON.stringify(algName)}: ES256 or EdDSA`);
  const { privateKey } = await generateKeyPair(algorithm.alg, { ...algorithm.options, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
  return { ...jwk, kid, alg: algorithm.alg, use: "sig" };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--alg");
  const algName = at === -1 ? "ES256" : args[at + 1];
  try {
    const key = await newAssertionKey(algName);
    process.stdout.write(`${JSON.stringify([key])}\n`);
    process.stderr.write(
      `assertion-key: a new ${key.alg} key, kid ${key.kid}. It is secret: store it with \`wrangler secret put ASSERTION_KEYS\` ` +
        "(or in .dev.vars). To rotate, add it second in the existing array, wait for caches (5 min), then move it first.\n",
    );
  } catch (error) {
    process.stderr.write(`assertion-key: ${error.message}\n`);
    process.exit(1);
  }
}
