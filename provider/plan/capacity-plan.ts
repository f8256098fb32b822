/**
 * `capacityPlan`: runs `pulumi preview` of a stack through the Automation API with the provider's
 * preflight in report mode (`CYCLECLOUD_PREFLIGHT_OVERRIDE=report`): each set's own preflight
 * judges its increase through its own connection, exactly as in any preview, sends its decision
 * to the engine as an info diagnostic of the set, and refuses nothing, so the engine emits every
 * set's step. The plan is those decisions, read from the engine's events (see ./bucket-plan): it
 * reads no cluster and resolves no connection itself.
 *
 * Why diagnostics rather than a report file: the engine already carries them to the Automation
 * API's event stream, attached to the set's URN, in the order the preview judged the sets; no
 * folder has to be shared with the provider process, nothing is left behind, and a stale or
 * foreign file cannot be mistaken for this preview's.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { errorText, plainLines } from "../client";
import { planBuckets, planChanges, refusesAny } from "./bucket-plan";
import { PreviewEvents } from "./engine-steps";
import type { CapacityPlan } from "./plan-types";

/** Options of {@link capacityPlan}. */
export interface CapacityPlanOptions {
  /** The stack to preview. @default the workspace's selected stack */
  readonly stack?: string | undefined;
  /** The Pulumi project folder. @default the current directory */
  readonly cwd?: string | undefined;
  /**
   * Environment of the `pulumi` CLI, and so of the provider (`PULUMI_*`, `CYCLECLOUD_*`).
   * @default `process.env`
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The plan could not be made (the preview failed for a reason other than capacity, ...). */
export class CapacityPlanError extends Error {
  override readonly name = "CapacityPlanError";
}

/** Lines of the engine's stderr a failed preview shows: its end, where the engine says what failed. */
const STDERR_TAIL = 20;

/**
 * The engine's own error text of a failed command: the tail of its stderr (e.g. a wrong
 * `PULUMI_CONFIG_PASSPHRASE`), else the error's message.
 */
export function engineError(error: unknown): string {
  const lines = stderrLines(error);
  return lines.length > 0 ? lines.slice(-STDERR_TAIL).join("\n") : errorText(error).trim();
}

/** The lines of the stderr of an Automation API error's command: plain text, none blank ({@link plainLines}). */
function stderrLines(error: unknown): string[] {
  const stderr = (error as { commandResult?: { stderr?: unknown } } | undefined)?.commandResult?.stderr;
  const text = typeof stderr === "string" ? plainLines(stderr, 100_000) : "";
  return text === "" ? [] : text.split("\n");
}

/** The `pulumi` CLI's own error line of an Automation API error, else the error's first line. */
function cliError(error: unknown): string {
  const lines = [...stderrLines(error), ...errorText(error, { lines: true }).split("\n")];
  const line = lines.map((text) => text.replace(/^error:\s*/, "").trim()).find((text) => text !== "");
  return line ?? "unknown error";
}

/**
 * The stack selected in the program's folder (null: none), to select again after a plan of
 * `--stack`; undefined when it cannot be read.
 */
async function selectedStack(
  options: CapacityPlanOptions,
  envVars: Record<string, string>,
): Promise<string | null | undefined> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  try {
    const workspace = await LocalWorkspace.create({ workDir: options.cwd ?? process.cwd(), envVars });
    return (await workspace.stack())?.name ?? null;
  } catch {
    return undefined;
  }
}

/** Selects `selected` in the stack's folder again (null: unselects), as it was before the plan. */
async function reselect(
  stack: Stack,
  selected: string | null,
  envVars: Record<string, string>,
): Promise<void> {
  if (selected !== null) return stack.workspace.selectStack(selected);
  const { pulumiCommand, workDir } = stack.workspace as LocalWorkspace;
  await promisify(execFile)(pulumiCommand.command, ["stack", "unselect"], { cwd: workDir, env: envVars });
}

async function openStack(options: CapacityPlanOptions, envVars: Record<string, string>): Promise<Stack> {
  const workDir = options.cwd ?? process.cwd();
  const stackName = options.stack;
  try {
    // Loaded here, not at the top: programs importing the package do not pay for the Automation API.
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    if (stackName !== undefined) {
      return await LocalWorkspace.selectStack({ stackName, workDir }, { envVars }).catch((error: unknown) => {
        const notFound = error instanceof Error && error.name === "StackNotFoundError";
        throw new CapacityPlanError(
          notFound
            ? `no stack '${stackName}' in ${workDir}: list the stacks with \`pulumi stack ls\` and give one of them (--stack NAME)`
            : `cannot open stack '${stackName}' in ${workDir}: ${cliError(error)}`,
        );
      });
    }
    const current = await (await LocalWorkspace.create({ workDir, envVars })).stack();
    if (current === undefined) {
      throw new CapacityPlanError(`No stack is selected in ${workDir}: name one (--stack NAME)`);
    }
    return await LocalWorkspace.selectStack({ stackName: current.name, workDir }, { envVars });
  } catch (error) {
    if (error instanceof CapacityPlanError) throw error;
    throw new CapacityPlanError(`cannot open the stack: ${cliError(error)}`);
  }
}

/**
 * The capacity plan of `pulumi preview` of a stack: per node set its action and counts, per
 * bucket touched what can be added now, what the plan adds, what is left after and the binding
 * limit. Throws {@link CapacityPlanError} when no plan can be made.
 */
export async function capacityPlan(options: CapacityPlanOptions = {}): Promise<CapacityPlan> {
  const env = options.env ?? process.env;
  const envVars = {
    ...Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    // Each set's preflight reports its decision as data and refuses nothing: the preview goes on.
    CYCLECLOUD_PREFLIGHT_OVERRIDE: "report",
  };
  const selected = options.stack === undefined ? undefined : await selectedStack(options, envVars);
  const stack = await openStack(options, envVars);
  const events = new PreviewEvents();
  try {
    await stack.preview({ onEvent: (event) => events.add(event), color: "never" });
  } catch (error) {
    const errors = [...events.errors.values()].flat();
    const engine = errors.length > 0 ? errors.join("\n") : engineError(error);
    throw new CapacityPlanError(`pulumi preview failed:\n${engine}`);
  } finally {
    // Opening `--stack` selected it in the folder: the next `pulumi up` there must go where it went before.
    if (selected !== undefined && selected !== stack.name)
      await reselect(stack, selected, envVars).catch(() => undefined);
  }
  if (events.unreadable.length > 0) throw new CapacityPlanError(events.unreadable.join("\n"));
  // By name: the plan does not depend on the order the engine happened to send the steps in.
  const steps = [...events.steps].sort((a, b) => a.name.localeCompare(b.name));
  const changes = planChanges(steps, events.reports, events.errors);
  const buckets = planBuckets(steps, events.reports);
  return {
    stack: stack.name,
    fits: buckets.every((bucket) => bucket.fits),
    refused: refusesAny(buckets),
    changes,
    buckets,
    warnings: events.warnings,
  };
}
