import type { Bucket, ClusterStatus, NodearrayStatus } from "./schemas";
import { azureQuotaFamilyOf, quotaFamilyLabel } from "./util/vm-family";

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

export function findNodearray(status: ClusterStatus, nodearray: string): NodearrayStatus | undefined {
  return status.nodearrays.find((n) => n.name === nodearray);
}

/** The sizes a nodearray record's `MachineType` names (a string, comma-separated, or a list). */
function nodearrayMachineTypes(nodearray: NodearrayStatus): string[] {
  const value = nodearray.nodearray?.["MachineType"];
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return items.flatMap((item) => (typeof item === "string" && item.trim() !== "" ? [item.trim()] : []));
}

/**
 * A bucket's VM size. The 8.x reference makes a bucket's `definition` optional: without it, the
 * size is the nodearray record's `MachineType` when that names exactly one size no other bucket
 * of the nodearray claims; otherwise undefined, and the bucket cannot be matched by machine type
 * (it is skipped when a set names one, and still used as CycleCloud's first valid bucket when the
 * set names none).
 */
export function bucketMachineType(nodearray: NodearrayStatus, bucket: Bucket): string | undefined {
  if (bucket.definition !== undefined) return bucket.definition.machineType;
  const named = nodearrayMachineTypes(nodearray);
  const only = named.length === 1 ? named[0] : undefined;
  if (only === undefined) return undefined;
  const claimed = nodearray.buckets.some((b) => b !== bucket && b.definition?.machineType === only);
  return claimed ? undefined : only;
}

/**
 * The bucket a spec lands in: the one of its machine type, or else the nodearray's first valid
 * bucket. Undefined when the nodearray or machine type is unknown.
 */
export function findBucket(status: ClusterStatus, spec: NodeSpec): Bucket | undefined {
  const nodearray = findNodearray(status, spec.nodearray);
  if (!nodearray) return undefined;
  if (spec.machineType !== undefined) {
    return nodearray.buckets.find((b) => bucketMachineType(nodearray, b) === spec.machineType);
  }
  return nodearray.buckets.find((b) => b.valid) ?? nodearray.buckets[0];
}

/** Where a bucket draws quota from: its region, its VM family, and whether it is spot. */
interface QuotaPlace {
  spot: boolean;
  region: string | undefined;
  /** Azure's family name, or the machine type itself when unknown (never shared by mistake). */
  familyKey: string | undefined;
}

function quotaPlace(nodearray: NodearrayStatus, bucket: Bucket): QuotaPlace {
  const record = nodearray.nodearray ?? {};
  const region = record["Region"];
  const machineType = bucketMachineType(nodearray, bucket);
  return {
    spot: record["Interruptible"] === true,
    region: typeof region === "string" && region !== "" ? region : undefined,
    familyKey: machineType === undefined ? undefined : (azureQuotaFamilyOf(machineType) ?? machineType),
  };
}

/**
 * The quota layers of a bucket, each only when the server sends its fields (the reference makes
 * the family and regional fields optional: absent = not checked). The family and regional quotas
 * are the subscription's, shared by every bucket of the family / region (see {@link withAddedNodes}).
 * A spot (`Interruptible`) nodearray's buckets report the family fields as 0 and carry the
 * regional spot quota in the regional fields (scalelib's reading): the family layer is skipped,
 * the regional one is named "spot quota", and a zero combined quota is skipped.
 */
function quotaLimits(
  nodearray: NodearrayStatus,
  bucket: Bucket,
  machineType: string,
  cores: number,
): CapacityLimit[] {
  const { spot, region } = quotaPlace(nodearray, bucket);
  const where = region ?? "the cluster's region";
  const family = quotaFamilyLabel(machineType);
  const limits: CapacityLimit[] = [];
  const layer = (
    name: string,
    count: { field: string; value: number | undefined },
    total: { field: string; value: number | undefined },
    consumed: { field: string; value: number | undefined },
    raise: string,
  ) => {
    const fields = (...parts: { field: string; value: number | undefined }[]) =>
      parts.flatMap((p) => (p.value === undefined ? [] : [`${p.field} ${p.value}`])).join(", ");
    if (total.value !== undefined) {
      const free = total.value - (consumed.value ?? 0);
      const nodes = Math.floor(Math.max(0, free) / cores);
      limits.push({
        name,
        nodes,
        detail: `${free} of ${total.value} cores free, ${free - nodes * cores} free after ${nodes} nodes`,
        fix: `${raise} (${fields(total, consumed)}; Azure portal > Quotas > Compute)`,
      });
    }
    if (count.value !== undefined) {
      limits.push({
        name: `${name} (${count.field})`,
        nodes: Math.max(0, count.value),
        fix: `${raise} (${fields(count)}; Azure portal > Quotas > Compute)`,
      });
    }
  };
  const get = (field: keyof Bucket) => ({ field, value: bucket[field] as number | undefined });
  if (!spot) {
    layer(
      `family quota ${family}`,
      get("familyQuotaCount"),
      get("familyQuotaCoreCount"),
      get("familyConsumedCoreCount"),
      `raise the subscription's ${family} vCPU quota in ${where}`,
    );
  }
  layer(
    spot ? `spot quota${region ? ` ${region}` : ""}` : `regional quota${region ? ` ${region}` : ""}`,
    get("regionalQuotaCount"),
    get("regionalQuotaCoreCount"),
    get("regionalConsumedCoreCount"),
    spot
      ? `raise the subscription's Spot vCPU quota ("Total Regional Spot vCPUs") in ${where}`
      : `raise the subscription's "Total Regional vCPUs" quota in ${where}`,
  );
  if (!(spot && (bucket.quotaCoreCount ?? 0) === 0)) {
    layer(
      `combined quota ${family}`,
      get("quotaCount"),
      get("quotaCoreCount"),
      get("consumedCoreCount"),
      `raise the subscription's ${family} or regional vCPU quota in ${where}`,
    );
  }
  return limits;
}

/** Cluster nodes other sets of the plan already took from a status (see {@link withAddedNodes}). */
const plannedClusterNodes = new WeakMap<ClusterStatus, { nodes: number; cores: number }>();

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
    const types =
      nodearray.buckets
        .map((b) => bucketMachineType(nodearray, b) ?? "(a bucket without definition)")
        .join(", ") || "none";
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
  const machineType = bucketMachineType(nodearray, bucket) ?? spec.machineType;
  if (!bucket.valid) {
    return {
      fits: false,
      requested,
      available: 0,
      bucket,
      problemField: spec.machineType ? "machineType" : "nodearray",
      problem: `bucket ${machineType ?? bucket.bucketId} of nodearray '${spec.nodearray}' is not valid (${bucket.invalidReason ?? "no reason given"}): it only describes existing nodes`,
    };
  }
  const warnings: string[] = [];
  if (spec.placementGroupId !== undefined && !bucket.virtualMachine.infiniband) {
    // No CycleCloud document restricts placement groups to InfiniBand sizes (they are required
    // *for* InfiniBand; scalelib makes them for any HPC bucket): CycleCloud accepts it.
    warnings.push(
      `\`placementGroupId\` '${spec.placementGroupId}' on ${machineType ?? "a size"}, which has no InfiniBand: ` +
        "CycleCloud accepts it and keeps the nodes in one placement group (placement groups are required for InfiniBand, not restricted to it)",
    );
  }

  const cores = Math.max(1, bucket.virtualMachine.vcpuCount);
  const byCores = (coreCount: number) => Math.floor(Math.max(0, coreCount) / cores);
  const availableLimit: CapacityLimit = {
    name: "bucket availableCount",
    nodes: Math.max(0, bucket.availableCount),
  };
  const nodearrayActive = nodearray.buckets.reduce((sum, b) => sum + b.activeCount, 0);
  const nodearrayActiveCores = nodearray.buckets.reduce((sum, b) => sum + b.activeCoreCount, 0);
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
    // The reference: "the maximum number of nodes [cores] that you can add to this cluster", i.e.
    // what remains, which is how it is read here (so nothing CycleCloud accepts is refused).
    // scalelib reads it as a total; see the warning below.
    { name: "cluster maxCount", nodes: Math.max(0, status.maxCount) },
    { name: "cluster maxCoreCount", nodes: byCores(status.maxCoreCount) },
  );
  limits.push(...quotaLimits(nodearray, bucket, machineType ?? bucket.bucketId, cores));

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
  const planned = plannedClusterNodes.get(status) ?? { nodes: 0, cores: 0 };
  const clusterActive = status.nodearrays.reduce(
    (sum, n) => sum + n.buckets.reduce((s, b) => s + b.activeCount, 0),
    0,
  );
  const clusterActiveCores = status.nodearrays.reduce(
    (sum, n) => sum + n.buckets.reduce((s, b) => s + b.activeCoreCount, 0),
    0,
  );
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
  const type = fit.machineType ?? fit.bucket?.definition?.machineType ?? spec.machineType ?? "(first bucket)";
  const group = spec.placementGroupId ? ` in placement group '${spec.placementGroupId}'` : "";
  const where = `${cluster}/${spec.nodearray} ${type}${group}`;
  if (fit.problem !== undefined)
    return `${where}: +${fit.requested} requested, none can be added: ${fit.problem}`;
  const verdict = fit.fits ? "fits" : "does not fit";
  const detail = fit.binding.detail === undefined ? "" : `, ${fit.binding.detail}`;
  return `${where}: +${fit.requested} requested, ${fit.available} available (binding limit: ${fit.binding.name}${detail}) - ${verdict}`;
}

/**
 * The status as it would be after `nodes` more nodes of `spec` were added: the bucket's, nodearray's,
 * cluster's and placement group's counts updated, and the shared quota layers of every bucket that
 * draws from the same quota (family quota: buckets of the same Azure VM family, region and spot-ness;
 * regional quota: buckets of the same region and spot-ness) charged with the cores. A negative
 * `nodes` frees that many (a set that is terminated before its replacement is created). Used to
 * check several changes of one plan against one status read. Pure: returns a new object.
 */
export function withAddedNodes(status: ClusterStatus, spec: NodeSpec, nodes: number): ClusterStatus {
  const bucket = findBucket(status, spec);
  const home = findNodearray(status, spec.nodearray);
  if (!bucket || !home || nodes === 0) return status;
  const cores = nodes * bucket.virtualMachine.vcpuCount;
  const place = quotaPlace(home, bucket);
  const plus = (value: number | undefined) => (value === undefined ? undefined : value + cores);
  const charged = (nodearray: NodearrayStatus, b: Bucket): Bucket => {
    const other = quotaPlace(nodearray, b);
    if (other.spot !== place.spot || other.region !== place.region) return b;
    const sameFamily = other.familyKey !== undefined && other.familyKey === place.familyKey;
    const next: Bucket = { ...b };
    const set = (field: "regionalConsumedCoreCount" | "familyConsumedCoreCount" | "consumedCoreCount") => {
      const value = plus(b[field]);
      if (value !== undefined) next[field] = value;
    };
    set("regionalConsumedCoreCount");
    if (sameFamily) {
      set("familyConsumedCoreCount");
      set("consumedCoreCount");
    }
    return next;
  };
  const next: ClusterStatus = {
    ...status,
    maxCount: status.maxCount - nodes,
    maxCoreCount: status.maxCoreCount - cores,
    nodearrays: status.nodearrays.map((nodearray) => ({
      ...nodearray,
      buckets: nodearray.buckets.map((b) => {
        const quota = charged(nodearray, b);
        if (nodearray.name !== spec.nodearray || b.bucketId !== bucket.bucketId) return quota;
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
          ...quota,
          activeCount: Math.max(0, b.activeCount + nodes),
          activeCoreCount: Math.max(0, b.activeCoreCount + cores),
          availableCount: b.availableCount - nodes,
          availableCoreCount: b.availableCoreCount - cores,
          placementGroups: groups,
        };
      }),
    })),
  };
  const before = plannedClusterNodes.get(status) ?? { nodes: 0, cores: 0 };
  plannedClusterNodes.set(next, { nodes: before.nodes + nodes, cores: before.cores + cores });
  return next;
}

/** Whether two specs draw from the same family quota (same VM family, region and spot-ness). */
export function sharesFamilyQuota(status: ClusterStatus, a: NodeSpec, b: NodeSpec): boolean {
  const placeOf = (spec: NodeSpec) => {
    const nodearray = findNodearray(status, spec.nodearray);
    const bucket = findBucket(status, spec);
    return nodearray && bucket ? quotaPlace(nodearray, bucket) : undefined;
  };
  const pa = placeOf(a);
  const pb = placeOf(b);
  return (
    pa !== undefined &&
    pb !== undefined &&
    pa.familyKey !== undefined &&
    pa.familyKey === pb.familyKey &&
    pa.region === pb.region &&
    pa.spot === pb.spot
  );
}
