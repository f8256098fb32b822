/** A cluster status with a plan's earlier changes applied: a plan's changes checked on one read. */
import { findBucket, findNodearray } from "../../wire/bucket-lookup";
import type { NodeSpec } from "./capacity-fit";
import { quotaPlace } from "./quota-layers";
import type { Bucket, ClusterStatus, NodearrayStatus } from "../../wire/schemas";

type ConsumedField = "regionalConsumedCoreCount" | "familyConsumedCoreCount" | "consumedCoreCount";

/** A bucket of a planned status: what other sets of the plan took from its quota fields. */
interface PlannedBucket extends Bucket {
  plannedCores?: Partial<Record<keyof Bucket, number>>;
}

/** A planned status: the cluster nodes and cores other sets of the plan already took. */
interface PlannedStatus extends ClusterStatus {
  planned?: { nodes: number; cores: number };
}

/** The buckets' active nodes or cores, summed. */
export function sumOf(buckets: readonly Bucket[], field: "activeCount" | "activeCoreCount"): number {
  return buckets.reduce((sum, b) => sum + b[field], 0);
}

/** Cluster nodes and cores other sets of the plan took from `status` (none for a status as read). */
export function plannedClusterNodes(status: ClusterStatus): { nodes: number; cores: number } {
  return (status as PlannedStatus).planned ?? { nodes: 0, cores: 0 };
}

/** Cores other sets of the plan took from one quota field of `bucket` (0 for a bucket as read, or another field). */
export function plannedCores(bucket: Bucket, field: keyof Bucket): number {
  return (bucket as PlannedBucket).plannedCores?.[field] ?? 0;
}

/**
 * The status as it would be after `nodes` more nodes of `spec` were added: the bucket's, nodearray's,
 * cluster's and placement group's counts updated, and the shared quota layers of every bucket that
 * draws from the same quota (family quota: buckets of the same Azure VM family, region and spot-ness;
 * regional quota: buckets of the same region and spot-ness) charged with the cores. A negative
 * `nodes` frees that many (a set that is terminated before its replacement is created). Pure.
 */
export function withAddedNodes(status: ClusterStatus, spec: NodeSpec, nodes: number): ClusterStatus {
  const bucket = findBucket(status, spec);
  const home = findNodearray(status, spec.nodearray);
  if (!bucket || !home || nodes === 0) return status;
  const cores = nodes * bucket.virtualMachine.vcpuCount;
  const place = quotaPlace(home, bucket);
  const charged = (nodearray: NodearrayStatus, b: Bucket): Bucket => {
    const other = quotaPlace(nodearray, b);
    if (other.spot !== place.spot || other.region !== place.region) return b;
    // A bucket is of its own family even when its VM size is unknown (no `definition`).
    const itself = nodearray.name === spec.nodearray && b.bucketId === bucket.bucketId;
    const sameFamily = itself || (other.familyKey !== undefined && other.familyKey === place.familyKey);
    const next: PlannedBucket = { ...b };
    const set = (field: ConsumedField) => {
      const value = b[field];
      if (value === undefined) return;
      next[field] = value + cores;
      next.plannedCores = { ...next.plannedCores, [field]: plannedCores(b, field) + cores };
    };
    set("regionalConsumedCoreCount");
    if (sameFamily) {
      set("familyConsumedCoreCount");
      set("consumedCoreCount");
    }
    return next;
  };
  /** Active counts grown by the nodes and cores (never below zero). */
  const grow = <T extends { activeCount: number; activeCoreCount: number }>(counts: T): T => ({
    ...counts,
    activeCount: Math.max(0, counts.activeCount + nodes),
    activeCoreCount: Math.max(0, counts.activeCoreCount + cores),
  });
  const before = plannedClusterNodes(status);
  const next: PlannedStatus = {
    ...status,
    maxCount: status.maxCount - nodes,
    maxCoreCount: status.maxCoreCount - cores,
    nodearrays: status.nodearrays.map((nodearray) => ({
      ...nodearray,
      buckets: nodearray.buckets.map((b) => {
        const quota = charged(nodearray, b);
        if (nodearray.name !== spec.nodearray || b.bucketId !== bucket.bucketId) return quota;
        const groups = [...b.placementGroups];
        const name = spec.placementGroupId;
        if (name !== undefined) {
          const index = groups.findIndex((g) => g.name === name);
          const grown = grow(groups[index] ?? { name, activeCount: 0, activeCoreCount: 0 });
          if (index >= 0) groups[index] = grown;
          else groups.push(grown);
        }
        return {
          ...grow(quota),
          availableCount: b.availableCount - nodes,
          availableCoreCount: b.availableCoreCount - cores,
          placementGroups: groups,
        };
      }),
    })),
    planned: { nodes: before.nodes + nodes, cores: before.cores + cores },
  };
  return next;
}

/**
 * How many more nodes the nodearray's `maxCount` and `maxCoreCount` leave room for (its buckets'
 * active nodes and cores counted), and the limit that binds; undefined when the status does not
 * know the nodearray (CycleCloud will say so on create).
 */
export function nodearrayRoom(
  status: ClusterStatus,
  spec: { nodearray: string; machineType?: string | undefined },
): { room: number; limit: string } | undefined {
  const nodearray = findNodearray(status, spec.nodearray);
  if (!nodearray) return undefined;
  const byCount = nodearray.maxCount - sumOf(nodearray.buckets, "activeCount");
  const vcpus = findBucket(status, spec)?.virtualMachine.vcpuCount ?? 0;
  const freeCores = nodearray.maxCoreCount - sumOf(nodearray.buckets, "activeCoreCount");
  const byCores = vcpus > 0 ? Math.floor(freeCores / vcpus) : byCount;
  return byCores < byCount
    ? { room: Math.max(0, byCores), limit: `nodearray maxCoreCount ${nodearray.maxCoreCount}` }
    : { room: Math.max(0, byCount), limit: `nodearray maxCount ${nodearray.maxCount}` };
}
