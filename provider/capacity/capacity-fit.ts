/**
 * Whether more nodes of a spec (`NodeSpec`) fit a cluster (`CapacityFit`): every limit layer (bucket
 * count and cores, placement group, nodearray, cluster, quotas), the one that binds, and the one-line
 * message picturing it. The server's names (nodearrays, machine types, a bucket's `invalidReason`) go into messages
 * sanitized ({@link plainText}).
 */
import { bucketMachineType, findBucket, findNodearray } from "../../wire/bucket-lookup";
import { plannedClusterNodes, sumOf } from "./planned-status";
import { quotaLimits } from "./quota-layers";
import type { Bucket, ClusterStatus } from "../../wire/schemas";
import { MAX_NAME_LENGTH, plainText } from "../../wire/util/server-text";

/** What a set of nodes asks of a cluster. */
export interface NodeSpec {
  nodearray: string;
  /** Without it, the nodearray's first valid bucket (the one CycleCloud would pick) is used. */
  machineType?: string | undefined;
  placementGroupId?: string | undefined;
}

/** One limit on how many more nodes of a spec the cluster can take. */
export interface CapacityLimit {
  /** e.g. "bucket availableCount", "nodearray maxCoreCount", "family quota standardHCSFamily". */
  name: string;
  /** Nodes of this spec the limit still admits. */
  nodes: number;
  /** Quota layers: the cores free now and after `nodes` more, e.g. "352 of 880 cores free, 0 free after 8 nodes". */
  detail?: string;
  /** Quota layers: what raises the limit, naming the wire fields it was read from. */
  fix?: string;
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
      /** The bucket's VM size (from its `definition`, or the nodearray's `MachineType`). */
      machineType?: string;
      /**
       * What the check notices without refusing: a placement group on a size without InfiniBand,
       * a plan that fits only if the cluster's `maxCount` is what remains.
       */
      warnings: string[];
      problem?: undefined;
      problemField?: undefined;
    }
  | {
      fits: false;
      requested: number;
      available: 0;
      /** Why no node of this spec can be added at all (no such nodearray or bucket, invalid bucket). */
      problem: string;
      /** The input the problem is about. */
      problemField: "nodearray" | "machineType" | "placementGroupId";
      bucket?: Bucket;
      binding?: undefined;
      limits?: undefined;
      warnings?: undefined;
      machineType?: undefined;
    };

/** A name the server sent, as messages show it. */
const shown = (name: string): string => plainText(name, MAX_NAME_LENGTH);

/** Whether `requested` more nodes of `spec` fit the cluster now, and which limit binds. */
export function capacityFit(status: ClusterStatus, spec: NodeSpec, requested: number): CapacityFit {
  // A spec no bucket can take: nothing fits, for the reason given.
  const refuse = (
    problemField: "nodearray" | "machineType",
    problem: string,
    bucket?: Bucket,
  ): CapacityFit => ({
    fits: false,
    requested,
    available: 0,
    ...(bucket === undefined ? {} : { bucket }),
    problemField,
    problem,
  });
  const nodearray = findNodearray(status, spec.nodearray);
  if (!nodearray) {
    const names = status.nodearrays.map((n) => shown(n.name)).join(", ") || "none";
    return refuse("nodearray", `nodearray '${spec.nodearray}' does not exist (nodearrays: ${names})`);
  }
  const bucket = findBucket(status, spec);
  if (!bucket) {
    const type = (b: Bucket) => bucketMachineType(nodearray, b);
    const types =
      nodearray.buckets.map((b) => shown(type(b) ?? "(a bucket without definition)")).join(", ") || "none";
    return spec.machineType
      ? refuse(
          "machineType",
          `machine type '${spec.machineType}' is not offered by nodearray '${spec.nodearray}' (machine types: ${types})`,
        )
      : refuse("nodearray", `nodearray '${spec.nodearray}' has no bucket`);
  }
  const machineType = bucketMachineType(nodearray, bucket) ?? spec.machineType;
  const shownType = shown(machineType ?? bucket.bucketId);
  if (!bucket.valid) {
    return refuse(
      spec.machineType ? "machineType" : "nodearray",
      `bucket ${shownType} of nodearray '${spec.nodearray}' is not valid (${bucket.invalidReason === undefined ? "no reason given" : plainText(bucket.invalidReason)}): it only describes existing nodes`,
      bucket,
    );
  }
  const warnings: string[] = [];
  if (spec.placementGroupId !== undefined && !bucket.virtualMachine.infiniband) {
    // No CycleCloud document restricts placement groups to InfiniBand sizes (they are required
    // *for* InfiniBand; scalelib makes them for any HPC bucket): CycleCloud accepts it.
    warnings.push(
      `\`placementGroupId\` '${spec.placementGroupId}' on ${machineType === undefined ? "a size" : shown(machineType)}, which has no InfiniBand: ` +
        "CycleCloud accepts it and keeps the nodes in one placement group (placement groups are required for InfiniBand, not restricted to it)",
    );
  }

  const cores = Math.max(1, bucket.virtualMachine.vcpuCount);
  const byCores = (coreCount: number) => Math.floor(Math.max(0, coreCount) / cores);
  const availableLimit = { name: "bucket availableCount", nodes: Math.max(0, bucket.availableCount) };
  const nodearrayActive = sumOf(nodearray.buckets, "activeCount");
  const nodearrayActiveCores = sumOf(nodearray.buckets, "activeCoreCount");
  const limits: CapacityLimit[] = [
    availableLimit,
    { name: "bucket availableCoreCount", nodes: byCores(bucket.availableCoreCount) },
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
  limits.push(
    { name: "nodearray maxCount", nodes: Math.max(0, nodearray.maxCount - nodearrayActive) },
    { name: "nodearray maxCoreCount", nodes: byCores(nodearray.maxCoreCount - nodearrayActiveCores) },
    // What remains, as the reference reads it (so nothing CycleCloud accepts is refused); scalelib
    // reads it as a total: see the warning below.
    { name: "cluster maxCount", nodes: Math.max(0, status.maxCount) },
    { name: "cluster maxCoreCount", nodes: byCores(status.maxCoreCount) },
  );
  limits.push(...quotaLimits(nodearray, bucket, shownType, cores));

  const smallest = Math.min(...limits.map((l) => l.nodes));
  // availableCount is derived from every layer, so it ties with the layer behind it: name that
  // layer, unless the bucket's own maxCount explains the number (or no other layer does).
  const bucketHeadroom = Math.min(
    bucket.maxCount - bucket.activeCount,
    byCores(bucket.maxCoreCount - bucket.activeCoreCount),
  );
  const tied = limits.filter((l) => l.nodes === smallest);
  const binding =
    (bucketHeadroom > smallest ? tied.find((l) => !l.name.startsWith("bucket ")) : undefined) ??
    tied[0] ??
    availableLimit;

  // Tolerance of the other reading of the cluster's maxCount (a total, as scalelib reads it): if
  // the plan fits only because maxCount is what remains, say so rather than refuse.
  const planned = plannedClusterNodes(status);
  const buckets = status.nodearrays.flatMap((n) => n.buckets);
  const clusterActive = sumOf(buckets, "activeCount");
  const clusterActiveCores = sumOf(buckets, "activeCoreCount");
  const asTotal = Math.min(
    status.maxCount + planned.nodes - clusterActive,
    byCores(status.maxCoreCount + planned.cores - clusterActiveCores),
  );
  if (requested > 0 && requested <= binding.nodes && requested > Math.max(0, asTotal)) {
    warnings.push(
      `cluster maxCount ${status.maxCount + planned.nodes} / maxCoreCount ${status.maxCoreCount + planned.cores} ` +
        `are read as what can still be added (the API reference); a server that meant them as totals ` +
        `(${clusterActive} nodes, ${clusterActiveCores} cores active) would take only ${Math.max(0, asTotal)} more`,
    );
  }
  return {
    fits: requested <= binding.nodes,
    requested,
    available: binding.nodes,
    binding,
    limits,
    bucket,
    warnings,
    ...(machineType === undefined ? {} : { machineType }),
  };
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
  const machineType = fit.machineType ?? fit.bucket?.definition?.machineType ?? spec.machineType;
  const type = machineType === undefined ? "(first bucket)" : shown(machineType);
  const group = spec.placementGroupId ? ` in placement group '${spec.placementGroupId}'` : "";
  const where = `${cluster}/${spec.nodearray} ${type}${group}`;
  if (fit.problem !== undefined)
    return `${where}: +${fit.requested} requested, none can be added: ${fit.problem}`;
  const verdict = fit.fits ? "fits" : "does not fit";
  const detail = fit.binding.detail === undefined ? "" : `, ${fit.binding.detail}`;
  return `${where}: +${fit.requested} requested, ${fit.available} available (binding limit: ${fit.binding.name}${detail}) - ${verdict}`;
}
