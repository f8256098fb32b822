#!/usr/bin/env node
// @ts-check
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

const { randomBytes } = require("node:crypto");
const fs = require("node:fs/promises");
const path = require("node:path");
const { PulumiWorkspace, pulumiCliBin } = require("./lib/workspace");

const REPO = path.resolve(__dirname, "..");
const QUICKSTART = path.join(REPO, "examples", "quickstart");
const STACK = "demo";
/** Lifecycle phases long enough to watch, short enough not to wait for. */
const TIMING = { acquiringMs: 1500, preparingMs: 1500, terminatingMs: 500 };

let interrupted = false;
/** Strings never to print (the emulator's password), replaced in everything shown. */
/** @type {string[]} */
const secrets = [];

/** @param {string} line */
function say(line) {
  process.stdout.write(`\n==> ${line}\n`);
}

/** @param {string} text */
function redact(text) {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[secret]");
  return out;
}

/**
 * Shows a command's output as it comes, line by line and redacted: complete lines only, so a
 * secret is never split across two writes before redaction. `flush` shows what is left.
 * @param {NodeJS.WriteStream} stream
 */
function lineWriter(stream) {
  let pending = "";
  return {
    /** @param {string} text */
    write(text) {
      pending += text;
      const end = pending.lastIndexOf("\n") + 1;
      if (end === 0) return;
      stream.write(redact(pending.slice(0, end)));
      pending = pending.slice(end);
    },
    flush() {
      if (pending) this.write("\n");
    },
  };
}

class DemoError extends Error {}

/**
 * @typedef {{ code: number; stdout: string; stderr: string }} Result
 */

/**
 * @param {Result} result
 * @param {string} what
 * @returns {Result}
 */
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
  try {
    return await pulumiCliBin({ progress: "inherit" });
  } catch (error) {
    throw new DemoError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * A copy of the quickstart program whose packages are this repository and its node_modules.
 * @param {PulumiWorkspace} workspace
 */
async function prepareProgram(workspace) {
  await workspace.copyIntoProgram(QUICKSTART, ["Pulumi.yaml", "index.ts", "tsconfig.json", "package.json"]);
  await workspace.linkPackages({
    "pulumi-cyclecloud": REPO,
    ...Object.fromEntries(
      ["@pulumi", "@types", "typescript"].map((name) => [name, path.join(REPO, "node_modules", name)]),
    ),
  });
}

/**
 * Rows of cells as aligned columns (the first row: the headers).
 * @param {ReadonlyArray<ReadonlyArray<string | number | null | undefined>>} rows
 */
function table(rows) {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map(
      (r) =>
        "    " +
        r
          .map((c, i) => String(c).padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}

async function main() {
  for (const [what, file] of /** @type {[string, string][]} */ ([
    ["the build (npm run build)", path.join(REPO, "dist", "emulator", "index.js")],
    ["@pulumi/pulumi (npm ci)", path.join(REPO, "node_modules", "@pulumi", "pulumi", "package.json")],
    ["typescript (npm ci)", path.join(REPO, "node_modules", "typescript", "package.json")],
  ])) {
    await fs.access(file).catch(() => {
      throw new DemoError(`${what} is missing: run \`npm ci\`, then \`npm run demo\``);
    });
  }
  /** @type {typeof import("../emulator")} */
  const { startEmulator } = require(path.join(REPO, "dist", "emulator"));

  const bin = await pulumiCli();
  // The caller's own Pulumi and CycleCloud settings stay out: the demo needs none.
  const workspace = await PulumiWorkspace.create({
    prefix: "pulumi-cyclecloud-demo-",
    pulumiBin: bin,
    passphrase: randomBytes(12).toString("hex"),
    env: { CYCLECLOUD_POLL_MIN_MS: "500", CYCLECLOUD_POLL_MAX_MS: "2000" },
  });
  /** @type {import("../emulator").RunningEmulator | undefined} */
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

    const program = workspace.programDir;
    await prepareProgram(workspace);
    const color = process.stdout.isTTY ? "always" : "never";
    /**
     * A `pulumi` command, non-interactive; with `stream`, its output is shown as it comes (redacted).
     * @param {readonly string[]} args
     * @param {{ input?: string; stream?: boolean }} [options]
     * @returns {Promise<Result>}
     */
    const pulumi = async (args, options = {}) => {
      const stdout = lineWriter(process.stdout);
      const stderr = lineWriter(process.stderr);
      const outcome = await workspace.pulumi([...args, "--non-interactive", "--color", color], {
        ...(options.input === undefined ? {} : { input: options.input }),
        ...(options.stream
          ? { onStdout: stdout.write.bind(stdout), onStderr: stderr.write.bind(stderr) }
          : {}),
      });
      stdout.flush();
      stderr.flush();
      return { code: outcome.code ?? 1, stdout: outcome.stdout, stderr: outcome.stderr };
    };

    say(`Stack '${STACK}' of examples/quickstart in ${program} (local backend in ${workspace.backendDir})`);
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
    /** @type {{ hostnames?: string[]; privateIps?: string[]; nodeIds?: string[]; readyCount?: number }} */
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
    if (process.env["DEMO_KEEP"] === "1") {
      process.stdout.write(`\n(kept ${workspace.root})\n`);
    } else {
      await workspace.remove();
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
