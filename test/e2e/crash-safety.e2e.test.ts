/**
 * Crash safety (issue 5, part 2): `pulumi up` killed with SIGKILL at seeded moments while it creates
 * a node set (0 -> 3) and while it resizes one (3 -> 5, 5 -> 2), then recovered the way a user
 * would, through the real CLI (file backend) against the emulator.
 *
 * A round is: create (killed), recover, grow (killed), recover, shrink (killed), recover, [replace
 * the machine type (killed), recover,] destroy. Two rounds share a stack, so the second one
 * re-creates a destroyed stack (its request ids of the first generation are used). Each trial picks,
 * from the seed:
 * - when to kill:
 *   `start`      a delay after the command started (engine start, preview, check);
 *   `post`       a delay after the emulator received the create (shrink: terminate) POST: the
 *                provider waits for readiness (or for the terminated nodes to go);
 *   `in-flight`  while that POST is held by the emulator (a `delayMs` fault: applied, unanswered;
 *                on a re-created stack the first create POST is a 409 for a used request id);
 *   `ready`      a delay after the set reached its target in the emulator: the provider returning,
 *                the engine saving state;
 * - how: `tree` kills the CLI and every process of the command (language host, program, dynamic
 *   provider host), as when a machine or a container dies; `cli` kills only the `pulumi` process,
 *   as `kill -9 <pid>` does: the plugins run in process groups of their own and outlive it, the
 *   provider finishing its call (they are ended by pid once recovery is done);
 * - how to recover (a command refused with "the stack is currently locked" is preceded by
 *   `pulumi cancel`, which deletes the killed command's lock file, and run again):
 *   A  `pulumi refresh --yes --clear-pending-creates`, `pulumi up --yes`;
 *   B  `pulumi refresh --yes`, `pulumi up --yes` (which warns about a pending create and proceeds),
 *      then `pulumi refresh --yes --clear-pending-creates` if a create is still pending;
 *   C  `pulumi refresh --yes --import-pending-creates URN --import-pending-creates ID` (ID = the
 *      set's base request id) when a create is pending, else `pulumi refresh --yes`; `pulumi up --yes`;
 *   D  `pulumi up --yes` alone, then `pulumi refresh --yes --clear-pending-creates` if needed.
 *
 * After recovery and one more refresh: the emulator holds exactly `count` live nodes, all Ready, of
 * the declared machine type, all of request ids `<base>-N` (no duplicate, nothing foreign); the
 * state's node ids are exactly those (no orphan, no ghost); no pending operation, no lock file; and
 * at no moment did the emulator hold more live nodes than the larger count (a replacement: both
 * counts). The destroy that ends a round leaves no node.
 *
 * Then three fixed scenarios: what a create killed and then destroyed leaves (a limitation of
 * Pulumi's pending creates, and its recovery with `adoptExisting: { requestId, orphaned: true }`),
 * and two recoveries that were defects (see each).
 *
 * Switches (test/reliability/crash-trials.js sets them for longer runs): CRASH_SEED (default 1),
 * CRASH_ROUNDS (default 2; .ci/run sets 1: one round already covers every moment, both kill modes,
 * every kind and every recipe, whatever the seed), CRASH_KINDS (default `create,grow,warm-shrink,warm-grow,shrink`:
 * `warm-shrink` deallocates 3 of 5 nodes into the warm pool, `warm-grow` starts them again, so a
 * kill can land in a deallocate or a start; `replace` adds a machine type change), CRASH_KILL (`mixed` default, `tree`, `cli`), CRASH_SCENARIOS=0 (skip the fixed
 * scenarios), CRASH_REPORT (a file to write the trials to, as JSON). Linux only (reads /proc).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import { startEmulator } from "../../emulator";
import type { CommandResult } from "./harness";
import { E2E_TIMING, expectNoPasswordAnywhere, NODE_SET_TYPE, output, tail, Workspace } from "./harness";

/** Provisioning of about 1.6 s and termination of 0.8 s: a window to be killed in. */
const TIMING = { ...E2E_TIMING, acquiringMs: 800, preparingMs: 800, terminatingMs: 800 };
/** The seed's buckets: Standard_Hc44rs has room for 11, Standard_Fs32_v2 for 3. */
const HC = "Standard_Hc44rs";
const FS = "Standard_Fs32_v2";
/** How long the emulator holds the POST of an `in-flight` trial before answering. */
const IN_FLIGHT_HOLD_MS = 2500;

const SEED = intFromEnv("CRASH_SEED", 1);
const ROUNDS = intFromEnv("CRASH_ROUNDS", 2);
const KILL = process.env["CRASH_KILL"] ?? "mixed";
const SCENARIOS = process.env["CRASH_SCENARIOS"] !== "0";

type Kind = "create" | "grow" | "shrink" | "replace" | "warm-shrink" | "warm-grow";
type Trigger = "start" | "post" | "in-flight" | "ready";
type KillMode = "tree" | "cli";
type Recipe = "A" | "B" | "C" | "D";

interface Change {
  kind: Kind;
  from: number;
  to: number;
  machineType: string;
  /** The warm pool (`scaleDown: "deallocate"`): how many deallocated nodes the set holds after. */
  pool?: number;
}

const CHANGES: Record<Kind, Change> = {
  create: { kind: "create", from: 0, to: 3, machineType: HC },
  grow: { kind: "grow", from: 3, to: 5, machineType: HC },
  shrink: { kind: "shrink", from: 5, to: 2, machineType: HC },
  replace: { kind: "replace", from: 2, to: 2, machineType: FS },
  // The warm pool: a shrink that deallocates 3 nodes and keeps them, then a grow that starts them.
  "warm-shrink": { kind: "warm-shrink", from: 5, to: 2, machineType: HC, pool: 3 },
  "warm-grow": { kind: "warm-grow", from: 2, to: 5, machineType: HC, pool: 0 },
};
const KINDS = (process.env["CRASH_KINDS"] ?? "create,grow,warm-shrink,warm-grow,shrink")
  .split(",")
  .map((k) => {
    const change = CHANGES[k.trim() as Kind];
    if (!change)
      throw new Error(
        `CRASH_KINDS: unknown kind ${k} (create, grow, shrink, replace, warm-shrink, warm-grow)`,
      );
    return change;
  });
const TRIGGERS: Trigger[] = ["start", "post", "in-flight", "ready"];
const RECIPES: Recipe[] = ["A", "B", "C", "D"];
if (!["mixed", "tree", "cli"].includes(KILL)) throw new Error("CRASH_KILL must be mixed, tree or cli");

interface Plan extends Change {
  round: number;
  index: number;
  trigger: Trigger;
  /** ms after the trigger (`start`: after the command started). */
  delayMs: number;
  mode: KillMode;
  recipe: Recipe;
}

/** What one trial saw and did, for the report. */
export interface TrialRecord {
  plan: Plan;
  /** ms after `pulumi up` started when SIGKILL was sent; null when the command ended first. */
  killAtMs: number | null;
  /** What the provider was doing, from the emulator's side. */
  phase: string;
  /** Answered mutating API requests before the kill, with ms after the start. */
  requestsBeforeKill: string[];
  killed: string[];
  /** After the kill: pending operations in state, whether the lock file was left. */
  pendingAfterKill: string[];
  lockLeft: boolean;
  recovery: { command: string; code: number; ms: number; note?: string }[];
  /** After the first recovery refresh (none in recipe D): the set in state? pending operations? */
  afterRefresh: { setInState: boolean; pending: string[] } | null;
  /** The recovery `up` printed Pulumi's "pending operations from previous deployment" warning. */
  upWarnedPending: boolean;
  /** `cli` mode: plugin processes of the killed command still running once recovery was done. */
  lingering: string[];
  /** Most live nodes at any moment of the trial (kill and recovery). */
  maxLive: number;
  final: { live: number; ready: number; stateNodes: number; requestIds: string[] } | null;
  violations: string[];
  ms: number;
}

const records: TrialRecord[] = [];
const workspaces: Workspace[] = [];
let emulator: RunningEmulator;
/** Emulator log lines (answered requests) with their arrival time. */
const requestLog: { at: number; line: string }[] = [];

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

/** mulberry32: small and seeded, enough to pick moments. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every trial, decided up front from the seed (the same seed gives the same trials). The moment
 * and the kill mode rotate with the trial's number, the recipe with the round, so that a few
 * trials cover every trigger, both modes and every recipe; the delay is random in a window where
 * the command is still running.
 */
function plans(): Plan[] {
  const random = rng(SEED * 7919 + 17);
  const provisioning = TIMING.acquiringMs + TIMING.preparingMs;
  const all: Plan[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, change] of KINDS.entries()) {
      const index = all.length;
      const trigger = TRIGGERS[(SEED + index) % TRIGGERS.length] ?? "post";
      const [low, high] = {
        start: [1000, 5500],
        post: [0, ["shrink", "warm-shrink"].includes(change.kind) ? TIMING.terminatingMs : provisioning],
        "in-flight": [50, IN_FLIGHT_HOLD_MS - 300],
        // The provider notices within one poll (100-500 ms) and the engine saves at once.
        ready: [0, 250],
      }[trigger] as [number, number];
      const delayMs = Math.round(low + random() * (high - low));
      const cliOnly = KILL === "cli" || (KILL === "mixed" && [1, 3].includes((SEED + index) % 5));
      const recipe = RECIPES[(SEED + round + k) % RECIPES.length] ?? "A";
      all.push({ ...change, round, index, trigger, delayMs, mode: cliOnly ? "cli" : "tree", recipe });
    }
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Processes (Linux /proc)

interface Proc {
  pid: number;
  ppid: number;
  start: string;
  command: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid ... field 22 = starttime; comm may hold spaces, so split after ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(rest[1]), start: rest[19] ?? "", command };
  } catch {
    return undefined;
  }
}

function allProcs(): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const proc = readProc(Number(entry));
    if (proc) found.push(proc);
  }
  return found;
}

/**
 * Every process of this workspace's commands: the CLI passes its environment, with the workspace's
 * own PULUMI_HOME, to the language host, the program and the dynamic provider host, so this finds
 * them even once the CLI is gone and they were re-parented.
 */
function workspaceProcs(ws: Workspace): Proc[] {
  const marker = `PULUMI_HOME=${join(ws.root, "pulumi-home")}\0`;
  return allProcs().filter((proc) => {
    try {
      return `${readFileSync(`/proc/${proc.pid}/environ`, "utf8")}\0`.includes(marker);
    } catch {
      return false;
    }
  });
}

/** The `pulumi up` process of this workspace. */
function findCli(ws: Workspace): Proc | undefined {
  return workspaceProcs(ws).find((proc) => /\/pulumi up /.test(`${proc.command} `));
}

function stillAlive(proc: Proc): boolean {
  const now = readProc(proc.pid);
  // Same pid and same start time: the same process, not a reused pid. Zombies count as dead.
  if (!now || now.start !== proc.start) return false;
  try {
    const state = readFileSync(`/proc/${proc.pid}/stat`, "utf8");
    return state.slice(state.lastIndexOf(")") + 2, state.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function sigkill(proc: Proc): void {
  try {
    if (stillAlive(proc)) process.kill(proc.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function describeProc(proc: Proc): string {
  const words = proc.command.split(" ");
  const name = (words[0] ?? "").split("/").pop() ?? "";
  const script = words.find((w) => w.includes("@pulumi/pulumi/cmd/"));
  return script ? `node ${script.replace(/.*@pulumi\/pulumi\//, "")}` : name;
}

// ---------------------------------------------------------------------------------------------
// State, emulator

interface Exported {
  resources: { urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[];
  pending: { type: string; urn: string; baseRequestId?: string }[];
}

async function exportState(ws: Workspace): Promise<Exported> {
  const result = await ws.pulumi(["stack", "export"]);
  if (result.code !== 0) throw new Error(`stack export failed:\n${tail(result)}`);
  const deployment = (
    JSON.parse(result.stdout) as {
      deployment?: {
        resources?: Exported["resources"];
        pending_operations?: {
          type: string;
          resource: { urn: string; inputs?: Record<string, unknown> };
        }[];
      };
    }
  ).deployment;
  return {
    resources: deployment?.resources ?? [],
    pending: (deployment?.pending_operations ?? []).map((op) => {
      const base = op.resource.inputs?.["baseRequestId"];
      return typeof base === "string"
        ? { type: op.type, urn: op.resource.urn, baseRequestId: base }
        : { type: op.type, urn: op.resource.urn };
    }),
  };
}

function lockFiles(ws: Workspace): string[] {
  const dir = join(ws.root, "backend", ".pulumi", "locks");
  const found: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else if (entry.name.endsWith(".json")) found.push(join(d, entry.name));
    }
  };
  walk(dir);
  return found;
}

const isLive = (n: AdminNodeView): boolean => !["Terminating", "Terminated"].includes(n.record.Status);
/** A warm-pool node: the set's, not of its `count`. */
const isDeallocated = (n: AdminNodeView): boolean => ["Deallocated", "Stopping"].includes(n.record.Status);
const isActive = (n: AdminNodeView): boolean => isLive(n) && !isDeallocated(n);
/** The API call a change makes: create, terminate, or the warm pool's deallocate and start. */
type Route = "create" | "terminate" | "deallocate" | "start";
const routeOf = (plan: Change): Route =>
  (({ shrink: "terminate", "warm-shrink": "deallocate", "warm-grow": "start" }) as const)[
    plan.kind as "shrink" | "warm-shrink" | "warm-grow"
  ] ?? "create";
const liveNow = (): AdminNodeView[] => emulator.nodes().filter(isLive);
/** The nodes' names, sorted. */
const names = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.Name).sort();

function statusSummary(nodes: readonly AdminNodeView[]): string {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.record.Status, (counts.get(n.record.Status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ") || "no node";
}

/** The quickstart, with `scaleDown` from stack config (the warm-pool kinds set it to deallocate). */
async function withScaleDown(ws: Workspace): Promise<void> {
  const program = readFileSync(join(ws.programDir, "index.ts"), "utf8");
  const anchor = "  readyTimeoutSeconds:";
  if (!program.includes(anchor)) throw new Error("the quickstart program has no readyTimeoutSeconds line");
  await ws.writeProgram(
    program.replace(
      anchor,
      `  scaleDown: config.get("scaleDown") as "terminate" | "deallocate" | undefined,\n${anchor}`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// One trial

const LOCKED = "the stack is currently locked";

/** Whether the set reached the plan's target in the emulator. */
function atTarget(plan: Change): boolean {
  const mine = emulator.nodes().filter((n) => n.record.MachineType === plan.machineType);
  // A replacement is at target once its new nodes are ready (the old set is deleted after that);
  // anything else once exactly its nodes exist (a shrink: the terminated ones gone).
  const nodes = plan.kind === "replace" ? mine.filter(isLive) : emulator.nodes();
  if (plan.pool !== undefined) {
    const active = nodes.filter((n) => !isDeallocated(n));
    const pool = nodes.filter((n) => n.record.Status === "Deallocated");
    return (
      active.length === plan.to &&
      active.every((n) => n.record.Status === "Ready") &&
      pool.length === plan.pool
    );
  }
  return nodes.length === plan.to && nodes.every((n) => n.record.Status === "Ready");
}

/**
 * Runs `up` and kills it per the plan, watching the emulator every 20 ms. Returns the killed
 * command, to be awaited once every process of it is gone.
 */
async function killedUp(
  ws: Workspace,
  plan: Plan,
  record: TrialRecord,
): Promise<{ up: Promise<CommandResult> }> {
  const route = routeOf(plan);
  if (plan.trigger === "in-flight") emulator.injectFault({ route, delayMs: IN_FLIGHT_HOLD_MS });
  const before = emulator.counters()[route];
  const start = Date.now();
  const up = ws.up();
  let finished = false;
  void up.finally(() => (finished = true));
  let cli: Proc | undefined;
  let triggeredAt: number | undefined;
  for (;;) {
    await sleep(20);
    if (finished) break;
    cli ??= findCli(ws);
    const now = Date.now();
    if (triggeredAt === undefined) {
      const posted = emulator.counters()[route] > before;
      if (plan.trigger === "start") triggeredAt = start;
      else if (plan.trigger === "ready") triggeredAt = posted && atTarget(plan) ? now : undefined;
      else triggeredAt = posted ? now : undefined;
    }
    if (triggeredAt === undefined || now < triggeredAt + plan.delayMs || !cli) continue;
    // The moment: SIGKILL the CLI, or the CLI and every process of the command.
    const victims =
      plan.mode === "tree" ? [cli, ...workspaceProcs(ws).filter((p) => p.pid !== cli?.pid)] : [cli];
    for (const proc of victims) sigkill(proc);
    record.killAtMs = Date.now() - start;
    record.phase = phaseAt(plan, start, route, before);
    record.killed = victims.map(describeProc);
    record.requestsBeforeKill = requestLog
      .filter((r) => r.at >= start && r.line.startsWith("POST "))
      .map((r) => `${r.line.replace(/ \d+ms$/, "")} @${r.at - start}ms`);
    if (plan.mode === "tree") {
      // A process started in the instant between listing and killing: end it too.
      await sleep(300);
      const late = workspaceProcs(ws).filter(stillAlive);
      for (const proc of late) sigkill(proc);
      record.killed.push(...late.map((p) => `${describeProc(p)} (late)`));
    }
    return { up };
  }
  const result = await up;
  record.killAtMs = null;
  record.phase = `not killed: up ended first (exit code ${result.code})`;
  return { up };
}

/** What the provider was doing at the kill, as the emulator saw it. */
function phaseAt(plan: Plan, start: number, route: Route, before: number): string {
  const posted = emulator.counters()[route] > before;
  const answered = requestLog.some(
    (r) => r.at >= start && r.line.startsWith(`POST /clusters/hpc/nodes/${route} `),
  );
  const nodes = statusSummary(emulator.nodes());
  if (!posted) {
    return requestLog.some((r) => r.at >= start)
      ? `before the ${route} POST (preview/check: cluster status read)`
      : "before any API request (engine start)";
  }
  if (!answered) return `${route} POST in flight (held by the emulator, unanswered; ${nodes})`;
  if (atTarget(plan)) return `after the ${route} POST, set at target (${nodes})`;
  return `after the ${route} POST, waiting (${nodes})`;
}

/** A recovery command; refused because of the killed command's lock: `pulumi cancel`, then again. */
async function recoveryStep(ws: Workspace, record: TrialRecord, args: string[]): Promise<CommandResult> {
  for (let attempt = 0; ; attempt++) {
    const began = Date.now();
    const result = await ws.pulumi(args);
    const step: TrialRecord["recovery"][number] = {
      command: `pulumi ${args.join(" ")}`,
      code: result.code,
      ms: Date.now() - began,
    };
    if (result.code !== 0 && output(result).includes(LOCKED) && attempt === 0) {
      step.note = "refused: the stack is locked";
      record.recovery.push(step);
      const cancel = await ws.pulumi(["cancel"]);
      record.recovery.push({
        command: "pulumi cancel",
        code: cancel.code,
        ms: 0,
        note: cancel.stdout.trim(),
      });
      continue;
    }
    record.recovery.push(step);
    return result;
  }
}

/** The recovery of the plan's recipe; returns the failures. */
async function recover(ws: Workspace, plan: Plan, record: TrialRecord): Promise<string[]> {
  const failures: string[] = [];
  const must = async (args: string[]): Promise<CommandResult> => {
    const result = await recoveryStep(ws, record, args);
    if (result.code !== 0) failures.push(`\`pulumi ${args.join(" ")}\` failed:\n${tail(result, 40)}`);
    return result;
  };
  if (plan.recipe !== "D") {
    const pendingCreate = (await exportState(ws)).pending.find((p) => p.type === "creating");
    const args = ["refresh", "--yes"];
    if (plan.recipe === "A") args.push("--clear-pending-creates");
    if (plan.recipe === "C" && pendingCreate?.baseRequestId !== undefined) {
      args.push("--import-pending-creates", pendingCreate.urn);
      args.push("--import-pending-creates", pendingCreate.baseRequestId);
    }
    await must(args);
    const state = await exportState(ws);
    record.afterRefresh = {
      setInState: state.resources.some((r) => r.type === NODE_SET_TYPE),
      pending: state.pending.map((p) => p.type),
    };
  }
  const up = await must(["up", "--yes"]);
  record.upWarnedPending = output(up).includes("pending operations from previous deployment");
  if ((await exportState(ws)).pending.some((p) => p.type === "creating")) {
    await must(["refresh", "--yes", "--clear-pending-creates"]);
  }
  return failures;
}

/** The invariants after recovery and one more refresh (a ghost shows only after a refresh). */
async function check(ws: Workspace, plan: Plan, record: TrialRecord, maxLive: number): Promise<string[]> {
  const v: string[] = [];
  const verify = await ws.refresh();
  if (verify.code !== 0) v.push(`the final \`pulumi refresh\` failed:\n${tail(verify, 40)}`);
  const state = await exportState(ws);
  const sets = state.resources.filter((r) => r.type === NODE_SET_TYPE);
  const set = sets[0];
  const base = set?.id ?? "";
  const live = liveNow();
  const stateIds = ((set?.outputs?.["nodeIds"] as string[] | undefined) ?? []).slice().sort();
  const liveIds = live.map((n) => n.record.NodeId).sort();
  const ready = live.filter((n) => n.record.Status === "Ready").length;
  record.final = {
    live: live.length,
    ready,
    stateNodes: stateIds.length,
    requestIds: [...new Set(live.map((n) => n.requestId ?? "(none)"))].sort(),
  };
  if (sets.length !== 1) v.push(`${sets.length} node sets in state`);
  if (state.pending.length > 0)
    v.push(`pending operations left: ${state.pending.map((p) => p.type).join(", ")}`);
  if (lockFiles(ws).length > 0) v.push("a lock file is left");
  if (!/^pcc-[0-9a-f]{24}$/.test(base)) v.push(`unexpected set id '${base}'`);
  const foreign = live.filter((n) => !(n.requestId ?? "").startsWith(`${base}-`));
  if (foreign.length > 0) v.push(`duplicate: ${foreign.length} live node(s) not of the set's base ${base}`);
  const active = live.filter(isActive).length;
  if (active !== plan.to) v.push(`${active} live active nodes for count ${plan.to}`);
  const pool = live.filter(isDeallocated).length;
  if (pool !== (plan.pool ?? 0)) v.push(`${pool} deallocated nodes (warm pool ${plan.pool ?? 0} expected)`);
  if (ready !== plan.to) v.push(`${ready} Ready nodes for count ${plan.to}`);
  const wrongType = live.filter((n) => n.record.MachineType !== plan.machineType);
  if (wrongType.length > 0)
    v.push(`${wrongType.length} live node(s) not of machine type ${plan.machineType}`);
  const orphans = liveIds.filter((id) => !stateIds.includes(id));
  const ghosts = stateIds.filter((id) => !liveIds.includes(id));
  if (orphans.length > 0) v.push(`orphan: ${orphans.length} live node(s) not in state`);
  if (ghosts.length > 0) v.push(`ghost: ${ghosts.length} node(s) in state the cluster does not have`);
  if (set?.outputs?.["readyCount"] !== plan.to)
    v.push(`readyCount in state: ${String(set?.outputs?.["readyCount"])}`);
  const allowed = plan.kind === "replace" ? plan.from + plan.to : Math.max(plan.from, plan.to);
  if (maxLive > allowed)
    v.push(`overshoot: ${maxLive} live nodes at one moment (at most ${allowed} expected)`);
  return v;
}

async function runTrial(ws: Workspace, plan: Plan): Promise<TrialRecord> {
  const began = Date.now();
  const record: TrialRecord = {
    plan,
    killAtMs: null,
    phase: "",
    requestsBeforeKill: [],
    killed: [],
    pendingAfterKill: [],
    lockLeft: false,
    recovery: [],
    afterRefresh: null,
    upWarnedPending: false,
    lingering: [],
    maxLive: 0,
    final: null,
    violations: [],
    ms: 0,
  };
  records.push(record);
  let maxLive = liveNow().length;
  const watch = setInterval(() => (maxLive = Math.max(maxLive, liveNow().length)), 20);
  let killed: Promise<CommandResult> | undefined;
  try {
    if (liveNow().filter(isActive).length !== plan.from)
      throw new Error(`expected ${plan.from} live active nodes before the trial`);
    await ws.setConfig({
      count: String(plan.to),
      machineType: plan.machineType,
      scaleDown: plan.pool === undefined ? "terminate" : "deallocate",
    });

    killed = (await killedUp(ws, plan, record)).up;
    await fetch(`${emulator.adminUrl}/faults`, { method: "DELETE" });
    const afterKill = await exportState(ws);
    record.pendingAfterKill = afterKill.pending.map((p) => p.type);
    record.lockLeft = lockFiles(ws).length > 0;

    record.violations.push(...(await recover(ws, plan, record)));

    // `cli` mode: are the plugins of the killed command still running? End them (ours, by pid).
    const lingering = workspaceProcs(ws).filter(stillAlive);
    record.lingering = lingering.map(describeProc);
    for (const proc of lingering) sigkill(proc);

    record.violations.push(...(await check(ws, plan, record, maxLive)));
  } catch (error) {
    record.violations.push(`trial error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(watch);
    record.maxLive = maxLive;
    for (const proc of workspaceProcs(ws)) sigkill(proc);
    // The killed command ends once all its processes are gone (its output joins the transcript).
    await killed?.catch(() => undefined);
    record.ms = Date.now() - began;
  }
  return record;
}

function describePlan(p: Plan): string {
  return `${p.kind} ${p.from} -> ${p.to}, kill ${p.mode} at ${p.trigger}+${p.delayMs}ms, recovery ${p.recipe}`;
}

/** One line of the report table (markdown). */
function row(r: TrialRecord): string {
  const p = r.plan;
  const commands = r.recovery.map(
    (s) =>
      `${s.command.replace(/^pulumi /, "").replace(/ --import-pending-creates \S+/g, " --import-pending-creates …")}${s.code === 0 ? "" : ` (exit ${s.code})`}`,
  );
  return `| ${[
    p.index + 1,
    `${p.kind} ${p.from}→${p.to}${p.kind === "replace" ? ` (${p.machineType})` : ""}`,
    `${p.mode}, ${p.trigger}+${p.delayMs} ms`,
    r.killAtMs === null ? "-" : `${r.killAtMs} ms`,
    r.phase,
    `${r.pendingAfterKill.join(", ") || "none"}; lock ${r.lockLeft ? "left" : "none"}`,
    `${p.recipe}: ${commands.join("; ")}`,
    r.final ? `${r.final.ready}/${p.to} Ready, state ${r.final.stateNodes}, max ${r.maxLive}` : "-",
    r.violations.length === 0 ? "ok" : `**FAIL**: ${r.violations.map((v) => v.split("\n")[0]).join("; ")}`,
  ].join(" | ")} |`;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    timing: TIMING,
    log: (line) => requestLog.push({ at: Date.now() - Number(/(\d+)ms$/.exec(line)?.[1] ?? 0), line }),
  });
});

afterAll(async () => {
  if (records.length > 0) {
    const lines = [
      `crash-safety trials (seed ${SEED}, ${ROUNDS} round(s) of ${KINDS.map((k) => k.kind).join(", ")}, kill ${KILL}):`,
      "| # | change | kill | at | phase at the kill | after the kill | recovery | result | outcome |",
      "|---|---|---|---|---|---|---|---|---|",
      ...records.map(row),
    ];
    process.stderr.write(`${lines.join("\n")}\n`);
    const file = process.env["CRASH_REPORT"];
    if (file) {
      const report = {
        seed: SEED,
        rounds: ROUNDS,
        kinds: KINDS.map((k) => k.kind),
        kill: KILL,
        trials: records,
      };
      writeFileSync(file, JSON.stringify(report, null, 2));
    }
  }
  for (const ws of workspaces) await ws.dispose();
  await emulator?.close();
});

const allPlans = plans();
/** The stack of the last round, while it ended clean (destroyed): the next round re-creates it. */
let reusable: Workspace | undefined;

for (let round = 0; round < ROUNDS; round++) {
  const done = {
    create: "created",
    grow: "grown",
    shrink: "shrunk",
    replace: "replaced",
    "warm-shrink": "shrunk into a warm pool",
    "warm-grow": "grown from its warm pool",
  };
  describe(`round ${round + 1}: a stack killed while it is ${KINDS.map((k) => done[k.kind]).join(", ")}`, () => {
    let ws: Workspace | undefined;
    let broken = false;

    beforeAll(async () => {
      // Every other round re-creates the previous round's destroyed stack (its first generation's
      // request ids are used); the others, and any round after a failed one, start afresh.
      if (round % 2 === 1 && reusable) {
        ws = reusable;
      } else {
        emulator.reset();
        requestLog.length = 0;
        ws = await Workspace.create({ example: "quickstart", label: `crash${round + 1}` });
        workspaces.push(ws);
        await withScaleDown(ws);
        await ws.init(emulator);
      }
      reusable = undefined;
    });

    for (const plan of allPlans.filter((p) => p.round === round)) {
      it(`converges to exactly count nodes: ${describePlan(plan)}`, async (ctx) => {
        if (!ws || broken) ctx.skip();
        broken = true;
        const record = await runTrial(ws as Workspace, plan);
        expect(record.violations, row(record)).toEqual([]);
        broken = false;
      });
    }

    it("destroys the set and leaves no node", async (ctx) => {
      if (!ws || broken) ctx.skip();
      const destroy = await (ws as Workspace).destroy();
      expect(destroy.code, `destroy failed:\n${tail(destroy)}`).toBe(0);
      expect(liveNow()).toEqual([]);
      await sleep(TIMING.terminatingMs + 200);
      expect(emulator.nodes()).toEqual([]);
      const state = await exportState(ws as Workspace);
      expect(state.resources.filter((r) => r.type === NODE_SET_TYPE)).toEqual([]);
      expect(state.pending).toEqual([]);
      reusable = ws;
    });
  });
}

/** A fresh quickstart stack on a reset emulator. */
async function freshStack(label: string, config: Record<string, string>): Promise<Workspace> {
  emulator.reset();
  requestLog.length = 0;
  const ws = await Workspace.create({ example: "quickstart", label });
  workspaces.push(ws);
  await ws.init(emulator, config);
  return ws;
}

/** `up` killed (whole tree) 300 ms after the create POST reached the emulator: nodes exist, state does not know. */
async function upKilledAfterCreatePost(ws: Workspace, change: Change): Promise<TrialRecord> {
  const plan: Plan = {
    ...change,
    round: -1,
    index: -1,
    trigger: "post",
    delayMs: 300,
    mode: "tree",
    recipe: "A",
  };
  const record: TrialRecord = {
    plan,
    killAtMs: null,
    phase: "",
    requestsBeforeKill: [],
    killed: [],
    pendingAfterKill: [],
    lockLeft: false,
    recovery: [],
    afterRefresh: null,
    upWarnedPending: false,
    lingering: [],
    maxLive: 0,
    final: null,
    violations: [],
    ms: 0,
  };
  await (
    await killedUp(ws, plan, record)
  ).up;
  expect(record.phase).toMatch(/^after the create POST/);
  expect((await exportState(ws)).pending.map((p) => p.type)).toEqual(["creating"]);
  // The killed command's lock, left behind: `organization/<project>/<stack>/<id>.json`.
  const locks = join(ws.root, "backend", ".pulumi", "locks");
  expect(lockFiles(ws).map((file) => relative(locks, file))).toEqual([
    expect.stringMatching(new RegExp(`^organization/cyclecloud-quickstart/${ws.stack}/[^/]+\\.json$`)),
  ]);
  expect((await ws.pulumi(["cancel"])).code).toBe(0);
  return record;
}

describe.runIf(SCENARIOS)("fixed scenarios", () => {
  // A set's request ids derive from its identity, which is new for every resource instance (so a
  // set never adopts another's nodes). `destroy` removes the identity but ignores the pending create,
  // so a later `up` is a new instance: it cannot tell these nodes from another set's and leaves them
  // alone. The pending operation still names the set's base request id. `requestId` set to it is
  // refused (it has the format of another set's base), and so is `adoptExisting` of its request id,
  // unless the user asserts the nodes orphaned: `adoptExisting: { requestId, orphaned: true }` adopts
  // them without creating any, and destroy then removes them.
  it("a create killed then destroyed leaves its nodes (destroy ignores a pending create); adoptExisting of its request id with orphaned: true, then destroy, removes them", async () => {
    const ws = await freshStack("crash-destroy", { count: "3", machineType: HC });
    await upKilledAfterCreatePost(ws, CHANGES.create);
    const made = liveNow().map((n) => n.record.NodeId);
    expect(names(liveNow())).toEqual(["ondemand-1", "ondemand-2", "ondemand-3"]);

    // `destroy` only sees resources in state: the pending create is not one.
    const destroy = await ws.destroy();
    expect(destroy.code, tail(destroy)).toBe(0);
    expect(liveNow().map((n) => n.record.NodeId)).toEqual(made);
    const [pending] = (await exportState(ws)).pending;
    expect(pending?.type).toBe("creating");
    const base = pending?.baseRequestId ?? "";
    expect(base).toMatch(/^pcc-[0-9a-f]{24}$/);
    const declare = (args: string) =>
      ws.writeProgram(
        [
          'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
          `new CycleCloudNodeSet("workers", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", count: 3, ${args} });`,
          "",
        ].join("\n"),
      );

    // The old workaround, the lost set's base as `requestId`, is refused before any node is touched.
    await declare(`requestId: "${base}"`);
    const refused = await ws.up();
    expect(refused.code, tail(refused)).not.toBe(0);
    expect(output(refused)).toContain(`\`requestId\` "${base}" has the format of a base request id`);
    expect(output(refused)).toContain("taken over with `adoptExisting` and `orphaned: true` instead");
    expect(liveNow().map((n) => n.record.NodeId)).toEqual(made);

    // The recovery: assert the request's nodes orphaned; they are adopted, no node is created.
    await declare(`adoptExisting: { requestId: "${base}-0", orphaned: true }`);
    const creates = emulator.counters().create;
    const up = await ws.up();
    expect(up.code, tail(up)).toBe(0);
    expect(output(up)).toContain("adopted 3 existing node(s)");
    expect(emulator.counters().create).toBe(creates); // no create request at all
    const [set] = (await exportState(ws)).resources.filter((r) => r.type === NODE_SET_TYPE);
    expect([...((set?.outputs?.["nodeIds"] as string[]) ?? [])].sort()).toEqual([...made].sort());
    expect(set?.outputs?.["requestIds"]).toEqual([`${base}-0`]);
    expect((await ws.destroy()).code).toBe(0);
    expect(liveNow()).toEqual([]);
  });

  // Was a defect (fixed): a create that adopted the nodes of an interrupted create kept all of them
  // even when they were more than `count`. The first `up` now trims them to `count`.
  it("recovers a create killed after its POST with a smaller count, trimming the adopted nodes to count", async () => {
    const ws = await freshStack("crash-count", { count: "3", machineType: HC });
    await upKilledAfterCreatePost(ws, CHANGES.create);
    await ws.setConfig({ count: "2" });
    expect((await ws.pulumi(["refresh", "--yes", "--clear-pending-creates"])).code).toBe(0);

    const up = await ws.up();
    expect(up.code, tail(up)).toBe(0);
    expect(output(up)).toContain("adopting its 3 node(s) instead of creating new ones");
    expect(output(up)).toContain("adopted more nodes than `count`: terminating ondemand-3");
    const [set] = (await exportState(ws)).resources.filter((r) => r.type === NODE_SET_TYPE);
    expect([set?.outputs?.["count"], set?.outputs?.["readyCount"]]).toEqual([2, 2]);
    // The newest-named adopted node is the one terminated; the set holds the two left.
    const kept = liveNow();
    expect(names(kept)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(kept.map((n) => n.record.NodeId).sort()).toEqual(
      [...((set?.outputs?.["nodeIds"] as string[] | undefined) ?? [])].sort(),
    );
  });

  // Was a defect (fixed): Pulumi re-runs Check with no olds for a replacement, so the replacement
  // was created under the unchained base while the first Check (chained base) looked for the nodes
  // of the interrupted replacement in the wrong place, and its preflight refused the recovery in a
  // tight bucket. The provider now remembers the chained base between the two Checks.
  it("recovers a replacement killed after its create POST in a tight bucket, adopting its nodes", async () => {
    const ws = await freshStack("crash-replace", { count: "2", machineType: HC });
    expect((await ws.up()).code).toBe(0);
    await ws.setConfig({ machineType: FS });
    await upKilledAfterCreatePost(ws, CHANGES.replace);
    expect((await ws.pulumi(["refresh", "--yes", "--clear-pending-creates"])).code).toBe(0);

    const up = await ws.up();
    expect(up.code, tail(up)).toBe(0);
    const sets = (await exportState(ws)).resources.filter((r) => r.type === NODE_SET_TYPE);
    expect(sets.map((r) => r.outputs?.["machineType"])).toEqual([FS]);
    expect(
      liveNow()
        .map((n) => n.record.MachineType)
        .sort(),
    ).toEqual([FS, FS]);
  });
});

describe("after every trial", () => {
  it("no command printed the password, and no state or config file holds it", async () => {
    await expectNoPasswordAnywhere(workspaces);
  });
});
