/** Which nodearray and bucket a set of nodes lands in, and a bucket's VM size. */
import type { Bucket, ClusterStatus, NodearrayStatus } from "./schemas";

export function findNodearray(status: ClusterStatus, nodearray: string): NodearrayStatus | undefined {
  return status.nodearrays.find((n) => n.name === nodearray);
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
  // The sizes the nodearray record's `MachineType` names (a string, comma-separated, or a list).
  const value = nodearray.nodearray?.["MachineType"];
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  const named = items.flatMap((item) =>
    typeof item === "string" && item.trim() !== "" ? [item.trim()] : [],
  );
  const only = named.length === 1 ? named[0] : undefined;
  if (only === undefined) return undefined;
  const claimed = nodearray.buckets.some((b) => b !== bucket && b.definition?.machineType === only);
  return claimed ? undefined : only;
}

/**
 * The bucket a spec lands in: the one of its machine type, or else the nodearray's first valid
 * bucket. Undefined when the nodearray or machine type is unknown.
 */
export function findBucket(
  status: ClusterStatus,
  spec: { nodearray: string; machineType?: string | undefined },
): Bucket | undefined {
  const nodearray = findNodearray(status, spec.nodearray);
  if (!nodearray) return undefined;
  if (spec.machineType !== undefined) {
    return nodearray.buckets.find((b) => bucketMachineType(nodearray, b) === spec.machineType);
  }
  return nodearray.buckets.find((b) => b.valid) ?? nodearray.buckets[0];
}
