/**
 * The end-to-end harness: Pulumi programs in temporary folders, driven by the real `pulumi` CLI
 * (a local file backend and PULUMI_HOME per workspace, no network), against a CycleCloud emulator.
 *
 * The emulator runs in the test's own process, so every child process is spawned asynchronously:
 * a synchronous spawn would block the event loop the emulator answers from.
 *
 * Every command's output is kept (per test file) so a file can assert at the end that no command
 * printed a secret.
 *
 * E2E_VERBOSE=1 shows every command's output as it runs; E2E_KEEP=1 keeps the workspaces (program,
 * backend, PULUMI_HOME) in the temporary folder for inspection.
 */
import { spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { expect, inject } from "vitest";
import { startEmulator } from "../../emulator";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import { inheritedEnv, PulumiWorkspace, REPO_ROOT, runCommand } from "../../scripts/lib/workspace";

export { REPO_ROOT };

/** Short but non-zero lifecycle phases: progress is real, waits stay short. */
export const E2E_TIMING = { acquiringMs: 200, preparingMs: 200, terminatingMs: 100 } as const;

/** The node set's resource type as the engine names it. */
export const NODE_SET_TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";

export type Example = "quickstart" | "mpi-placement-group" | "preflight";

export interface CommandResult {
  /** The command line, for messages. */
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** Settings for every provider process: poll readiness every 100-500 ms instead of 1-10 s. */
const PROVIDER_ENV = { CYCLECLOUD_POLL_MIN_MS: "100", CYCLECLOUD_POLL_MAX_MS: "500" };

/** The longest a single command may run before it is killed and the test fails. */
const COMMAND_TIMEOUT_MS = 170_000;

const transcript: CommandResult[] = [];

/** Every command run through this harness in the current test file, in order. */
export function commandsRun(): readonly CommandResult[] {
  return transcript;
}

function provided<K extends "pulumiBin" | "stagedModules">(key: K): string {
  const value = inject(key);
  if (typeof value !== "string" || value === "") {
    throw new Error(
      "the e2e suite runs only through `npm run test:e2e` (test/e2e/vitest.e2e.config.mts and its global setup)",
    );
  }
  return value;
}

/**
 * The environment of child processes: this process's, without what vitest, npm scripts or the
 * caller's own Pulumi/CycleCloud settings would leak into the programs under test.
 */
function childEnv(extra: Record<string, string>): Record<string, string> {
  return { ...inheritedEnv({ isolateFromRunner: true }), ...extra };
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Written to stdin (then closed). */
  input?: string;
  timeoutMs?: number;
}

/**
 * Runs a command to completion and records it in the transcript. Never throws for a non-zero
 * exit: the caller asserts the code. Set E2E_VERBOSE=1 to see the output live.
 */
export async function run(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandResult> {
  const verbose = process.env["E2E_VERBOSE"] === "1";
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const outcome = await runCommand(file, args, {
    cwd: options.cwd,
    env: childEnv(options.env ?? {}),
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(verbose
      ? {
          onStdout: (text: string) => process.stdout.write(text),
          onStderr: (text: string) => process.stderr.write(text),
        }
      : {}),
    timeoutMs,
    // Its own process group, so a timeout ends the command and everything it started.
    detached: true,
  });
  const { command, stdout, stderr } = outcome;
  const result: CommandResult = { command, code: outcome.code ?? 128, stdout, stderr };
  transcript.push(result);
  if (outcome.timedOut) {
    throw new Error(
      `\`${command}\` did not finish within ${timeoutMs} ms (killed, ${outcome.signal}).\n${tail(result)}`,
    );
  }
  return result;
}

/** Everything a command printed (stdout, then stderr). */
export function output(result: CommandResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

/** The end of a command's output, for failure messages. */
export function tail(result: CommandResult, lines = 60): string {
  const all = `${result.stdout}\n--- stderr ---\n${result.stderr}`.split("\n");
  return all.slice(-lines).join("\n");
}

/** Asserts a command succeeded, showing its output if not. */
export function expectSuccess<T extends CommandResult>(result: T): T {
  expect(result.code, `\`${result.command}\` failed:\n${tail(result)}`).toBe(0);
  return result;
}

/** Asserts a command failed, showing its output if not. */
export function expectFailure<T extends CommandResult>(result: T): T {
  expect(result.code, `\`${result.command}\` should have failed:\n${tail(result)}`).not.toBe(0);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The emulator

/** One emulator for a test file, with the e2e timing. */
export function startE2eEmulator(): Promise<RunningEmulator> {
  return startEmulator({ port: 0, timing: E2E_TIMING });
}

/** The credentials a program needs; any emulator, in-process or a CLI started elsewhere. */
export interface EmulatorEndpoint {
  url: string;
  adminUrl: string;
  username: string;
  password: string;
}

/** An emulator started as a command (`cyclecloud-emulator --json`), as users run it. */
export interface EmulatorProcess extends EmulatorEndpoint {
  /** Stops it with SIGTERM; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts an emulator command and reads its `--json` start line. */
export function startEmulatorCommand(
  file: string,
  args: readonly string[],
  cwd: string,
): Promise<EmulatorProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd, env: childEnv({}), stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    let stdout = "";
    let stderr = "";
    let started = false;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (started || newline < 0) return;
      started = true;
      let line: EmulatorEndpoint;
      try {
        line = JSON.parse(stdout.slice(0, newline)) as EmulatorEndpoint;
      } catch {
        child.kill("SIGTERM");
        reject(new Error(`\`${basename(file)}\` printed no JSON start line: ${stdout.slice(0, newline)}`));
        return;
      }
      resolvePromise({
        url: line.url,
        adminUrl: line.adminUrl,
        username: line.username,
        password: line.password,
        stop: async () => {
          child.kill("SIGTERM");
          return exited;
        },
      });
    });
    child.on("error", reject);
    void exited.then((code) => {
      if (!started)
        reject(new Error(`\`${basename(file)}\` exited with code ${code} before starting:\n${stderr}`));
    });
  });
}

/** `GET /__emulator/nodes`: every node of every cluster, terminating ones included. */
export async function emulatorNodes(emulator: EmulatorEndpoint): Promise<AdminNodeView[]> {
  const response = await fetch(`${emulator.adminUrl}/nodes`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { nodes: AdminNodeView[] }).nodes;
}

/** Nodes that exist and are not on their way out, sorted by name. */
export async function liveNodes(emulator: EmulatorEndpoint): Promise<AdminNodeView[]> {
  const nodes = await emulatorNodes(emulator);
  return nodes
    .filter((n) => !["Terminating", "Terminated"].includes(n.record.Status))
    .sort((a, b) => a.record.Name.localeCompare(b.record.Name, "en", { numeric: true }));
}

/** A POST to the admin surface that must succeed; returns the answer. */
export async function adminPost(emulator: EmulatorEndpoint, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.adminUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer: unknown = await response.json();
  expect(response.status, `POST ${path}: ${JSON.stringify(answer)}`).toBeLessThan(300);
  return answer;
}

/** Mutating API requests the emulator has received (create, terminate, ...). */
export async function mutatingRequests(emulator: EmulatorEndpoint): Promise<number> {
  const response = await fetch(`${emulator.adminUrl}/counters`);
  const c = (await response.json()) as Record<string, number>;
  return ["create", "terminate", "deallocate", "start", "shutdown", "remove", "scale"].reduce(
    (sum, k) => sum + (c[k] ?? 0),
    0,
  );
}

/** What the stack outputs of a set should be, computed from the emulator's nodes (sorted by name). */
export function outputsOf(nodes: readonly AdminNodeView[]): {
  hostnames: string[];
  nodeIds: string[];
  privateIps: string[];
} {
  return {
    hostnames: nodes.map((n) => n.record.Hostname ?? "(none)"),
    nodeIds: nodes.map((n) => n.record.NodeId),
    privateIps: nodes.map((n) => n.record.PrivateIp ?? "(none)"),
  };
}

// ---------------------------------------------------------------------------------------------
// Workspaces

/** A resource as `pulumi stack export` shows it. */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  initErrors?: string[];
}

/** A step of `pulumi preview --json`. */
export interface PreviewStep {
  op: string;
  urn: string;
  replaceReasons?: string[];
}

export interface PreviewResult extends CommandResult {
  /** Steps of the node set resources (the stack's own step left out). */
  steps: PreviewStep[];
  changeSummary: Record<string, number>;
}

/**
 * The node set steps of a preview, nested sets included (`PreviewResult.steps` keeps only top-level
 * ones: a nested set's URN has its parent's type before its own), as `op urn`, sorted.
 */
export function nodeSetSteps(preview: PreviewResult): string[] {
  const steps = (JSON.parse(preview.stdout) as { steps?: PreviewStep[] }).steps ?? [];
  return steps
    .filter((s) => s.urn.split("::")[2]?.split("$").pop() === NODE_SET_TYPE)
    .map((s) => `${s.op} ${s.urn}`)
    .sort();
}

/** The messages of a `preview --json`'s diagnostics (its JSON escapes their quotes), one a line. */
export function previewDiagnostics(preview: PreviewResult): string {
  const parsed = JSON.parse(preview.stdout) as { diagnostics?: { message?: string }[] };
  return (parsed.diagnostics ?? []).map((d) => d.message ?? "").join("\n");
}

export interface WorkspaceOptions {
  example: Example;
  /** Where the program's packages come from: the staged build (default) or an `npm install` the test runs. */
  packages?: "staged" | "none";
  /** Folder name prefix, to tell workspaces apart in /tmp. */
  label?: string;
}

let workspaceSerial = 0;

/**
 * A copy of an example program in a fresh temporary folder, with its own backend, PULUMI_HOME and
 * stack, configured for an emulator (password set with `--secret`, through stdin).
 */
export class Workspace {
  private connectedTo: EmulatorEndpoint | undefined;
  /** The workspace's folder: `program/`, `backend/` and `pulumi-home/` (scripts/lib/workspace.js). */
  readonly root: string;
  readonly programDir: string;

  private constructor(
    /** The folders and the CLI's environment, shared with a workspace from {@link renameStack}. */
    private readonly core: PulumiWorkspace,
    readonly stack: string,
    /** Every command names the stack (`--stack`) instead of running on the selected one. */
    private readonly pinned = false,
  ) {
    this.root = core.root;
    this.programDir = core.programDir;
  }

  /** The emulator the stack is configured for (after {@link init}). */
  get emulator(): EmulatorEndpoint {
    if (!this.connectedTo) throw new Error("call init() first");
    return this.connectedTo;
  }

  static async create(options: WorkspaceOptions): Promise<Workspace> {
    // Checked first, so a run outside the e2e config fails before creating anything.
    const staged = (options.packages ?? "staged") === "staged" ? provided("stagedModules") : undefined;
    workspaceSerial += 1;
    const core = await PulumiWorkspace.create({
      prefix: `pulumi-cyclecloud-e2e-${options.label ?? options.example}-`,
      pulumiBin: provided("pulumiBin"),
      passphrase: "e2e-passphrase",
      // The examples are type-checked once by `npm run typecheck` (tsconfig.examples.json), so
      // each engine run only transpiles them (Pulumi's ts-node would type-check them again, several
      // seconds per command). The packed-package test, a user's fresh program, keeps the check.
      env: staged === undefined ? PROVIDER_ENV : { ...PROVIDER_ENV, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
      isolateFromRunner: true,
    });
    try {
      const example = join(REPO_ROOT, "examples", options.example);
      await core.copyIntoProgram(example, ["Pulumi.yaml", "index.ts", "tsconfig.json"]);
      if (staged !== undefined) {
        await core.copyIntoProgram(example, ["package.json"]);
        // The staged build and the program's other packages.
        const names = await readdir(staged);
        await core.linkPackages(Object.fromEntries(names.map((name) => [name, join(staged, name)])));
      }
      return new Workspace(core, `e2e${workspaceSerial}`);
    } catch (error) {
      await core.remove();
      throw error;
    }
  }

  /**
   * `pulumi login`, `stack init` and the stack config: the emulator's URL and username, its
   * password with `--secret` (through stdin, so not even the command line holds it), and `config`.
   */
  async init(emulator: EmulatorEndpoint, config: Record<string, string> = {}): Promise<void> {
    this.connectedTo = emulator;
    expectSuccess(await this.pulumi(["login", this.core.backendUrl]));
    expectSuccess(await this.pulumi(["stack", "init", this.stack]));
    await this.setConfig({
      "cyclecloud:url": this.emulator.url,
      "cyclecloud:username": this.emulator.username,
      ...config,
    });
    expectSuccess(
      await this.pulumi(["config", "set", "--secret", "cyclecloud:password"], {
        input: this.emulator.password,
      }),
    );
  }

  async setConfig(values: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(values)) {
      expectSuccess(await this.pulumi(["config", "set", key, value]));
    }
  }

  /** The variables this workspace sets for the CLI (PATH, backend, PULUMI_HOME, passphrase, poll bounds). */
  env(): Record<string, string> {
    return this.core.cliEnv();
  }

  /**
   * A `pulumi` command in the program folder, non-interactive, without colors. On a workspace from
   * {@link renameStack} it names its stack with `--stack`.
   */
  pulumi(args: readonly string[], options: { input?: string } = {}): Promise<CommandResult> {
    const runOptions: RunOptions = { cwd: this.programDir, env: this.env() };
    if (options.input !== undefined) runOptions.input = options.input;
    const stack = this.pinned ? ["--stack", this.stack] : [];
    return run(
      this.core.pulumiPath,
      [...args, ...stack, "--non-interactive", "--color", "never"],
      runOptions,
    );
  }

  /** Replaces the program (`index.ts`) with this text. */
  async writeProgram(text: string): Promise<void> {
    await this.core.writeProgramFile("index.ts", text);
  }

  /**
   * `pulumi stack rename` of this workspace's stack. Returns the renamed stack as a workspace of
   * the same program, backend and PULUMI_HOME whose commands name it with `--stack`; this
   * workspace keeps its stack name, free for a new stack ({@link init} again creates it); until
   * then its commands would run on the renamed stack, which stays selected.
   */
  async renameStack(newName: string): Promise<Workspace> {
    const stack = this.pinned ? [] : ["--stack", this.stack];
    expectSuccess(await this.pulumi(["stack", "rename", newName, ...stack]));
    const renamed = new Workspace(this.core, newName, true);
    renamed.connectedTo = this.connectedTo;
    return renamed;
  }

  /** `pulumi preview --json`, parsed; the command result is kept for text and exit code checks. */
  async preview(extra: readonly string[] = []): Promise<PreviewResult> {
    const result = await this.pulumi(["preview", "--json", ...extra]);
    let parsed: { steps?: PreviewStep[]; changeSummary?: Record<string, number> };
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      throw new Error(`\`${result.command}\` printed no JSON (exit code ${result.code}):\n${tail(result)}`);
    }
    const steps = (parsed.steps ?? [])
      .filter((s) => s.urn.includes(`::${NODE_SET_TYPE}::`))
      .map((s) =>
        s.replaceReasons
          ? { op: s.op, urn: s.urn, replaceReasons: s.replaceReasons }
          : { op: s.op, urn: s.urn },
      );
    return { ...result, steps, changeSummary: parsed.changeSummary ?? {} };
  }

  up(extra: readonly string[] = []): Promise<CommandResult> {
    return this.pulumi(["up", "--yes", ...extra]);
  }

  refresh(): Promise<CommandResult> {
    return this.pulumi(["refresh", "--yes"]);
  }

  destroy(): Promise<CommandResult> {
    return this.pulumi(["destroy", "--yes"]);
  }

  /** `pulumi stack output --json`. */
  async outputs(): Promise<Record<string, unknown>> {
    const result = expectSuccess(await this.pulumi(["stack", "output", "--json"]));
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** `pulumi stack export`: the resources in state. */
  async stateResources(): Promise<StateResource[]> {
    const result = expectSuccess(await this.pulumi(["stack", "export"]));
    const exported = JSON.parse(result.stdout) as { deployment?: { resources?: StateResource[] } };
    return exported.deployment?.resources ?? [];
  }

  /** The node sets in state. */
  async nodeSets(): Promise<StateResource[]> {
    return (await this.stateResources()).filter((r) => r.type === NODE_SET_TYPE);
  }

  /** The one node set in state, which must exist. */
  async nodeSet(): Promise<StateResource & { outputs: Record<string, unknown> }> {
    const sets = await this.nodeSets();
    expect(sets.map((s) => s.urn)).toHaveLength(1);
    const set = sets[0];
    if (set?.outputs === undefined) throw new Error("the node set in state has no outputs");
    return { ...set, outputs: set.outputs };
  }

  /** The URN of a node set of this workspace's stack. */
  urn(project: string, name: string): string {
    return `urn:pulumi:${this.stack}::${project}::${NODE_SET_TYPE}::${name}`;
  }

  /** Every file of the backend (state, history, backups) and the stack config file, as text. */
  async persistedFiles(): Promise<{ path: string; text: string }[]> {
    const files = await listFiles(this.core.backendDir);
    files.push(join(this.programDir, `Pulumi.${this.stack}.yaml`));
    return Promise.all(files.map(async (path) => ({ path, text: await readFile(path, "utf8") })));
  }

  async dispose(): Promise<void> {
    if (process.env["E2E_KEEP"] === "1") return;
    await this.core.remove();
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    if ((await stat(path)).isDirectory()) found.push(...(await listFiles(path)));
    else found.push(path);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** The forms a password could leak in: as is, and inside a Basic authorization header. */
export function secretForms(username: string, password: string): string[] {
  return [password, Buffer.from(`${username}:${password}`).toString("base64")];
}

/**
 * Asserts that no command of this test file printed the password, and that neither the state
 * (`pulumi stack export` and every backend file) nor the stack config file holds it in clear.
 */
export async function expectNoPasswordAnywhere(workspaces: readonly Workspace[]): Promise<void> {
  const leaks: string[] = [];
  for (const workspace of workspaces) {
    const secrets = secretForms(workspace.emulator.username, workspace.emulator.password);
    // Run the export so its output joins the transcript checked below.
    await workspace.stateResources();
    for (const file of await workspace.persistedFiles()) {
      if (secrets.some((s) => file.text.includes(s))) leaks.push(`file ${file.path}`);
    }
  }
  const secrets = workspaces.flatMap((w) => secretForms(w.emulator.username, w.emulator.password));
  for (const result of commandsRun()) {
    if (secrets.some((s) => result.stdout.includes(s) || result.stderr.includes(s)))
      leaks.push(`output of \`${result.command}\``);
  }
  expect(leaks).toEqual([]);
  // The check looked at real output: every command of the file, exports included.
  expect(commandsRun().filter((c) => c.command.includes("stack export")).length).toBeGreaterThanOrEqual(
    workspaces.length,
  );
}
