// @ts-check
"use strict";
/**
 * Section 3: the size of the provider text Pulumi stores (twice) in every dynamic resource's state:
 * the node set's and its identity's (serialized from dist/ as `dynamic.Resource` does), those of
 * version 0.1.0 (test/serialization/fixtures), and the floor: the smallest provider that still loads
 * the implementation when called (one function that requires the package and hands over, with
 * Pulumi's wrapper around it and around the `() => provider` it serializes).
 */
const fs = require("node:fs");
const path = require("node:path");
const { ROOT } = require("./common");

/**
 * @param {unknown} provider
 * @returns {Promise<number>}
 */
async function serializedBytes(provider) {
  const pulumi = require(path.join(ROOT, "node_modules", "@pulumi", "pulumi"));
  const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return Buffer.byteLength(text);
}

/** @returns {Promise<{ provider: string; bytes: number }[]>} */
async function providerTextSizes() {
  /** @type {typeof import("../../provider/engine/provider-shim")} */
  const shims = require(path.join(ROOT, "dist", "provider", "engine", "provider-shim.js"));
  const fixtures = path.join(ROOT, "test", "serialization", "fixtures");
  const old = (/** @type {string} */ file) => fs.statSync(path.join(fixtures, file)).size;
  return [
    { provider: "node set, 0.1.0", bytes: old("node-set-provider-0.1.0.js.txt") },
    { provider: "identity, 0.1.0", bytes: old("identity-provider-0.1.0.js.txt") },
    { provider: "node set, now", bytes: await serializedBytes(shims.nodeSetProviderShim) },
    { provider: "identity, now", bytes: await serializedBytes(shims.nodeSetIdentityProviderShim) },
    {
      provider: "floor (one function that loads the package)",
      bytes: await serializedBytes(require("./provider-floor")),
    },
  ];
}

module.exports = { providerTextSizes };
