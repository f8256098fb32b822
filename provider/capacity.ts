import type { Bucket, ClusterStatus, NodearrayStatus } from "./schemas";

/** What a set of nodes asks of a cluster. */
export interface NodeSpec {
  nodearray: string;
  /** Without it, the nodearray's first valid bucket (the one CycleCloud would pick) is used. */
  machineType?: string | undefined;
  placementGroupId?: string | undefined;
}

/** One limit on how many more nodes of a spec the cluster can take. */
export interface CapacityLimit {
  /** e.g. "bucket availableCount", "nodearray maxCoreCount". */
  name: string;
  /** Nodes of this spec the limit still admits. */
  nodes: number;
}

export type CapacityFit =
  | {
      fits: boolean;
      requested: number;
      /** Nodes of this spec that can be added now (the smallest limit). */
      available: number;
      /** The smallest limit: the one that binds. */
      binding: CapacityLimit;
      limits: CapacityLimit[];
      bucket: Bucket;
      problem?: undefined;
      problemField?: undefined;
    }
  | {
      fits: false;
      requested: number;
      available: 0;
      /** Why no node of this spec can be added at all (no such bucket, invalid bucket, no InfiniBand). */
      problem: string;
      /** The input the problem is about. */
      problemField: "nodearray" | "machineType" | "placementGroupId";
      bucket?: Bucket;
      binding?: undefined;
      limits?: undefined;
    };

export function findNodearray(status: ClusterStatus, nodearray: string): NodearrayStatus | undefined {
  return status.nodearrays.find((n) => n.name === nodearray);
}

/**
 * The bucket a spec lands in: the one of its machine type, or else the nodearray's first valid
 * bucket. Undefined when the nodearray or machine type is unknown.
 */
export function findBucket(status: ClusterStatus, spec: NodeSpec): Bucket | undefined {
  const nodearray = findNodearray(status, spec.nodearray);
  if (!nodearray) return undefined;
  if (spec.machineType !== undefined) {
    return nodearray.buckets.find((b) => b.definition.machineType === spec.machineType);
  }
  return nodearray.buckets.find((b) => b.valid) ?? nodearray.buckets[0];
}

/** Whether `requested` more nodes of `spec` fit the cluster now, and which limit binds. */
export function capacityFit(status: ClusterStatus, spec: NodeSpec, requested: number): CapacityFit {
  const nodearray = findNodearray(status, spec.nodearray);
  if (!nodearray) {
    const names = status.nodearrays.map((n) => n.name).join(", ") || "none";
    return {
      fits: false,
      requested,
      available: 0,
      problemField: "nodearray",
      problem: `nodearray '${spec.nodearray}' does not exist (nodearrays: ${names})`,
    };
  }
  const bucket = findBucket(status, spec);
  if (!bucket) {
    const types = nodearray.buckets.map((b) => b.definition.machineType).join(", ") || "none";
    return {
      fits: false,
      requested,
      available: 0,
      problemField: spec.machineType ? "machineType" : "nodearray",
      problem: spec.machineType
        ? `machine type '${spec.machineType}' is not offered by nodearray '${spec.nodearray}' (machine types: ${types})`
        : `nodearray '${spec.nodearray}' has no bucket`,
    };
  }
  const machineType = bucket.definition.machineType;
  if (!bucket.valid) {
    return {
      fits: false,
      requested,
      available: 0,
      bucket,
      problemField: spec.machineType ? "machineType" : "nodearray",
      problem: `bucket ${machineType} of nodearray '${spec.nodearray}' is not valid (${bucket.invalidReason ?? "no reason given"}): it only describes existing nodes`,
    };
  }
  if (spec.placementGroupId !== undefined && !bucket.virtualMachine.infiniband) {
    return {
      fits: false,
      requested,
      available: 0,
      bucket,
      problemField: "placementGroupId",
      problem: `placement group '${spec.placementGroupId}' needs InfiniBand, which ${machineType} does not have: choose an InfiniBand machine type or drop placementGroupId`,
    };
  }

  const cores = Math.max(1, bucket.virtualMachine.vcpuCount);
  const byCores = (coreCount: number) => Math.floor(Math.max(0, coreCount) / cores);
  const nodearrayActive = nodearray.buckets.reduce((sum, b) => sum + b.activeCount, 0);
  const nodearrayActiveCores = nodearray.buckets.reduce((sum, b) => sum + b.activeCoreCount, 0);
  const limits: CapacityLimit[] = [
    { name: "bucket availableCount", nodes: Math.max(0, bucket.availableCount) },
    { name: "bucket availableCoreCount", nodes: byCores(bucket.availableCoreCount) },
    { name: "nodearray maxCount", nodes: Math.max(0, nodearray.maxCount - nodearrayActive) },
    { name: "nodearray maxCoreCount", nodes: byCores(nodearray.maxCoreCount - nodearrayActiveCores) },
    { name: "cluster maxCount", nodes: Math.max(0, status.maxCount) },
    { name: "cluster maxCoreCount", nodes: byCores(status.maxCoreCount) },
  ];
  if (spec.placementGroupId !== undefined) {
    const group = bucket.placementGroups.find((g) => g.name === spec.placementGroupId);
    limits.push({
      name: `placement group '${spec.placementGroupId}' size`,
      nodes: Math.max(0, bucket.maxPlacementGroupSize - (group?.activeCount ?? 0)),
    });
    if (bucket.maxPlacementGroupCoreSize !== undefined) {
      limits.push({
        name: `placement group '${spec.placementGroupId}' core size`,
        nodes: byCores(bucket.maxPlacementGroupCoreSize - (group?.activeCoreCount ?? 0)),
      });
    }
  }
  const binding = limits.reduce((min, limit) => (limit.nodes < min.nodes ? limit : min));
  return { fits: requested <= binding.nodes, requested, available: binding.nodes, binding, limits, bucket };
}

/** How many nodes of `spec` can be added now (0 when none can). */
export function maxNodesThatFit(status: ClusterStatus, spec: NodeSpec): number {
  return capacityFit(status, spec, 0).available;
}

/**
 * One line picturing a fit, e.g.
 * `hpc/ondemand Standard_Hc44rs: +4 requested, 11 available (binding: bucket availableCount) - fits`.
 */
export function describeFit(cluster: string, spec: NodeSpec, fit: CapacityFit): string {
  const type = fit.bucket?.definition.machineType ?? spec.machineType ?? "(first bucket)";
  const group = spec.placementGroupId ? ` in placement group '${spec.placementGroupId}'` : "";
  const where = `${cluster}/${spec.nodearray} ${type}${group}`;
  if (fit.problem !== undefined)
    return `${where}: +${fit.requested} requested, none can be added: ${fit.problem}`;
  const verdict = fit.fits ? "fits" : "does not fit";
  return `${where}: +${fit.requested} requested, ${fit.available} available (binding limit: ${fit.binding.name}) - ${verdict}`;
}

/**
 * The status as it would be after `nodes` more nodes of `spec` were added: the bucket's, nodearray's,
 * cluster's and placement group's counts updated; a negative `nodes` frees that many (a set that is
 * terminated before its replacement is created). Used to check several changes of one plan against
 * one status read. Pure: returns a new object.
 */
export function withAddedNodes(status: ClusterStatus, spec: NodeSpec, nodes: number): ClusterStatus {
  const bucket = findBucket(status, spec);
  if (!bucket || nodes === 0) return status;
  const cores = nodes * bucket.virtualMachine.vcpuCount;
  return {
    ...status,
    maxCount: status.maxCount - nodes,
    maxCoreCount: status.maxCoreCount - cores,
    nodearrays: status.nodearrays.map((nodearray) =>
      nodearray.name !== spec.nodearray
        ? nodearray
        : {
            ...nodearray,
            buckets: nodearray.buckets.map((b) => {
              if (b.bucketId !== bucket.bucketId) return b;
              const groups = [...b.placementGroups];
              if (spec.placementGroupId !== undefined) {
                const index = groups.findIndex((g) => g.name === spec.placementGroupId);
                const group = groups[index] ?? {
                  name: spec.placementGroupId,
                  activeCount: 0,
                  activeCoreCount: 0,
                };
                const grown = {
                  ...group,
                  activeCount: Math.max(0, group.activeCount + nodes),
                  activeCoreCount: Math.max(0, group.activeCoreCount + cores),
                };
                if (index >= 0) groups[index] = grown;
                else groups.push(grown);
              }
              return {
                ...b,
                activeCount: Math.max(0, b.activeCount + nodes),
                activeCoreCount: Math.max(0, b.activeCoreCount + cores),
                availableCount: b.availableCount - nodes,
                availableCoreCount: b.availableCoreCount - cores,
                placementGroups: groups,
              };
            }),
          },
    ),
  };
}
