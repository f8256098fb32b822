/**
 * The Pulumi engine as the fast tier models it, for the scenarios that test the provider's own
 * logic (capacity, quotas, warm pool, placement groups, adoption, crash recovery): a stack's state,
 * and `preview`, `up`, `refresh` and `destroy` that call the node set provider as the engine does.
 *
 * - Every command is a new provider process: a fresh provider, configured with the stack config
 *   only (no environment), so nothing survives between commands but the stack's state.
 * - What the engine stores and passes goes through JSON (`stored`), as it does through the state
 *   file and gRPC: `check(olds = the old inputs, news)`, `diff(id, olds = the old outputs, news =
 *   the checked inputs)`, `update(id, olds = the old outputs, news)`, `read(id, outputs)`,
 *   `delete(id, outputs)`.
 * - A command checks and diffs every declared set in program order, then runs the steps: creates,
 *   updates and create-before-delete replacements in parallel, then the deletes of replaced and
 *   dropped sets, only when nothing failed. A replacement re-checks the new inputs with no olds
 *   before its create (the engine does); with `deleteBeforeReplace` (the resource option, or the
 *   provider's diff asking for it) the old set is deleted first.
 * - The inputs carry the key `dynamic.Resource` adds (`__provider`), as the engine passes them.
 * - A partial failure (`NodeSetPartialFailure`: id and properties) is recorded in state with its
 *   reasons, as the engine records a resource whose create or update failed after it existed.
 *
 * What only the real engine shows stays in test/e2e: the provider's serialization and loading,
 * secrets in state, the engine's diagnostic text, aliases and parents, the packed package and kills
 * of the process.
 */
import { NodeSetPartialFailure, createNodeSetProvider } from "../../provider/engine/node-set-provider";
import type { NodeSetProvider, NodeSetProviderOptions } from "../../provider/engine/node-set-provider";
import type { SetWarning } from "../../provider/engine/logger";
import type { NodeSetState } from "../../provider/core/node-set-state";
import { TEST_TUNING } from "../provider/harness";

/** A set the program declares: its resource name, its raw inputs and resource options. */
export interface Declared {
  name: string;
  inputs: Record<string, unknown>;
  deleteBeforeReplace?: boolean;
}

/** A set in the stack's state. */
export interface Stored {
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  outputs: NodeSetState;
  /** Set by a partial failure: the engine retries an update on the next `up`. */
  initErrors: string[];
}

export type Step = "create" | "update" | "replace" | "same" | "delete";

/** One failure of a command, as the engine reports it under the resource's name. */
export interface Failure {
  name: string;
  op: "check" | "diff" | "create" | "update" | "delete" | "read";
  message: string;
}

export interface CommandResult {
  ok: boolean;
  /** The step planned for each set, by name (deletes included). */
  steps: Record<string, Step>;
  /** The inputs each replacement names (the engine's `replaceReasons`), by name. */
  replaceReasons: Record<string, string[]>;
  failures: Failure[];
  /** The provider calls of this command in the order they started: `<method> <name>`. */
  calls: string[];
  /** The provider's progress lines (`info`) and client lines (`error`) of this command. */
  info: string[];
  error: string[];
  /** The warnings the provider sent the engine (diagnostics of severity warning), as `<label>: <text>`. */
  warnings: string[];
}

/**
 * The key `dynamic.Resource` adds to a set's inputs: the provider's serialized text (a stand-in
 * here; test/serialization and test/e2e load the real one). Every check must let it pass.
 */
export const PROVIDER_KEY = "__provider";
const PROVIDER_TEXT = "exports.handler = __shim; var __shim = {}; // serialized provider (engine model)";

/** What the engine stores: plain JSON (state file, gRPC structs). */
function stored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

interface Lines {
  info: string[];
  error: string[];
  warnings: string[];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class EngineModel {
  state: Stored[] = [];
  private provider: NodeSetProvider = createNodeSetProvider();
  private lines: Lines = { info: [], error: [], warnings: [] };

  constructor(
    /** The stack config: `cyclecloud:url`, `cyclecloud:username`, `cyclecloud:password`, ... */
    readonly stackConfig: Record<string, string>,
    private readonly options: NodeSetProviderOptions = {},
  ) {}

  /** The set of this name in state. */
  set(name: string): Stored {
    const found = this.state.find((r) => r.name === name);
    if (!found) throw new Error(`no set '${name}' in state`);
    return found;
  }

  /** A new provider process, configured with the stack config. */
  private async freshProcess(): Promise<void> {
    this.replaceReasons = {};
    this.calls = [];
    const lines: Lines = { info: [], error: [], warnings: [] };
    this.lines = lines;
    this.provider = createNodeSetProvider({
      logger: {
        info: (line) => void lines.info.push(line),
        warn: (w: SetWarning) => void lines.warnings.push(`${w.label}: ${w.text}`),
        error: (line) => void lines.error.push(line),
      },
      tuning: TEST_TUNING,
      env: {},
      ...this.options,
    });
    const config = this.stackConfig;
    await this.provider.configure({
      config: { get: (key: string) => config[key], require: (key: string) => config[key] ?? "" },
    });
  }

  private replaceReasons: Record<string, string[]> = {};
  private calls: string[] = [];

  private result(steps: Record<string, Step>, failures: Failure[]): CommandResult {
    const replaceReasons = this.replaceReasons;
    return { ok: failures.length === 0, steps, replaceReasons, failures, calls: this.calls, ...this.lines };
  }

  /** `pulumi preview`: check and diff, no step. */
  async preview(program: readonly Declared[]): Promise<CommandResult> {
    await this.freshProcess();
    const { steps, failures } = await this.plan(program);
    return this.result(steps, failures);
  }

  private async plan(program: readonly Declared[]) {
    const steps: Record<string, Step> = {};
    const failures: Failure[] = [];
    const checked = new Map<string, Record<string, unknown>>();
    /** The replacements that delete the old set first (resource option, or the provider's diff). */
    const deleteFirst = new Set<string>();
    for (const set of program) {
      const old = this.state.find((r) => r.name === set.name);
      let inputs: Record<string, unknown>;
      try {
        const news = { ...stored(set.inputs), [PROVIDER_KEY]: PROVIDER_TEXT };
        this.calls.push(`check ${set.name}`);
        const result = await this.provider.check(stored(old?.inputs ?? {}), news);
        const problems = result.failures ?? [];
        if (problems.length > 0) {
          for (const p of problems)
            failures.push({ name: set.name, op: "check", message: `${p.property}: ${p.reason}` });
          continue;
        }
        inputs = stored(result.inputs as Record<string, unknown>);
      } catch (error) {
        failures.push({ name: set.name, op: "check", message: messageOf(error) });
        continue;
      }
      checked.set(set.name, inputs);
      if (!old) {
        steps[set.name] = "create";
        continue;
      }
      try {
        this.calls.push(`diff ${set.name}`);
        const diff = await this.provider.diff(old.id, stored(old.outputs), inputs);
        if ((diff.replaces ?? []).length > 0) {
          steps[set.name] = "replace";
          this.replaceReasons[set.name] = diff.replaces ?? [];
        } else if (diff.changes !== false || old.initErrors.length > 0) steps[set.name] = "update";
        else steps[set.name] = "same";
        if (set.deleteBeforeReplace || diff.deleteBeforeReplace) deleteFirst.add(set.name);
      } catch (error) {
        failures.push({ name: set.name, op: "diff", message: messageOf(error) });
      }
    }
    for (const r of this.state) {
      if (!program.some((set) => set.name === r.name)) steps[r.name] = "delete";
    }
    return { steps, failures, checked, deleteFirst };
  }

  /** `pulumi up`: the plan, then its steps; the state records what each step did. */
  async up(program: readonly Declared[]): Promise<CommandResult> {
    await this.freshProcess();
    const { steps, failures, checked, deleteFirst } = await this.plan(program);
    if (failures.length > 0) return this.result(steps, failures);

    const replaced: Stored[] = [];
    await Promise.all(
      program.map(async (set) => {
        const step = steps[set.name];
        const inputs = checked.get(set.name);
        const old = this.state.find((r) => r.name === set.name);
        if (inputs === undefined || step === "same") return;
        if (step === "update" && old) {
          this.calls.push(`update ${set.name}`);
          const update = () => this.provider.update(old.id, stored(old.outputs), inputs);
          await this.record(set.name, "update", inputs, update, old, failures);
          return;
        }
        let createInputs = inputs;
        if (step === "replace" && old) {
          this.state = this.state.filter((r) => r !== old);
          if (deleteFirst.has(set.name)) {
            if (!(await this.deleteStored(old, failures))) {
              this.state.push(old);
              return;
            }
          } else {
            replaced.push(old);
          }
          // The engine checks the replacement's inputs again, with no olds, before its create.
          this.calls.push(`check ${set.name}`);
          const news = { ...stored(set.inputs), [PROVIDER_KEY]: PROVIDER_TEXT };
          const again = await this.provider.check({}, news);
          const problems = again.failures ?? [];
          for (const p of problems) {
            failures.push({ name: set.name, op: "check", message: `${p.property}: ${p.reason}` });
          }
          if (problems.length > 0) return;
          createInputs = stored(again.inputs as Record<string, unknown>);
        }
        this.calls.push(`create ${set.name}`);
        const create = () => this.provider.create(createInputs);
        await this.record(set.name, "create", createInputs, create, undefined, failures);
      }),
    );
    if (failures.length > 0) {
      // The replaced sets stay in state for the next `up` to delete (pending deletes).
      this.state.push(...replaced);
      return this.result(steps, failures);
    }
    const dropped = this.state.filter((r) => steps[r.name] === "delete");
    for (const r of [...replaced, ...dropped].reverse()) {
      this.state = this.state.filter((x) => x !== r);
      if (!(await this.deleteStored(r, failures))) this.state.push(r);
    }
    return this.result(steps, failures);
  }

  /**
   * Runs a create or update and records its result in state: its outputs, or a partial failure's
   * properties with its reasons; a plain error leaves the state as it was.
   */
  private async record(
    name: string,
    op: "create" | "update",
    inputs: Record<string, unknown>,
    run: () => Promise<{ id?: string; outs?: unknown }>,
    old: Stored | undefined,
    failures: Failure[],
  ): Promise<void> {
    try {
      const result = await run();
      const id = result.id ?? old?.id ?? "";
      this.replaceStored(old, {
        name,
        id,
        inputs,
        outputs: stored(result.outs as NodeSetState),
        initErrors: [],
      });
    } catch (error) {
      if (error instanceof NodeSetPartialFailure) {
        const entry = {
          name,
          id: error.id,
          // As the engine records a failed update: the new outputs, but the old inputs (the next
          // `check` gets those as its olds).
          inputs: op === "update" && old !== undefined ? old.inputs : inputs,
          outputs: stored(error.properties),
          initErrors: error.reasons,
        };
        this.replaceStored(old, entry);
      }
      failures.push({ name, op, message: messageOf(error) });
    }
  }

  private replaceStored(old: Stored | undefined, entry: Stored): void {
    this.state = [...this.state.filter((r) => r !== old), entry];
  }

  private async deleteStored(r: Stored, failures: Failure[]): Promise<boolean> {
    this.calls.push(`delete ${r.name}`);
    try {
      await this.provider.delete(r.id, stored(r.outputs));
      return true;
    } catch (error) {
      failures.push({ name: r.name, op: "delete", message: messageOf(error) });
      return false;
    }
  }

  /** `pulumi refresh`: stores what read returns; a set read as gone leaves the state. */
  async refresh(): Promise<CommandResult> {
    await this.freshProcess();
    const failures: Failure[] = [];
    for (const r of [...this.state]) {
      this.calls.push(`read ${r.name}`);
      try {
        const result = await this.provider.read(r.id, stored(r.outputs));
        if (!result.id) this.state = this.state.filter((x) => x !== r);
        else r.outputs = stored(result.props as NodeSetState);
      } catch (error) {
        failures.push({ name: r.name, op: "read", message: messageOf(error) });
      }
    }
    return this.result({}, failures);
  }

  /** `pulumi destroy`: deletes every set, newest first. */
  async destroy(): Promise<CommandResult> {
    await this.freshProcess();
    const failures: Failure[] = [];
    const steps: Record<string, Step> = {};
    for (const r of [...this.state].reverse()) {
      steps[r.name] = "delete";
      if (await this.deleteStored(r, failures)) this.state = this.state.filter((x) => x !== r);
    }
    return this.result(steps, failures);
  }
}
