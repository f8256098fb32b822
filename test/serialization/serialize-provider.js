// Serializes the node set's provider exactly as `dynamic.Resource` does, from the built `dist/`,
// and prints the text. Run by plain `node` (a module-transforming test runner would not fill
// `require.cache` the way Node does, and serialization depends on it).
"use strict";
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const { nodeSetProviderShim } = require(
  path.join(__dirname, "../../dist/provider/resource/provider-shim.js"),
);

pulumi.runtime
  .serializeFunction(() => nodeSetProviderShim, { allowSecrets: true })
  .then((serialized) => process.stdout.write(serialized.text))
  .catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
