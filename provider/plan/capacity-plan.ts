/**
 * `capacityPlan`: runs `pulumi preview` of a stack through the Automation API with the provider's
 * preflight off (`CYCLECLOUD_PREFLIGHT_OVERRIDE=off`: no set's `check` is refused, so the engine
 * emits every set's step, whatever the timing), takes the node sets' steps and errors from the
 * engine's events, reads each cluster they touch once, and computes the fit itself (see
 * ./bucket-plan).
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { CycleCloudClient, errorText, plainLines } from "../client";
import { resolveConnection } from "../connection";
import type { PlainConnectionArgs } from "../connection-args";
import type { ClusterStatus } from "../schemas";
import { planBuckets, planChanges, placeOf } from "./bucket-plan";
import { previewEventCollector } from "./engine-steps";
import type { NodeSetStep } from "./engine-steps";
import type { CapacityPlan } from "./plan-types";

/** Options of {@link capacityPlan}. */
export interface CapacityPlanOptions {
  /** The stack to preview. @default the workspace's selected stack */
  readonly stack?: string | undefined;
  /** The Pulumi project folder. @default the current directory */
  readonly cwd?: string | undefined;
  /**
   * Environment of the `pulumi` CLI and of the status reads (`PULUMI_*`, `CYCLECLOUD_*`).
   * @default `process.env`
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The plan could not be made (the preview failed for a reason other than capacity, a status read failed, ...). */
export class CapacityPlanError extends Error {
  override readonly name = "CapacityPlanError";
}

/** The `pulumi` CLI's own error line of an Automation API error, else the error's first line. */
function cliError(error: unknown): string {
  const stderr = (error as { commandResult?: { stderr?: unknown } } | undefined)?.commandResult?.stderr;
  const lines = [
    ...(typeof stderr === "string" ? plainLines(stderr, 100_000).split("\n") : []),
    ...errorText(error, { lines: true }).split("\n"),
  ];
  const line = lines.map((text) => text.replace(/^error:\s*/, "").trim()).find((text) => text !== "");
  return line ?? "unknown error";
}

async function openStack(options: CapacityPlanOptions, envVars: Record<string, string>): Promise<Stack> {
  const workDir = options.cwd ?? process.cwd();
  // Loaded here, not at the top: programs importing the package do not pay for the Automation API.
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  if (options.stack !== undefined) {
    const stackName = options.stack;
    return LocalWorkspace.selectStack({ stackName, workDir }, { envVars }).catch((error: unknown) => {
      const notFound = error instanceof Error && error.name === "StackNotFoundError";
      throw new CapacityPlanError(
        notFound
          ? `no stack '${stackName}' in ${workDir}: list the stacks with \`pulumi stack ls\` and give one of them (--stack NAME)`
          : `cannot open stack '${stackName}' in ${workDir}: ${cliError(error)}`,
      );
    });
  }
  const workspace = await LocalWorkspace.create({ workDir, envVars });
  const current = await workspace.stack();
  if (current === undefined) {
    throw new CapacityPlanError(`No stack is selected in ${workDir}: name one (--stack NAME)`);
  }
  return LocalWorkspace.selectStack({ stackName: current.name, workDir }, { envVars });
}

/** A set's own `connection` input when it is plain (a secret one comes masked in events). */
function explicitConnection(step: NodeSetStep): PlainConnectionArgs | undefined {
  const connection = step.news?.["connection"] ?? step.olds?.["connection"];
  if (typeof connection !== "object" || connection === null) return undefined;
  const url = (connection as Record<string, unknown>)["url"];
  return typeof url === "string" ? (connection as PlainConnectionArgs) : undefined;
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
    // The plan judges the fit; the provider's preflight must not cut the preview short.
    CYCLECLOUD_PREFLIGHT_OVERRIDE: "off",
  };
  let stack: Stack;
  try {
    stack = await openStack(options, envVars);
  } catch (error) {
    if (error instanceof CapacityPlanError) throw error;
    throw new CapacityPlanError(`cannot open the stack: ${cliError(error)}`);
  }
  const events = previewEventCollector();
  let previewError: unknown;
  try {
    await stack.preview({ onEvent: (event) => events.add(event), color: "never" });
  } catch (error) {
    previewError = error;
  }
  if (previewError !== undefined) {
    const errors = [...events.errors.values()].flat();
    throw new CapacityPlanError(
      `pulumi preview failed: ${errors.length > 0 ? errors.join("\n") : cliError(previewError)}`,
    );
  }
  // By name: the plan does not depend on the order the engine happened to send the steps in.
  const steps = [...events.steps].sort((a, b) => a.name.localeCompare(b.name));

  const config = await stack.getAllConfig();
  const lookup = (key: string): string | undefined => config[key]?.value;
  const statuses = new Map<string, ClusterStatus>();
  for (const step of steps) {
    for (const inputs of [step.news, step.olds]) {
      const place = placeOf(inputs);
      if (place === undefined || statuses.has(place.cluster)) continue;
      try {
        const client = new CycleCloudClient({ ...resolveConnection(explicitConnection(step), lookup, env) });
        statuses.set(place.cluster, await client.getClusterStatus(place.cluster, { nodes: false }));
      } catch (error) {
        throw new CapacityPlanError(
          `Cannot read the status of cluster '${place.cluster}': ${errorText(error)}`,
        );
      }
    }
  }
  const changes = planChanges(steps, statuses, events.errors);
  const buckets = planBuckets(steps, statuses);
  return { stack: stack.name, fits: buckets.every((bucket) => bucket.fits), changes, buckets };
}
