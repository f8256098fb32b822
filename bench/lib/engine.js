"use strict";
/**
 * Sections 3 and 4: through the real Pulumi engine (`pulumi` CLI, local file backend) against the
 * in-process emulator. One temporary project holds a plain JavaScript program (no ts-node, so the
 * comparison measures the provider, not the compiler) that declares either N `CycleCloudNodeSet`s
 * or N trivial dynamic resources that make no API call.
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn, execFileSync } = require("node:child_process");
const { ROOT, CLUSTER, NODEARRAY, MACHINE_TYPE, now } = require("./common");

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
  if (kind === "nodeset") {
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

function pulumiBin() {
  const out = execFileSync("bash", [path.join(ROOT, "scripts", "pulumi-cli.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return out.trim().split("\n").pop();
}

/** A temporary project, backend and PULUMI_HOME; `run` executes the CLI in it (asynchronously). */
function createWorkspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcc-bench-"));
  const prog = path.join(dir, "prog");
  fs.mkdirSync(path.join(prog, "node_modules"), { recursive: true });
  fs.mkdirSync(path.join(dir, "state"));
  fs.mkdirSync(path.join(dir, "home"));
  fs.writeFileSync(
    path.join(prog, "Pulumi.yaml"),
    "name: cyclecloud-bench\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
  );
  fs.writeFileSync(
    path.join(prog, "package.json"),
    '{ "name": "cyclecloud-bench", "private": true, "main": "index.js" }\n',
  );
  fs.writeFileSync(path.join(prog, "index.js"), PROGRAM);
  const links = {
    "pulumi-cyclecloud": ROOT,
    "@pulumi": path.join(ROOT, "node_modules", "@pulumi"),
    typescript: path.join(ROOT, "node_modules", "typescript"),
    "@types": path.join(ROOT, "node_modules", "@types"),
  };
  for (const [name, target] of Object.entries(links))
    fs.symlinkSync(target, path.join(prog, "node_modules", name));

  const bin = pulumiBin();
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith("CYCLECLOUD_") || key.startsWith("PULUMI_")) Reflect.deleteProperty(env, key);
  Object.assign(env, {
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "x",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PATH: `${bin}:${path.join(ROOT, "node_modules", "@pulumi", "pulumi")}:${process.env.PATH}`,
  });

  function run(args, { input } = {}) {
    return new Promise((resolve, reject) => {
      const started = now();
      const cpuChildren = childrenCpuSeconds();
      const cpuSelf = process.cpuUsage();
      const child = spawn(path.join(bin, "pulumi"), args, {
        cwd: prog,
        env,
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => {
        const ms = now() - started;
        const self = process.cpuUsage(cpuSelf);
        // CPU of the CLI, language host, program and provider processes; and of this process
        // (the emulator) meanwhile.
        const cpu = {
          children: childrenCpuSeconds() - cpuChildren,
          emulator: (self.user + self.system) / 1e6,
        };
        if (code !== 0) {
          reject(new Error(`pulumi ${args.join(" ")} exited ${code}:\n${stdout}\n${stderr}`));
        } else resolve({ ms, cpu, stdout, stderr });
      });
      child.stdin.end(input ?? "");
    });
  }

  return {
    dir,
    run,
    async setup(emu) {
      await run(["login", `file://${path.join(dir, "state")}`]);
      this.emu = emu;
    },
    /** Creates a stack with the connection in stack config and the given `bench:*` config. */
    async stack(name, benchConfig) {
      await run(["stack", "init", name, "--non-interactive"]);
      const { url, username, password } = this.emu.info;
      await run(["config", "set", "--stack", name, "cyclecloud:url", url]);
      await run(["config", "set", "--stack", name, "cyclecloud:username", username]);
      await run(["config", "set", "--stack", name, "--secret", "cyclecloud:password"], { input: password });
      for (const [key, value] of Object.entries(benchConfig)) {
        await run(["config", "set", "--stack", name, `bench:${key}`, String(value)]);
      }
    },
    up: (stack) => run(["up", "--stack", stack, "--yes", "--skip-preview", "--non-interactive"]),
    destroy: (stack) => run(["destroy", "--stack", stack, "--yes", "--skip-preview", "--non-interactive"]),
    preview: (stack) => run(["preview", "--stack", stack, "--non-interactive"]),
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { createWorkspace };
