/**
 * The subscription quota layers of a bucket (family, regional, combined, spot): where a bucket
 * draws quota from, the limits they set, and whether two sets share a family quota.
 */
import { MAX_NAME_LENGTH, plainText } from "../../wire/util/server-text";
import { bucketMachineType, findBucket, findNodearray } from "../../wire/bucket-lookup";
import type { CapacityLimit, NodeSpec } from "./capacity-types";
import { plannedCores } from "./planned-status";
import type { Bucket, ClusterStatus, NodearrayStatus } from "../../wire/schemas";
import { azureQuotaFamilyOf, quotaFamilyLabel } from "../../wire/util/vm-family";

function isConsumedField(
  field: string,
): field is "regionalConsumedCoreCount" | "familyConsumedCoreCount" | "consumedCoreCount" {
  return (
    field === "regionalConsumedCoreCount" ||
    field === "familyConsumedCoreCount" ||
    field === "consumedCoreCount"
  );
}

/** Where a bucket draws quota from: its region, its VM family, and whether it is spot. */
/** A numeric field of a bucket, by name, as the server sent it. */
interface Field {
  field: string;
  value: number | undefined;
}

interface QuotaPlace {
  spot: boolean;
  region: string | undefined;
  /** Azure's family name, or the machine type itself when unknown (never shared by mistake). */
  familyKey: string | undefined;
}

export function quotaPlace(nodearray: NodearrayStatus, bucket: Bucket): QuotaPlace {
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
export function quotaLimits(
  nodearray: NodearrayStatus,
  bucket: Bucket,
  machineType: string,
  cores: number,
): CapacityLimit[] {
  const { spot, region } = quotaPlace(nodearray, bucket);
  // The region is the server's text: sanitized for the messages it goes in.
  const where = region === undefined ? "the cluster's region" : plainText(region, MAX_NAME_LENGTH);
  const family = quotaFamilyLabel(machineType);
  const limits: CapacityLimit[] = [];
  const get = (field: keyof Bucket): Field => ({ field, value: bucket[field] as number | undefined });
  /** One quota layer from its fields (node count limit, core limit, cores consumed) and its fix. */
  const layer = (name: string, fields: [keyof Bucket, keyof Bucket, keyof Bucket], raise: string) => {
    const [count, total, consumed] = [get(fields[0]), get(fields[1]), get(fields[2])];
    // The numbers the server sent; cores other sets of this plan take are shown apart.
    const shown = (...parts: Field[]) =>
      parts
        .flatMap((p) => {
          if (p.value === undefined) return [];
          const planned = isConsumedField(p.field) ? plannedCores(bucket, p.field) : 0;
          if (planned === 0) return [`${p.field} ${p.value}`];
          return [`${p.field} ${p.value - planned} + ${planned} planned for other sets of this plan`];
        })
        .join(", ");
    if (total.value !== undefined) {
      const free = total.value - (consumed.value ?? 0);
      const nodes = Math.floor(Math.max(0, free) / cores);
      limits.push({
        name,
        nodes,
        detail: `${free} of ${total.value} cores free, ${free - nodes * cores} free after ${nodes} nodes`,
        fix: `${raise} (${shown(total, consumed)}; Azure portal > Quotas > Compute)`,
      });
    }
    if (count.value !== undefined) {
      limits.push({
        name: `${name} (${count.field})`,
        nodes: Math.max(0, count.value),
        fix: `${raise} (${shown(count)}; Azure portal > Quotas > Compute)`,
      });
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
