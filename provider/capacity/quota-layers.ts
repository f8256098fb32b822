/** A bucket's subscription quota layers (family, regional, combined, spot) and where it draws from. */
import { MAX_NAME_LENGTH, plainText } from "../../wire/util/server-text";
import { bucketMachineType, findBucket, findNodearray } from "../../wire/bucket-lookup";
import type { CapacityLimit, NodeSpec } from "./capacity-fit";
import { plannedCores } from "./planned-status";
import type { Bucket, ClusterStatus, NodearrayStatus } from "../../wire/schemas";
import { azureQuotaFamilyOf } from "../../wire/util/vm-family";

/**
 * Where a bucket draws quota from: its region, whether it is spot, and its VM family (`familyKey`:
 * Azure's family name, or the machine type itself when unknown, never shared by mistake).
 */
export function quotaPlace(nodearray: NodearrayStatus, bucket: Bucket) {
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
 * the family and regional fields optional: absent = not checked). A spot (`Interruptible`)
 * nodearray's buckets report the family fields as 0 and carry the regional spot quota in the
 * regional fields (scalelib's reading): the family layer is skipped, the regional one is named
 * "spot quota", and a zero combined quota is skipped.
 */
export function quotaLimits(
  nodearray: NodearrayStatus,
  bucket: Bucket,
  machineType: string,
  cores: number,
): CapacityLimit[] {
  const { spot, region } = quotaPlace(nodearray, bucket);
  // The region is the server's text: sanitized for the messages it goes in.
  const where = region === undefined ? "the cluster's region" : plainText(region, MAX_NAME_LENGTH);
  const family = azureQuotaFamilyOf(machineType) ?? `(the VM family of ${machineType})`;
  const limits: CapacityLimit[] = [];
  type QuotaField = keyof Bucket & `${string}Count`;
  const valueOf = (field: QuotaField) => bucket[field] as number | undefined;
  /** One quota layer from its fields (node count limit, core limit, cores consumed) and its fix. */
  const layer = (
    name: string,
    [count, total, consumed]: [QuotaField, QuotaField, QuotaField],
    raise: string,
  ) => {
    // The numbers the server sent; cores other sets of this plan take are shown apart.
    const fix = (...fields: QuotaField[]) => {
      const numbers = fields.flatMap((field) => {
        const value = valueOf(field);
        const planned = plannedCores(bucket, field);
        if (value === undefined) return [];
        return [
          planned === 0
            ? `${field} ${value}`
            : `${field} ${value - planned} + ${planned} planned for other sets of this plan`,
        ];
      });
      return `${raise} (${numbers.join(", ")}; Azure portal > Quotas > Compute)`;
    };
    const totalCores = valueOf(total);
    if (totalCores !== undefined) {
      const free = totalCores - (valueOf(consumed) ?? 0);
      const nodes = Math.floor(Math.max(0, free) / cores);
      const detail = `${free} of ${totalCores} cores free, ${free - nodes * cores} free after ${nodes} nodes`;
      limits.push({ name, nodes, detail, fix: fix(total, consumed) });
    }
    const countLimit = valueOf(count);
    if (countLimit !== undefined) {
      limits.push({ name: `${name} (${count})`, nodes: Math.max(0, countLimit), fix: fix(count) });
    }
  };
  if (!spot) {
    layer(
      `family quota ${family}`,
      ["familyQuotaCount", "familyQuotaCoreCount", "familyConsumedCoreCount"],
      `raise the subscription's ${family} vCPU quota in ${where}`,
    );
  }
  layer(
    spot ? `spot quota${region ? ` ${region}` : ""}` : `regional quota${region ? ` ${region}` : ""}`,
    ["regionalQuotaCount", "regionalQuotaCoreCount", "regionalConsumedCoreCount"],
    spot
      ? `raise the subscription's Spot vCPU quota ("Total Regional Spot vCPUs") in ${where}`
      : `raise the subscription's "Total Regional vCPUs" quota in ${where}`,
  );
  if (!(spot && (bucket.quotaCoreCount ?? 0) === 0)) {
    layer(
      `combined quota ${family}`,
      ["quotaCount", "quotaCoreCount", "consumedCoreCount"],
      `raise the subscription's ${family} or regional vCPU quota in ${where}`,
    );
  }
  return limits;
}

/** Whether two specs draw from the same family quota (same VM family, region and spot-ness). */
export function sharesFamilyQuota(status: ClusterStatus, a: NodeSpec, b: NodeSpec): boolean {
  const [pa, pb] = [a, b].map((spec) => {
    const nodearray = findNodearray(status, spec.nodearray);
    const bucket = findBucket(status, spec);
    return nodearray && bucket ? quotaPlace(nodearray, bucket) : undefined;
  });
  return (
    pa?.familyKey !== undefined &&
    pa.familyKey === pb?.familyKey &&
    pa.region === pb.region &&
    pa.spot === pb.spot
  );
}
