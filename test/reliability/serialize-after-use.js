// Serializes the node set's provider shim exactly as `dynamic.Resource` does, from the built
// `dist/`, after the provider has been configured with a password and has used it (a preflight
// read against an emulator) in this process, the way the provider host does (its serialized text
// evaluated, then configure and check), so a captured client, config or environment would show in
// the text.
// Prints `{ "used": boolean, "text": string }`. Run by plain `node` from the repository root
// (serialization depends on Node's own `require.cache`), with RELIABILITY_PASSWORD set.
"use strict";
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");

const dist = path.resolve(__dirname, "../../dist");
/** @type {typeof import("../../emulator")} */
const { startEmulator } = require(path.join(dist, "emulator/index.js"));
/** @type {typeof import("../../provider/engine/provider-shim")} */
const { nodeSetProviderShim } = require(path.join(dist, "provider/engine/provider-shim.js"));

async function main() {
  const password = process.env.RELIABILITY_PASSWORD;
  if (!password) throw new Error("set RELIABILITY_PASSWORD");
  // Provider lines go to stderr: stdout carries only the result.
  console.log = (...args) => process.stderr.write(`${args.join(" ")}\n`);
  process.env.CYCLECLOUD_PASSWORD = password;
  const emu = await startEmulator({
    port: 0,
    password,
    timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 },
  });
  try {
    /** @type {Record<string, string>} */
    const config = {
      "cyclecloud:url": emu.url,
      "cyclecloud:username": emu.username,
      "cyclecloud:password": password,
    };
    const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] }));
    const first = await pulumi.runtime.serializeFunction(() => nodeSetProviderShim, { allowSecrets: true });
    const provider = requireFromString(first.text).handler();
    await provider.configure({
      config: {
        get: (/** @type {string} */ key) => config[key],
        require: (/** @type {string} */ key) => config[key] ?? "",
      },
    });
    const checked = await provider.check(
      {},
      {
        identity: "reliability/secrets/set",
        cluster: "hpc",
        nodearray: "ondemand",
        count: 1,
        machineType: "Standard_Fs32_v2",
      },
    );
    const used = (checked.failures ?? []).length === 0 && emu.counters().status === 1;
    const serialized = await pulumi.runtime.serializeFunction(() => nodeSetProviderShim, {
      allowSecrets: true,
    });
    process.stdout.write(JSON.stringify({ used, text: serialized.text }));
  } finally {
    await emu.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
