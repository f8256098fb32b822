import type { Bucket, ClusterStatus } from "../../wire/schemas";
import type { NodeSetInputs } from "../../provider/core/inputs";
import type { CheckFailure } from "../../provider/core/inputs-check";
import type { PreflightSources } from "../../provider/core/node-set-preflight";
import { preflight } from "../../provider/core/node-set-preflight";
import type { RunPlan } from "../../provider/core/run-plan";
import { checkedChange } from "../../provider/core/set-change";
import { seedClusterStatus79 } from "../fixtures/seed";
import type { NodeSetClient, OperationContext } from "../../provider/ops/node-set-listing";
import { PollRounds } from "../../provider/ops/poll-rounds";
import { DEFAULT_TUNING } from "../../provider/ops/tuning";

/** A bucket like the seed's, with overrides. */
export function bucket(
  overrides: Partial<Bucket> & { machineType: string; vcpuCount?: number; infiniband?: boolean },
): Bucket {
  const { machineType, vcpuCount = 44, infiniband = true, ...rest } = overrides;
  return {
    bucketId: `bucket-${machineType}`,
    definition: { machineType },
    valid: true,
    maxCount: 11,
    maxCoreCount: 11 * vcpuCount,
    activeCount: 0,
    activeCoreCount: 0,
    availableCount: 11,
    availableCoreCount: 11 * vcpuCount,
    maxPlacementGroupSize: 40,
    maxPlacementGroupCoreSize: 40 * vcpuCount,
    placementGroups: [],
    virtualMachine: { vcpuCount, memory: 327.83, infiniband },
    ...rest,
  };
}

/** The seed's cluster status: `hpc` with nodearray `ondemand` and its two buckets. */
export function seedStatus(overrides: Partial<ClusterStatus> = {}): ClusterStatus {
  return { ...seedClusterStatus79(), ...overrides };
}

/** The seed's cluster status with the bucket of `machineType` changed by `change`. */
export function seedStatusWithBucket(machineType: string, change: Partial<Bucket>): ClusterStatus {
  const status = seedStatus();
  return {
    ...status,
    nodearrays: status.nodearrays.map((nodearray) => ({
      ...nodearray,
      buckets: nodearray.buckets.map((b) =>
        b.definition?.machineType === machineType ? { ...b, ...change } : b,
      ),
    })),
  };
}

/** `check`'s preflight of a set with these old and new inputs (as the engine adapter calls it). */
export function checkPreflight(
  olds: Record<string, unknown>,
  inputs: NodeSetInputs,
  sources: PreflightSources,
  run: RunPlan,
): Promise<CheckFailure[]> {
  return preflight(checkedChange(olds, inputs, false), sources, run);
}

/**
 * An operation context over `client` for `inputs`, as ProviderContext.operation makes one (no
 * lines, the default tuning, the clock at 0, its own poll rounds, the status read from the client).
 */
export function operationContext(client: NodeSetClient, inputs: NodeSetInputs): OperationContext {
  return {
    client,
    inputs,
    claiming: {
      identity: inputs.identity,
      label: `cyclecloud ${inputs.identity}`,
      url: "",
      cluster: inputs.cluster,
    },
    changes: { added: 0, other: 0 },
    log: () => undefined,
    warn: () => undefined,
    tuning: DEFAULT_TUNING,
    now: () => 0,
    rounds: new PollRounds(client, inputs.cluster),
    clusterStatus: () => client.getClusterStatus(inputs.cluster),
  };
}
