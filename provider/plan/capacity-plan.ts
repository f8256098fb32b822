/**
 * `capacityPlan`: runs `pulumi preview` of a stack through the Automation API, takes the node
 * sets' steps and errors from the engine's events, reads each cluster they touch once, and
 * computes the plan (see ./bucket-plan).
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { CycleCloudClient } from "../client";
import { resolveConnection } from "../connection";
import type { PlainConnectionArgs } from "../connection-args";
import type { ClusterStatus } from "../schemas";
import { planBuckets, planChanges, placeOf } from "./bucket-plan";
import { NODE_SET_TYPE } from "../resource/node-set-identity";
import { previewEventCollector, resourceName } from "./engine-steps";
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

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function openStack(options: CapacityPlanOptions, envVars: Record<string, string>): Promise<Stack> {
  const workDir = options.cwd ?? process.cwd();
  // Loaded here, not at the top: programs importing the package do not pay for the Automation API.
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  if (options.stack !== undefined) {
    return LocalWorkspace.selectStack({ stackName: options.stack, workDir }, { envVars });
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
  const envVars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  let stack: Stack;
  try {
    stack = await openStack(options, envVars);
  } catch (error) {
    if (error instanceof CapacityPlanError) throw error;
    throw new CapacityPlanError(`Cannot open the stack: ${message(error)}`);
  }
  const events = previewEventCollector();
  let previewError: unknown;
  try {
    await stack.preview({ onEvent: (event) => events.add(event), color: "never" });
  } catch (error) {
    previewError = error;
  }
  const steps = [...events.steps];
  // A set that preflight refuses fails its `check`: it has an error and no step (see refusedSteps).
  if (previewError !== undefined) steps.push(...(await refusedSteps(stack, events.errors, steps)));
  steps.sort((a, b) => a.name.localeCompare(b.name));

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
          `Cannot read the status of cluster '${place.cluster}': ${message(error)}`,
        );
      }
    }
  }
  const changes = planChanges(steps, statuses, events.errors);
  const buckets = planBuckets(steps, statuses);
  const refused = buckets.some((bucket) => !bucket.fits);
  if (previewError !== undefined && !refused) {
    const errors = [...events.errors.values()].flat();
    throw new CapacityPlanError(
      `pulumi preview failed: ${errors.length > 0 ? errors.join("\n") : message(previewError)}`,
    );
  }
  return { stack: stack.name, fits: !refused && previewError === undefined, changes, buckets };
}

/**
 * Node sets with an error but no step: their check failed, so the engine sent no inputs. Their
 * old inputs come from the stack's state; the new `count` from the engine's check failure, which
 * names the property and its value (`property count value {12} has a problem: ...`). A new set
 * (not in state) has no known place: it is listed, with its error, but asks nothing of a bucket.
 */
async function refusedSteps(
  stack: Stack,
  errors: ReadonlyMap<string, readonly string[]>,
  steps: readonly NodeSetStep[],
): Promise<NodeSetStep[]> {
  const seen = new Set(steps.map((step) => step.urn));
  const urns = [...errors.keys()].filter((urn) => urn.includes(`::${NODE_SET_TYPE}::`) && !seen.has(urn));
  if (urns.length === 0) return [];
  const deployment = (await stack.exportStack()).deployment as
    { resources?: { urn: string; inputs?: Record<string, unknown> }[] } | undefined;
  return urns.map((urn): NodeSetStep => {
    const olds = deployment?.resources?.find((resource) => resource.urn === urn)?.inputs;
    const count = (errors.get(urn) ?? [])
      .map((text) => /property count value \{(\d+)\} has a problem/.exec(text)?.[1])
      .find((value) => value !== undefined);
    const news =
      olds === undefined ? undefined : { ...olds, ...(count === undefined ? {} : { count: Number(count) }) };
    return { urn, name: resourceName(urn), action: olds === undefined ? "create" : "update", olds, news };
  });
}
