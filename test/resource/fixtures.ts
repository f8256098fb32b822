import type { Bucket, ClusterStatus } from "../../provider/schemas";

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
  return {
    state: "Started",
    targetState: "Started",
    maxCount: 100,
    maxCoreCount: 10000,
    nodearrays: [
      {
        name: "ondemand",
        maxCount: 100,
        maxCoreCount: 500,
        buckets: [
          bucket({
            machineType: "Standard_Fs32_v2",
            bucketId: "cd56af52-abcd-1234-a4e7-e6a91ca519a2",
            vcpuCount: 32,
            infiniband: false,
            maxCount: 3,
            maxCoreCount: 96,
            availableCount: 3,
            availableCoreCount: 96,
            maxPlacementGroupCoreSize: 1280,
          }),
          bucket({ machineType: "Standard_Hc44rs", bucketId: "d81e001a-abcd-1234-9754-79815cb7b225" }),
        ],
      },
    ],
    ...overrides,
  };
}
