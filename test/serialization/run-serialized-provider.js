// Loads serialized provider text the way the dynamic provider host does (require-from-string, an
// empty filename, the working directory of the Pulumi program) and drives it through
// configure/check/create/read/delete against a CycleCloud server. Prints one JSON summary line.
// Usage: node run-serialized-provider.js <text file>; connection from CYCLECLOUD_TEST_URL/USER/PASS.
// @ts-check
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] }));

async function main() {
  const textFile = process.argv[2];
  if (textFile === undefined) throw new Error("usage: node run-serialized-provider.js <text file>");
  const text = fs.readFileSync(textFile, "utf8");
  const provider = requireFromString(text).handler();
  /** @type {Record<string, string | undefined>} */
  const config = {
    "cyclecloud:url": process.env.CYCLECLOUD_TEST_URL,
    "cyclecloud:username": process.env.CYCLECLOUD_TEST_USER,
    "cyclecloud:password": process.env.CYCLECLOUD_TEST_PASS,
  };
  await provider.configure({
    config: {
      get: (/** @type {string} */ key) => config[key],
      require: (/** @type {string} */ key) => config[key],
    },
  });
  const news = {
    identity: "roundtrip/test/workers",
    cluster: "hpc",
    nodearray: "ondemand",
    count: 2,
    machineType: "Standard_Fs32_v2",
  };
  const checked = await provider.check({}, news);
  const created = await provider.create(checked.inputs);
  const read = await provider.read(created.id, created.outs);
  await provider.delete(created.id, read.props);
  console.log(
    JSON.stringify({
      failures: checked.failures,
      id: created.id,
      created: created.outs.nodes.map((/** @type {{ status: string }} */ n) => n.status),
      read: read.props.nodeIds.length,
      readInputsCount: read.inputs.count,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
