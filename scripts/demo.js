#!/usr/bin/env node
/**
 * `npm run demo`: the quickstart program (examples/quickstart) through the real Pulumi engine
 * against an in-process CycleCloud emulator, with no configuration: preview, up (with progress),
 * the nodes as Pulumi and the emulator see them, destroy. Everything lives in a temporary folder
 * (local file backend, its own PULUMI_HOME) that is removed at the end.
 *
 * Needs `npm ci` (for @pulumi/pulumi and TypeScript) and a build (`npm run demo` builds first).
 * The Pulumi CLI comes from scripts/pulumi-cli.sh: a pinned `pulumi` on PATH, or one built from Go
 * modules the first time (about 5 minutes) and cached.
 *
 * Environment: DEMO_KEEP=1 keeps the temporary folder.
 */
"use strict";

const { spawn } = require("node:child_process");
const { randomBytes } = require("node:crypto");
const fs = require("node:fs/promises");
const os = require("node:os");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..");
const QUICKSTART = path.join(REPO, "examples", "quickstart");
const STACK = "demo";
/** Lifecycle phases long enough to watch, short enough not to wait for. */
const TIMING = { acquiringMs: 1500, preparingMs: 1500, terminatingMs: 500 };

let interrupted = false;
/** Strings never to print (the emulator's password), replaced in everything shown. */
const secrets = [];

function say(line) {
  process.stdout.write(`\n==> ${line}\n`);
}

function redact(text) {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[secret]");
  return out;
}

/**
 * Runs a command. With `stream`, its output is shown as it comes, line by line (redacted);
 * otherwise it is returned. Resolves with { code, stdout, stderr }.
 */
function run(file, args, { cwd, env, input, stream = false }) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    // Complete lines only, so a secret is never split across two writes before redaction.
    const pending = { stdout: "", stderr: "" };
    const show = (name, text) => {
      pending[name] += text;
      const end = pending[name].lastIndexOf("\n") + 1;
      if (end === 0) return;
      (name === "stdout" ? process.stdout : process.stderr).write(redact(pending[name].slice(0, end)));
      pending[name] = pending[name].slice(end);
    };
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stream) show("stdout", chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (stream) show("stderr", chunk);
    });
    child.stdin.end(input ?? "");
    child.on("error", reject);
    child.on("close", (code) => {
      if (stream) {
        if (pending.stdout) show("stdout", "\n");
        if (pending.stderr) show("stderr", "\n");
      }
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

class DemoError extends Error {}

function check(result, what) {
  if (interrupted) throw new DemoError("interrupted");
  if (result.code !== 0) {
    const detail = redact(`${result.stdout}\n${result.stderr}`.trim()).split("\n").slice(-20).join("\n");
    throw new DemoError(`${what} failed (exit code ${result.code})${detail ? `:\n${detail}` : ""}`);
  }
  return result;
}

/** The folder holding `pulumi` and `pulumi-language-nodejs`, from scripts/pulumi-cli.sh. */
async function pulumiCli() {
  say(
    "Making the Pulumi CLI available (scripts/pulumi-cli.sh). The first time, it is built from Go modules: " +
      "about 5 minutes on two cores; later runs reuse the cache in a second.",
  );
  const result = await new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO, "scripts", "pulumi-cli.sh")], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr: "" }));
  });
  check(result, "scripts/pulumi-cli.sh");
  const bin = result.stdout.trim().split("\n").pop();
  if (!bin) throw new DemoError("scripts/pulumi-cli.sh printed no folder");
  return bin;
}

/** A copy of the quickstart program whose packages are this repository and its node_modules. */
async function prepareProgram(dir) {
  await fs.mkdir(dir, { recursive: true });
  for (const file of ["Pulumi.yaml", "index.ts", "tsconfig.json", "package.json"]) {
    await fs.copyFile(path.join(QUICKSTART, file), path.join(dir, file));
  }
  const modules = path.join(dir, "node_modules");
  await fs.mkdir(modules);
  await fs.symlink(REPO, path.join(modules, "pulumi-cyclecloud"));
  for (const name of ["@pulumi", "@types", "typescript"]) {
    await fs.symlink(path.join(REPO, "node_modules", name), path.join(modules, name));
  }
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map(
      (r) =>
        "    " +
        r
          .map((c, i) => String(c).padEnd(widths[i]))
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}

async function main() {
  for (const [what, file] of [
    ["the build (npm run build)", path.join(REPO, "dist", "emulator", "index.js")],
    ["@pulumi/pulumi (npm ci)", path.join(REPO, "node_modules", "@pulumi", "pulumi", "package.json")],
    ["typescript (npm ci)", path.join(REPO, "node_modules", "typescript", "package.json")],
  ]) {
    await fs.access(file).catch(() => {
      throw new DemoError(`${what} is missing: run \`npm ci\`, then \`npm run demo\``);
    });
  }
  const { startEmulator } = require(path.join(REPO, "dist", "emulator"));

  const bin = await pulumiCli();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "pulumi-cyclecloud-demo-"));
  let emulator;
  try {
    emulator = await startEmulator({ port: 0, timing: TIMING });
    secrets.push(
      emulator.password,
      Buffer.from(`${emulator.username}:${emulator.password}`).toString("base64"),
    );
    say(
      `Started a CycleCloud emulator at ${emulator.url} (cluster 'hpc', nodearray 'ondemand'; in memory, this process only)`,
    );

    const program = path.join(work, "quickstart");
    await prepareProgram(program);
    await fs.mkdir(path.join(work, "state"));
    await fs.mkdir(path.join(work, "pulumi-home"));
    // The caller's own Pulumi and CycleCloud settings stay out: the demo needs none.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(PULUMI_|CYCLECLOUD_)/.test(key)),
    );
    Object.assign(env, {
      PATH: [bin, path.join(REPO, "node_modules", "@pulumi", "pulumi"), process.env.PATH].join(
        path.delimiter,
      ),
      PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
      PULUMI_HOME: path.join(work, "pulumi-home"),
      PULUMI_CONFIG_PASSPHRASE: randomBytes(12).toString("hex"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      CYCLECLOUD_POLL_MIN_MS: "500",
      CYCLECLOUD_POLL_MAX_MS: "2000",
    });
    const color = process.stdout.isTTY ? "always" : "never";
    const pulumi = (args, options = {}) =>
      run(path.join(bin, "pulumi"), [...args, "--non-interactive", "--color", color], {
        cwd: program,
        env,
        ...options,
      });

    say(
      `Stack '${STACK}' of examples/quickstart in ${program} (local backend in ${path.join(work, "state")})`,
    );
    check(await pulumi(["stack", "init", STACK]), "pulumi stack init");
    check(
      await pulumi(["config", "set", "cyclecloud:url", emulator.url]),
      "pulumi config set cyclecloud:url",
    );
    check(
      await pulumi(["config", "set", "cyclecloud:username", emulator.username]),
      "pulumi config set cyclecloud:username",
    );
    check(
      await pulumi(["config", "set", "--secret", "cyclecloud:password"], { input: emulator.password }),
      "pulumi config set --secret cyclecloud:password",
    );
    process.stdout.write(
      "    cyclecloud:url, cyclecloud:username and cyclecloud:password (as a secret) are set\n",
    );

    say("pulumi preview: what would change (nothing is created yet)");
    check(await pulumi(["preview"], { stream: true }), "pulumi preview");

    say("pulumi up: create the node set and wait until its 2 nodes are Ready");
    check(await pulumi(["up", "--yes"], { stream: true }), "pulumi up");

    say("The nodes, as the stack outputs show them (pulumi stack output --json)");
    const outputs = JSON.parse(
      check(await pulumi(["stack", "output", "--json"]), "pulumi stack output").stdout,
    );
    const hostnames = outputs.hostnames ?? [];
    process.stdout.write(
      table([
        ["hostname", "private IP", "node id"],
        ...hostnames.map((h, i) => [h, outputs.privateIps?.[i] ?? "", outputs.nodeIds?.[i] ?? ""]),
      ]) + `\n    readyCount: ${outputs.readyCount}\n`,
    );

    say("The same nodes, as the emulator holds them");
    const nodes = emulator.nodes();
    process.stdout.write(
      table([
        ["name", "status", "machine type", "private IP", "request id"],
        ...nodes.map((n) => [
          n.record.Name,
          n.record.Status,
          n.record.MachineType,
          n.record.PrivateIp ?? "-",
          n.requestId ?? "-",
        ]),
      ]) + "\n",
    );

    say("pulumi destroy: terminate the nodes");
    check(await pulumi(["destroy", "--yes"], { stream: true }), "pulumi destroy");
    const left = emulator.nodes();
    if (left.length > 0) {
      throw new DemoError(
        `the emulator still holds ${left.length} node(s) after destroy: ${left.map((n) => n.record.Name).join(", ")}`,
      );
    }
    process.stdout.write("    The emulator holds no nodes: everything the stack created is gone.\n");
  } finally {
    if (emulator) await emulator.close();
    if (process.env.DEMO_KEEP === "1") {
      process.stdout.write(`\n(kept ${work})\n`);
    } else {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  say("Demo finished: emulator stopped, temporary folder removed.");
}

process.on("SIGINT", () => {
  // The running pulumi command gets the same signal and stops; main() then cleans up.
  interrupted = true;
});

main().then(
  () => {
    process.exitCode = 0;
  },
  (error) => {
    const message = error instanceof DemoError ? error.message : (error && error.stack) || String(error);
    process.stderr.write(`\nDemo failed: ${redact(message)}\n`);
    process.exitCode = interrupted ? 130 : 1;
  },
);
