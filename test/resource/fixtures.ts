import type { Bucket, ClusterStatus } from "../../wire/schemas";
import type { NodeSetInputs } from "../../provider/core/inputs";
import type { CheckFailure } from "../../provider/core/inputs-check";
import type { PreflightSources } from "../../provider/core/node-set-preflight";
import { preflight } from "../../provider/core/node-set-preflight";
import type { RunPlan } from "../../provider/core/run-plan";
import { checkedChange } from "../../provider/core/set-change";
import { seedClusterStatus79 } from "../fixtures/seed";

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
