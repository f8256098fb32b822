/**
 * Capacity accounting as pure functions of the configured limits and the live nodes (nothing here
 * mutates its inputs or does I/O): every limit is turned into "how many more nodes of this size
 * fit", and the smallest one binds.
 */
import { regionalQuota } from "./state";
import type { NodeObservation } from "./node-lifecycle";
import type { BucketState, ClusterState, LiveNode, NodearrayState, NodeState } from "./state";

/** One limit, expressed as the number of nodes of the size at hand that still fit under it. */
export interface Limit {
  /** Says which limit this is, as it appears in a partial-add message. */
  readonly description: string;
  readonly remaining: number;
}

/** A limit of `max` nodes, `used` taken; or with `vcpu`, of `max` cores for nodes of `vcpu` cores each. */
export function limitOf(description: string, max: number, used: number, vcpu = 1): Limit {
  return { description, remaining: Math.floor((max - used) / vcpu) };
}

export interface Fit {
  /** How many nodes fit under every limit (never negative). */
  readonly fit: number;
  /** The first limit that allows only `fit` nodes; undefined when there are no limits. */
  readonly binding: Limit | undefined;
}

/** The number of nodes that fit under all `limits` at once, and the limit that binds. */
export function fitUnder(limits: readonly Limit[]): Fit {
  const binding = limits.reduce<Limit | undefined>(
    (least, limit) => (least === undefined || limit.remaining < least.remaining ? limit : least),
    undefined,
  );
  return { fit: binding === undefined ? Number.MAX_SAFE_INTEGER : Math.max(0, binding.remaining), binding };
}

/** The `message` of a create set that added fewer nodes than asked. */
export function partialAddMessage(added: number, requested: number, reason: string): string {
  return `Added ${String(added)} of ${String(requested)} requested nodes: ${reason}`;
}

/** Which nodes count against limits and quota: the truth (create) or the status's optimistic view. */
export interface Accounting {
  readonly limits: (seen: NodeObservation) => boolean;
  readonly quota: (seen: NodeObservation) => boolean;
}

/** What create and start check: every VM that exists, terminating ones included. */
export const REAL: Accounting = {
  limits: (seen) => seen.holdsCapacity,
  quota: (seen) => !seen.gone && seen.status !== "Off",
};

/** What `availableCount` reports: terminating nodes are already treated as gone (CycleCloud's quirk). */
export const OPTIMISTIC: Accounting = {
  limits: (seen) => seen.reducesAvailability,
  quota: (seen) => !seen.gone && seen.status !== "Off" && seen.status !== "Terminating",
};

/** A nodearray node of `cluster` (head nodes count against quotas only, not the cluster's limits). */
function inCluster(cluster: ClusterState): (node: NodeState) => boolean {
  return (node) => node.cluster === cluster && !node.standalone;
}

function inBucketOf(bucket: BucketState): (node: NodeState) => boolean {
  return (node) => node.bucket === bucket;
}

/** Nodes and cores of the live nodes that match `where` and are counted by `counts`. */
export function tally(
  live: readonly LiveNode[],
  where: (node: NodeState) => boolean,
  counts: (seen: NodeObservation) => boolean,
): { count: number; cores: number } {
  let count = 0;
  let cores = 0;
  for (const { node, seen } of live) {
    if (where(node) && counts(seen)) {
      count += 1;
      cores += node.bucket.vcpuCount;
    }
  }
  return { count, cores };
}

/**
 * What may still be added to the cluster, as the status reports it: the configured totals minus
 * what live nodes use, with the optimistic view of terminating nodes.
 */
export function clusterRemaining(
  live: readonly LiveNode[],
  cluster: ClusterState,
): { maxCount: number; maxCoreCount: number } {
  const use = tally(live, inCluster(cluster), OPTIMISTIC.limits);
  return {
    maxCount: Math.max(0, cluster.maxCount - use.count),
    maxCoreCount: Math.max(0, cluster.maxCoreCount - use.cores),
  };
}

/** A bucket with its nodearray and cluster. */
export interface BucketAt {
  readonly cluster: ClusterState;
  readonly nodearray: NodearrayState;
  readonly bucket: BucketState;
}

/** Where a new node would go: its bucket (with nodearray and cluster) and placement group. */
export interface Placement extends BucketAt {
  readonly placementGroup: string | undefined;
}

/**
 * Every limit a new node at `placement` is subject to, as seen by `accounting`: the count and core
 * limits of its bucket, nodearray, cluster and placement group (`<scope> <field> of <max> reached`)
 * and its quota. `withQuota` false leaves out the quota (a deallocated node being started already
 * holds its quota).
 */
export function limitsAt(
  live: readonly LiveNode[],
  { cluster, nodearray, bucket, placementGroup }: Placement,
  accounting: Accounting,
  withQuota = true,
): Limit[] {
  const layer = (
    scope: string,
    holds: (node: NodeState) => boolean,
    [countField, maxCount, coreField, maxCores]: readonly [string, number, string, number],
  ): Limit[] => {
    const use = tally(live, holds, accounting.limits);
    return [
      limitOf(`${scope} ${countField} of ${String(maxCount)} reached`, maxCount, use.count),
      limitOf(`${scope} ${coreField} of ${String(maxCores)} reached`, maxCores, use.cores, bucket.vcpuCount),
    ];
  };
  const sized = (max: BucketState | NodearrayState | ClusterState) =>
    ["maxCount", max.maxCount, "maxCoreCount", max.maxCoreCount] as const;
  const inBucket = inBucketOf(bucket);
  const groupSize = [
    "maxPlacementGroupSize",
    bucket.maxPlacementGroupSize,
    "maxPlacementGroupCoreSize",
    bucket.maxPlacementGroupCoreSize,
  ] as const;
  return [
    ...layer(`nodearray ${nodearray.name} bucket ${bucket.machineType}`, inBucket, sized(bucket)),
    ...layer(`nodearray ${nodearray.name}`, (node) => node.nodearray === nodearray, sized(nodearray)),
    ...layer(`cluster ${cluster.name}`, inCluster(cluster), sized(cluster)),
    ...(withQuota ? quotaLimits(live, { cluster, nodearray, bucket }, accounting) : []),
    ...(placementGroup === undefined
      ? []
      : layer(
          `placement group ${placementGroup}`,
          (node) => inBucket(node) && node.placementGroupId === placementGroup,
          groupSize,
        )),
  ];
}

/** How many new nodes fit at `placement` under every limit, and the limit that binds. */
export function fitAt(
  live: readonly LiveNode[],
  placement: Placement,
  accounting: Accounting,
  withQuota = true,
): Fit {
  return fitUnder(limitsAt(live, placement, accounting, withQuota));
}

/**
 * The bucket a set without `definition` goes to: the first valid bucket where all of it fits,
 * else the valid bucket where most of it fits (the first of equals). `wanted` is the set's size
 * in nodes of a bucket.
 */
export function chooseBucket(
  live: readonly LiveNode[],
  { cluster, nodearray, placementGroup }: Omit<Placement, "bucket">,
  wanted: (bucket: BucketState) => number,
): { bucket: BucketState; count: number } | undefined {
  let best: { bucket: BucketState; count: number; fit: number } | undefined;
  for (const bucket of nodearray.buckets) {
    if (!bucket.valid) continue;
    const count = wanted(bucket);
    const { fit } = fitAt(live, { cluster, nodearray, bucket, placementGroup }, REAL);
    if (fit >= count) return { bucket, count };
    if (best === undefined || fit > best.fit) best = { bucket, count, fit };
  }
  return best === undefined ? undefined : { bucket: best.bucket, count: best.count };
}

/** A quota in cores, and the cores consumed of it. */
interface QuotaUse {
  readonly quota: number;
  readonly consumed: number;
}

/** Cores the cluster's live nodes of the nodearray's region (spot or regular) use, plus what is used outside. */
function regionUse(
  live: readonly LiveNode[],
  { cluster, nodearray: { region, spot } }: BucketAt,
  counts: (seen: NodeObservation) => boolean,
): QuotaUse {
  const configured = regionalQuota(cluster.quotas, region);
  const used = tally(
    live,
    (node) => node.cluster === cluster && node.nodearray.region === region && node.nodearray.spot === spot,
    counts,
  ).cores;
  return spot
    ? { quota: configured.spotCoreCount, consumed: configured.spotConsumedCoreCount + used }
    : { quota: configured.coreCount, consumed: configured.consumedCoreCount + used };
}

/** Cores of `bucket`'s family: its quota and what is consumed (by the cluster and outside it). */
function familyUse(
  live: readonly LiveNode[],
  { cluster, bucket }: BucketAt,
  counts: (seen: NodeObservation) => boolean,
): QuotaUse {
  const family = bucket.family;
  const configured = family === undefined ? undefined : cluster.quotas.families[family];
  if (family === undefined || configured === undefined) {
    const used = tally(live, inBucketOf(bucket), counts).cores;
    return { quota: bucket.quotaCoreCount, consumed: bucket.consumedCoreCount + used };
  }
  const used = tally(
    live,
    (node) => node.cluster === cluster && !node.nodearray.spot && node.bucket.family === family,
    counts,
  ).cores;
  return { quota: configured.coreCount, consumed: configured.consumedCoreCount + used };
}

/**
 * The quota fields of the status for `bucket`, as seen by `accounting`. A regular bucket: its family's quota
 * (the configured family, or the bucket alone with its own `quotaCount`/`quotaCoreCount`), its
 * region's quota, and the combined quota (`quotaCoreCount`: what the family may run, cut to what
 * the region still leaves; `consumedCoreCount` the family's use). A spot bucket (Interruptible
 * nodearray): family fields 0, the regional fields carry the region's spot quota, and so does the
 * combined quota (as scalelib's `_SpotLimit` describes real servers).
 */
export function quotaView(live: readonly LiveNode[], at: BucketAt, accounting: Accounting) {
  const { nodearray, bucket } = at;
  const vcpu = bucket.vcpuCount;
  const region = regionUse(live, at, accounting.quota);
  const regional = {
    regionalQuotaCount: Math.floor(region.quota / vcpu),
    regionalQuotaCoreCount: region.quota,
    regionalConsumedCoreCount: region.consumed,
  };
  if (nodearray.spot) {
    return {
      quotaCount: regional.regionalQuotaCount,
      quotaCoreCount: region.quota,
      consumedCoreCount: region.consumed,
      familyQuotaCount: 0,
      familyQuotaCoreCount: 0,
      familyConsumedCoreCount: 0,
      ...regional,
    };
  }
  const family = familyUse(live, at, accounting.quota);
  const ownFamily = bucket.family === undefined;
  const quotaCoreCount = Math.min(
    family.quota,
    family.consumed + Math.max(0, region.quota - region.consumed),
  );
  return {
    quotaCount: ownFamily ? bucket.quotaCount : Math.floor(quotaCoreCount / vcpu),
    quotaCoreCount,
    consumedCoreCount: family.consumed,
    familyQuotaCount: ownFamily ? bucket.quotaCount : Math.floor(family.quota / vcpu),
    familyQuotaCoreCount: family.quota,
    familyConsumedCoreCount: family.consumed,
    ...regional,
  };
}

/** The quota limits a new node of `bucket` is subject to: family (or the bucket's own) and region, or spot. */
export function quotaLimits(live: readonly LiveNode[], at: BucketAt, accounting: Accounting): Limit[] {
  const { nodearray, bucket } = at;
  const vcpu = bucket.vcpuCount;
  const cores = (description: string, use: QuotaUse): Limit =>
    limitOf(`${description} of ${String(use.quota)} cores reached`, use.quota, use.consumed, vcpu);
  const region = regionUse(live, at, accounting.quota);
  if (nodearray.spot) return [cores(`region ${nodearray.region} spot quota`, region)];
  const family = familyUse(live, at, accounting.quota);
  const regional = cores(`region ${nodearray.region} quota`, region);
  if (bucket.family !== undefined) return [cores(`family ${bucket.family} quota`, family), regional];
  const own = tally(live, inBucketOf(bucket), accounting.quota);
  const type = bucket.machineType;
  return [
    limitOf(`${type} quotaCount of ${String(bucket.quotaCount)} reached`, bucket.quotaCount, own.count),
    limitOf(
      `${type} quotaCoreCount of ${String(bucket.quotaCoreCount)} reached`,
      family.quota,
      family.consumed,
      vcpu,
    ),
    regional,
  ];
}
