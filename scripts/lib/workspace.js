// @ts-check
/**
 * A temporary Pulumi workspace and the Pulumi CLI as a child process, shared by the end-to-end
 * harness (test/e2e/harness.ts, through vitest), the demo (scripts/demo.js) and the benchmarks
 * (bench/lib/engine.js). Plain JavaScript on Node's own modules, so `node` runs it as is and the
 * typecheck (`checkJs`) reads its JSDoc types.
 *
 * A workspace is a fresh folder in the system's temporary folder:
 *   program/      the Pulumi program (Pulumi.yaml, its code, node_modules of links)
 *   backend/      the local file backend (`PULUMI_BACKEND_URL=file://...`)
 *   pulumi-home/  its own PULUMI_HOME
 * and the environment the CLI runs with there: the local backend, a passphrase for secrets, no
 * update check, no automatic plugin download, and none of the caller's own `PULUMI_*` or
 * `CYCLECLOUD_*` settings (nor, with `isolateFromRunner`, what vitest and npm scripts set).
 */
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs/promises");
const os = require("node:os");
const path = require("node:path");

/** The repository root. */
const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * @typedef {object} CommandOutcome
 * @property {string} command The command line (file name without its folder, then the arguments), for messages.
 * @property {number | null} code The exit code; null when a signal ended the command.
 * @property {NodeJS.Signals | null} signal
 * @property {string} stdout
 * @property {string} stderr
 * @property {boolean} timedOut Whether {@link RunCommandOptions.timeoutMs} passed and the command was killed.
 */

/**
 * @typedef {object} RunCommandOptions
 * @property {string} cwd
 * @property {Record<string, string>} [env] The whole environment of the command (default: this process's).
 * @property {string} [input] Written to stdin, which is then closed (default: stdin closed at once).
 * @property {(text: string) => void} [onStdout] Each piece of stdout as it comes.
 * @property {(text: string) => void} [onStderr] Each piece of stderr as it comes.
 * @property {number} [timeoutMs] After this, the command (with `detached`, its whole process group) is killed with SIGKILL.
 * @property {boolean} [detached] Its own process group, so a timeout ends the command and everything it started.
 */

/**
 * Runs a command to completion, asynchronously (an emulator answering from this process's event
 * loop keeps answering). Resolves for any exit code; rejects only when the command cannot start.
 * @param {string} file
 * @param {readonly string[]} args
 * @param {RunCommandOptions} options
 * @returns {Promise<CommandOutcome>}
 */
function runCommand(file, args, options) {
  const command = [path.basename(file), ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: options.detached ?? false,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (/** @type {string} */ text) => {
      stdout += text;
      options.onStdout?.(text);
    });
    child.stderr.on("data", (/** @type {string} */ text) => {
      stderr += text;
      options.onStderr?.(text);
    });
    child.stdin.end(options.input ?? "");
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            if (options.detached && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
            else child.kill("SIGKILL");
          }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ command, code, signal, stdout, stderr, timedOut });
    });
  });
}

/**
 * This process's environment without what would leak into the programs under test: the caller's
 * own Pulumi and CycleCloud settings, and with `isolateFromRunner` also what vitest and npm scripts
 * set (VITEST*, NODE_OPTIONS, NODE_ENV, TEST, and the npm_package_* ... of `npm run`, which an
 * inner `npm install` must not see).
 * @param {{ isolateFromRunner?: boolean }} [options]
 * @returns {Record<string, string>}
 */
function inheritedEnv(options = {}) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(PULUMI_|CYCLECLOUD_)/.test(key)) continue;
    if (options.isolateFromRunner) {
      if (/^VITEST/.test(key) || ["NODE_OPTIONS", "NODE_ENV", "TEST"].includes(key)) continue;
      if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_call$)/i.test(key)) continue;
    }
    env[key] = value;
  }
  return env;
}

/**
 * The folder holding `pulumi` and `pulumi-language-nodejs`, from scripts/pulumi-cli.sh (a pinned
 * `pulumi` on PATH, or one built from Go modules the first time and cached).
 * @param {{ progress?: "inherit" | "ignore" }} [options] Where the script's messages (stderr) go; default shown.
 * @returns {Promise<string>}
 */
function pulumiCliBin(options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO_ROOT, "scripts", "pulumi-cli.sh")], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", options.progress ?? "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (/** @type {string} */ text) => (stdout += text));
    child.on("error", reject);
    child.on("close", (code) => {
      const bin = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || bin === "") {
        const where = (options.progress ?? "inherit") === "inherit" ? ": see its messages above" : "";
        reject(new Error(`scripts/pulumi-cli.sh failed (exit code ${code})${where}`));
      } else {
        resolve(bin);
      }
    });
  });
}

/**
 * @typedef {object} PulumiWorkspaceOptions
 * @property {string} prefix Start of the folder's name in the temporary folder (ends with `-`).
 * @property {string} pulumiBin The folder holding `pulumi` and `pulumi-language-nodejs` ({@link pulumiCliBin}).
 * @property {string} passphrase PULUMI_CONFIG_PASSPHRASE: encrypts the stack's secrets.
 * @property {Record<string, string>} [env] More variables for the CLI and the processes it starts (provider settings).
 * @property {boolean} [isolateFromRunner] See {@link inheritedEnv}.
 */

/**
 * A program folder, local backend and PULUMI_HOME in a fresh temporary folder, and `pulumi` run
 * there. Create with {@link PulumiWorkspace.create}; {@link PulumiWorkspace.remove} deletes it.
 */
class PulumiWorkspace {
  /**
   * @param {string} root
   * @param {PulumiWorkspaceOptions} options
   */
  constructor(root, options) {
    /** The workspace's folder. */
    this.root = root;
    /** The Pulumi program's folder (the CLI's working directory). */
    this.programDir = path.join(root, "program");
    /** The local file backend's folder. */
    this.backendDir = path.join(root, "backend");
    /** PULUMI_HOME. */
    this.homeDir = path.join(root, "pulumi-home");
    /** The `pulumi` executable. */
    this.pulumiPath = path.join(options.pulumiBin, "pulumi");
    /** @private @readonly */
    this.options = options;
  }

  /**
   * A new workspace with its empty folders (program/node_modules included).
   * @param {PulumiWorkspaceOptions} options
   * @returns {Promise<PulumiWorkspace>}
   */
  static async create(options) {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), options.prefix));
    const workspace = new PulumiWorkspace(root, options);
    try {
      await fs.mkdir(workspace.programDir);
      await fs.mkdir(workspace.backendDir);
      await fs.mkdir(workspace.homeDir);
      return workspace;
    } catch (error) {
      await workspace.remove();
      throw error;
    }
  }

  /** `file://` URL of the local backend (for PULUMI_BACKEND_URL and `pulumi login`). */
  get backendUrl() {
    return `file://${this.backendDir}`;
  }

  /**
   * The variables the workspace sets for the CLI: PATH (the CLI's folder, then the program's
   * @pulumi/pulumi, which holds the dynamic provider plugin `pulumi-resource-pulumi-nodejs`),
   * the backend, PULUMI_HOME, the passphrase, no update check or plugin download, and `env`.
   * @returns {Record<string, string>}
   */
  cliEnv() {
    const sdkDir = path.join(this.programDir, "node_modules", "@pulumi", "pulumi");
    return {
      PATH: [path.dirname(this.pulumiPath), sdkDir, process.env["PATH"] ?? ""].join(path.delimiter),
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_HOME: this.homeDir,
      PULUMI_CONFIG_PASSPHRASE: this.options.passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      ...this.options.env,
    };
  }

  /**
   * The whole environment of the CLI: {@link inheritedEnv} and {@link cliEnv}.
   * @returns {Record<string, string>}
   */
  env() {
    const inherited = inheritedEnv(
      this.options.isolateFromRunner === undefined
        ? {}
        : { isolateFromRunner: this.options.isolateFromRunner },
    );
    return { ...inherited, ...this.cliEnv() };
  }

  /**
   * `pulumi <args>` in the program folder, with {@link env}; the arguments are passed as given.
   * @param {readonly string[]} args
   * @param {Omit<RunCommandOptions, "cwd" | "env">} [options]
   * @returns {Promise<CommandOutcome>}
   */
  pulumi(args, options = {}) {
    return runCommand(this.pulumiPath, args, { ...options, cwd: this.programDir, env: this.env() });
  }

  /**
   * Copies files of a folder (an example program) into the program folder.
   * @param {string} fromDir
   * @param {readonly string[]} files
   * @returns {Promise<void>}
   */
  async copyIntoProgram(fromDir, files) {
    for (const file of files) await fs.copyFile(path.join(fromDir, file), path.join(this.programDir, file));
  }

  /**
   * Writes a file of the program folder.
   * @param {string} file
   * @param {string} text
   * @returns {Promise<void>}
   */
  async writeProgramFile(file, text) {
    await fs.writeFile(path.join(this.programDir, file), text);
  }

  /**
   * Links packages into the program's node_modules (created if missing): name (`pulumi-cyclecloud`,
   * `@pulumi`, ...) to the folder it points to.
   * @param {Record<string, string>} links
   * @returns {Promise<void>}
   */
  async linkPackages(links) {
    const modules = path.join(this.programDir, "node_modules");
    await fs.mkdir(modules, { recursive: true });
    for (const [name, target] of Object.entries(links)) await fs.symlink(target, path.join(modules, name));
  }

  /**
   * Deletes the workspace's folder.
   * @returns {Promise<void>}
   */
  async remove() {
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

module.exports = { REPO_ROOT, runCommand, inheritedEnv, pulumiCliBin, PulumiWorkspace };
