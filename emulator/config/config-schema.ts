/**
 * The emulator's config format (zod): clusters, nodearrays, buckets, head nodes and quotas, with
 * the cross-field checks (duplicate names, unknown quota families, bucket quotas that do not
 * apply) reported at the path they are about.
 */
import { z } from "zod";
import { coreCount, keyName, nodeCount } from "./limits";

/** Largest `vcpuCount`/`pcpuCount`/`gpuCount` of a VM size. */
const MAX_VCPUS = 10_000;
const vcpus = z.number().int().positive().max(MAX_VCPUS);
/** Largest `memory` (GB) of a VM size. */
const memory = z.number().positive().max(1_000_000);

/**
 * Node record keys a nodearray (config `attributes`) or a create set (`nodeAttributes`) may set,
 * with the types node records must carry them in. Other keys pass through untouched.
 */
export const NodeAttributesSchema = z.looseObject({
  KeepAlive: z.boolean().optional(),
  Interruptible: z.boolean().optional(),
  Configuration: z.record(z.string(), z.unknown()).optional(),
  Tags: z.record(z.string(), z.string()).optional(),
  ShutdownPolicy: z.enum(["Terminate", "Deallocate"]).optional(),
  /** true: terminating the node keeps its record (Status `Off`); only `remove` deletes it. */
  Fixed: z.boolean().optional(),
});
export type NodeAttributes = z.infer<typeof NodeAttributesSchema>;

/** One bucket: a VM size of a nodearray, with its limits. */
export const BucketConfigSchema = z.strictObject({
  /** VM size, matched case-sensitively as CycleCloud does (`Standard_HC44rs` is not `Standard_Hc44rs`). */
  machineType: z.string().min(1),
  /** @default a stable id derived from cluster, nodearray and machine type */
  bucketId: z.string().min(1).optional(),
  vcpuCount: vcpus,
  /** GB, may be fractional. */
  memory,
  /** @default false */
  infiniband: z.boolean().optional(),
  /** Physical cores. @default vcpuCount */
  pcpuCount: vcpus.optional(),
  /** @default 0 */
  gpuCount: z.number().int().nonnegative().max(MAX_VCPUS).optional(),
  /** Most nodes this bucket may have. */
  maxCount: nodeCount,
  /** @default maxCount * vcpuCount */
  maxCoreCount: coreCount.optional(),
  /**
   * The VM family whose quota this bucket shares with every bucket (and head node) naming the same
   * family: a key of the cluster's `quotas.families`. Without it the bucket is a family of its
   * own, with the quota below.
   */
  family: keyName.optional(),
  /** Subscription quota in nodes of this size. @default maxCount */
  quotaCount: nodeCount.optional(),
  /** Subscription quota in cores. @default quotaCount * vcpuCount */
  quotaCoreCount: coreCount.optional(),
  /** Cores of the quota already used outside this emulator (a baseline). @default 0 */
  consumedCoreCount: coreCount.optional(),
  /** @default 100 */
  maxPlacementGroupSize: nodeCount.optional(),
  /** @default maxPlacementGroupSize * vcpuCount */
  maxPlacementGroupCoreSize: coreCount.optional(),
  /** false: the bucket cannot be used for new nodes. @default true */
  valid: z.boolean().optional(),
  /** Sent only for an invalid bucket (a valid one sends ""). @default "NotActivated" when `valid` is false */
  invalidReason: z.string().min(1).optional(),
});
export type BucketConfig = z.infer<typeof BucketConfigSchema>;

export const NodearrayConfigSchema = z.strictObject({
  name: keyName,
  maxCount: nodeCount,
  maxCoreCount: coreCount,
  /** @default "westus2" */
  region: keyName.optional(),
  /** Extra keys of the nodearray record, inherited by its nodes (`SubnetId`, `Configuration`, ...). */
  attributes: NodeAttributesSchema.optional(),
  buckets: z.array(BucketConfigSchema).min(1),
});
export type NodearrayConfig = z.infer<typeof NodearrayConfigSchema>;

/** The quota of one VM family (shared by every bucket naming it). */
export const FamilyQuotaConfigSchema = z.strictObject({
  /** Cores of the family the subscription may run in the region. */
  coreCount: coreCount,
  /** Cores of the family used outside this cluster (other clusters of the subscription). @default 0 */
  consumedCoreCount: coreCount.optional(),
});

/** The quotas of one region: regular VMs and spot (`Interruptible`) VMs. */
export const RegionalQuotaConfigSchema = z.strictObject({
  /** Cores of regular VMs the subscription may run in the region. @default 100000 */
  coreCount: coreCount.optional(),
  /** Regular cores used outside this cluster. @default 0 */
  consumedCoreCount: coreCount.optional(),
  /** Cores of spot VMs (a separate quota). @default 100000 */
  spotCoreCount: coreCount.optional(),
  /** Spot cores used outside this cluster. @default 0 */
  spotConsumedCoreCount: coreCount.optional(),
});

/** Quotas above the bucket: per VM family and per region. */
export const QuotasConfigSchema = z.strictObject({
  families: z.record(keyName, FamilyQuotaConfigSchema).optional(),
  regions: z.record(keyName, RegionalQuotaConfigSchema).optional(),
});

/**
 * A node of the cluster template that is in no nodearray (`[[node scheduler]]`): it exists from
 * the start (Status `Started`), is `Fixed` unless told otherwise, and is listed by
 * `GET .../nodes` but not in the status's `nodes` or any bucket.
 */
export const StandaloneNodeConfigSchema = z.strictObject({
  name: keyName,
  machineType: z.string().min(1),
  vcpuCount: vcpus,
  memory,
  /** @default "westus2" */
  region: keyName.optional(),
  /** A key of `quotas.families` its cores count against. @default none */
  family: keyName.optional(),
  /** Extra keys of the node record. `Fixed` defaults to true. */
  attributes: NodeAttributesSchema.optional(),
});

export const ClusterConfigSchema = z.strictObject({
  name: keyName,
  /** @default "Started" */
  state: z.string().min(1).optional(),
  /** @default the value of `state` */
  targetState: z.string().min(1).optional(),
  maxCount: nodeCount,
  maxCoreCount: coreCount,
  /** Family and regional quotas of the subscription, as this cluster sees them. */
  quotas: QuotasConfigSchema.optional(),
  /** Nodes in no nodearray (head nodes). */
  nodes: z.array(StandaloneNodeConfigSchema).optional(),
  nodearrays: z.array(NodearrayConfigSchema),
});
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** The emulator's `--config` file format: clusters, their nodearrays and buckets. */
export const EmulatorConfigSchema = z
  .strictObject({ clusters: z.array(ClusterConfigSchema).min(1) })
  .superRefine((config, ctx) => {
    const issue = (path: PropertyKey[], message: string): void => {
      ctx.addIssue({ code: "custom", path, message });
    };
    const duplicate = (names: readonly string[], path: PropertyKey[], what: string): void => {
      const seen = new Set<string>();
      names.forEach((name, index) => {
        if (seen.has(name)) issue([...path, index], `duplicate ${what} "${name}"`);
        seen.add(name);
      });
    };
    const names = (list: readonly { name: string }[]): string[] => list.map(({ name }) => name);
    duplicate(names(config.clusters), ["clusters"], "cluster name");
    config.clusters.forEach((cluster, c) => {
      duplicate(names(cluster.nodearrays), ["clusters", c, "nodearrays"], "nodearray name");
      const families = cluster.quotas?.families ?? {};
      const checkFamily = (family: string | undefined, path: PropertyKey[]): void => {
        if (family !== undefined && !Object.hasOwn(families, family)) {
          issue(path, `family "${family}" has no quota: add it to clusters[${String(c)}].quotas.families`);
        }
      };
      const templates = new Set(names(cluster.nodearrays));
      (cluster.nodes ?? []).forEach((node, i) => {
        if (templates.has(node.name)) {
          issue(["clusters", c, "nodes", i, "name"], `duplicate node or nodearray name "${node.name}"`);
        }
        templates.add(node.name);
        checkFamily(node.family, ["clusters", c, "nodes", i, "family"]);
      });
      cluster.nodearrays.forEach((nodearray, n) => {
        const buckets = nodearray.buckets.map(({ machineType }) => machineType);
        duplicate(buckets, ["clusters", c, "nodearrays", n, "buckets"], "machineType");
        const spot = nodearray.attributes?.Interruptible === true;
        nodearray.buckets.forEach((bucket, b) => {
          const path = ["clusters", c, "nodearrays", n, "buckets", b];
          checkFamily(bucket.family, [...path, "family"]);
          const own = (["quotaCount", "quotaCoreCount", "consumedCoreCount"] as const).filter(
            (field) => bucket[field] !== undefined,
          );
          if (own.length > 0 && (bucket.family !== undefined || spot)) {
            issue(
              [...path, own[0] ?? "quotaCount"],
              spot
                ? `a bucket of an Interruptible (spot) nodearray uses the regional spot quota ` +
                    `(quotas.regions.<region>.spotCoreCount), not ${own.join(", ")}`
                : `a bucket of family "${String(bucket.family)}" uses quotas.families.${String(bucket.family)}, not ${own.join(", ")}`,
            );
          }
        });
      });
    });
  });
export type EmulatorConfig = z.input<typeof EmulatorConfigSchema>;
