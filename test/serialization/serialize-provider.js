// Serializes the node set's provider (or, with the argument `identity`, its identity's provider)
// exactly as `dynamic.Resource` does, from the built `dist/`, and prints the text. Run by plain `node` (a module-transforming test runner would not fill
// `require.cache` the way Node does, and serialization depends on it).
// @ts-check
"use strict";
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const shims = require(path.join(__dirname, "../../dist/provider/engine/provider-shim.js"));
const shim = process.argv[2] === "identity" ? shims.nodeSetIdentityProviderShim : shims.nodeSetProviderShim;

pulumi.runtime
  .serializeFunction(() => shim, { allowSecrets: true })
  .then((serialized) => process.stdout.write(serialized.text))
  .catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
