// @ts-check
"use strict";
/**
 * Sections 3 and 4: through the real Pulumi engine (`pulumi` CLI, local file backend) against the
 * in-process emulator. One temporary project holds a plain JavaScript program (no ts-node, so the
 * comparison measures the provider, not the compiler) that declares either N `CycleCloudNodeSet`s
 * or N trivial dynamic resources that make no API call.
 */
const fs = require("node:fs");
const path = require("node:path");
const { ROOT, CLUSTER, NODEARRAY, MACHINE_TYPE, now } = require("./common");
const { PulumiWorkspace, pulumiCliBin } = require("../../scripts/lib/workspace");

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");

const config = new pulumi.Config("bench");
const kind = config.require("kind");
const sets = config.requireNumber("sets");
const count = config.requireNumber("count");
const preflight = config.get("preflight") || "enforce";

// The floor: a dynamic resource whose provider makes no call at all.
const trivialProvider = {
  async create(inputs) {
    return { id: "trivial-" + Math.random().toString(36).slice(2), outs: inputs };
  },
};
// Diagnostic variant: the same, but loading the node set's implementation in the provider process
// (as the node set's shim does), to separate module loading from API work.
const loadingProvider = {
  async create(inputs) {
    // (the program side loads the package too, below)
    const { createRequire } = require("node:module");
    const { join } = require("node:path");
    createRequire(join(process.cwd(), "x.js"))("pulumi-cyclecloud/internal/provider-impl");
    return { id: "trivial-" + Math.random().toString(36).slice(2), outs: inputs };
  },
};

if (kind === "loading") require("pulumi-cyclecloud");
for (let i = 0; i < sets; i++) {
  if (kind === "pairs") {
    // The floor of a node set's shape: two trivial resources, the second waiting for an output of
    // the first (as a set waits for its identity).
    const first = new pulumi.dynamic.Resource(trivialProvider, "id" + i, { token: undefined }, {});
    new pulumi.dynamic.Resource(trivialProvider, "set" + i, { count, first: first.id }, {});
  } else if (kind === "nodeset") {
    const { CycleCloudNodeSet } = require("pulumi-cyclecloud");
    new CycleCloudNodeSet("set" + i, {
      cluster: ${JSON.stringify(CLUSTER)},
      nodearray: ${JSON.stringify(NODEARRAY)},
      machineType: ${JSON.stringify(MACHINE_TYPE)},
      count,
      preflight,
    });
  } else {
    new pulumi.dynamic.Resource(kind === "loading" ? loadingProvider : trivialProvider, "set" + i, { count }, {});
  }
}
`;

/** CPU seconds of waited-for child processes of this process (the CLI and everything it ran). */
function childrenCpuSeconds() {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat (cutime, cstime), counted from the state field (3).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * @typedef {object} TimedRun
 * @property {number} ms Wall time of the command.
 * @property {{ children: number; emulator: number }} cpu CPU seconds of the CLI, language host, program and provider processes; and of this process (the emulator) meanwhile.
 * @property {string} stdout
 * @property {string} stderr
 */

/**
 * A temporary project, backend and PULUMI_HOME (scripts/lib/workspace.js); `run` executes the CLI
 * in it (asynchronously) and rejects when it fails.
 */
async function createWorkspace() {
  const bin = await pulumiCliBin({ progress: "ignore" });
  const workspace = await PulumiWorkspace.create({ prefix: "pcc-bench-", pulumiBin: bin, passphrase: "x" });
  try {
    await workspace.writeProgramFile(
      "Pulumi.yaml",
      "name: cyclecloud-bench\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
    );
    await workspace.writeProgramFile(
      "package.json",
      '{ "name": "cyclecloud-bench", "private": true, "main": "index.js" }\n',
    );
    await workspace.writeProgramFile("index.js", PROGRAM);
    await workspace.linkPackages({
      "pulumi-cyclecloud": ROOT,
      "@pulumi": path.join(ROOT, "node_modules", "@pulumi"),
      typescript: path.join(ROOT, "node_modules", "typescript"),
      "@types": path.join(ROOT, "node_modules", "@types"),
    });
  } catch (error) {
    await workspace.remove();
    throw error;
  }

  /**
   * @param {readonly string[]} args
   * @param {{ input?: string }} [options]
   * @returns {Promise<TimedRun>}
   */
  async function run(args, { input } = {}) {
    const started = now();
    const cpuChildren = childrenCpuSeconds();
    const cpuSelf = process.cpuUsage();
    const { code, stdout, stderr } = await workspace.pulumi(args, input === undefined ? {} : { input });
    const ms = now() - started;
    const self = process.cpuUsage(cpuSelf);
    // CPU of the CLI, language host, program and provider processes; and of this process
    // (the emulator) meanwhile.
    const cpu = {
      children: childrenCpuSeconds() - cpuChildren,
      emulator: (self.user + self.system) / 1e6,
    };
    if (code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${code}:\n${stdout}\n${stderr}`);
    return { ms, cpu, stdout, stderr };
  }

  /** @type {import("./common").EmulatorHandle | undefined} */
  let emulator;
  return {
    dir: workspace.root,
    run,
    /** @param {import("./common").EmulatorHandle} emu */
    async setup(emu) {
      await run(["login", workspace.backendUrl]);
      emulator = emu;
    },
    /**
     * Creates a stack with the connection in stack config and the given `bench:*` config.
     * @param {string} name
     * @param {Record<string, string | number>} benchConfig
     */
    async stack(name, benchConfig) {
      if (!emulator) throw new Error("call setup() first");
      await run(["stack", "init", name, "--non-interactive"]);
      const { url, username, password } = emulator.info;
      await run(["config", "set", "--stack", name, "cyclecloud:url", url]);
      await run(["config", "set", "--stack", name, "cyclecloud:username", username]);
      await run(["config", "set", "--stack", name, "--secret", "cyclecloud:password"], { input: password });
      for (const [key, value] of Object.entries(benchConfig)) {
        await run(["config", "set", "--stack", name, `bench:${key}`, String(value)]);
      }
    },
    /** @param {string} stack */
    up: (stack) => run(["up", "--stack", stack, "--yes", "--skip-preview", "--non-interactive"]),
    /** @param {string} stack */
    destroy: (stack) => run(["destroy", "--stack", stack, "--yes", "--skip-preview", "--non-interactive"]),
    /**
     * Bytes of the stack's deployment as `pulumi stack export` prints it.
     * @param {string} stack
     */
    deploymentBytes: async (stack) =>
      Buffer.byteLength((await run(["stack", "export", "--stack", stack])).stdout),
    /** @param {string} stack */
    preview: (stack) => run(["preview", "--stack", stack, "--non-interactive"]),
    remove: () => workspace.remove(),
  };
}

/** @typedef {Awaited<ReturnType<typeof createWorkspace>>} BenchWorkspace */

module.exports = { createWorkspace };
