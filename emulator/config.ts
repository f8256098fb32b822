import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { formatIssues } from "../provider/util/zod-issues";

const count = z.number().int().nonnegative();

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
  vcpuCount: z.number().int().positive(),
  /** GB, may be fractional. */
  memory: z.number().positive(),
  /** @default false */
  infiniband: z.boolean().optional(),
  /** Physical cores. @default vcpuCount */
  pcpuCount: z.number().int().positive().optional(),
  /** @default 0 */
  gpuCount: z.number().int().nonnegative().optional(),
  /** Most nodes this bucket may have. */
  maxCount: count,
  /** @default maxCount * vcpuCount */
  maxCoreCount: count.optional(),
  /**
   * The VM family whose quota this bucket shares with every bucket (and head node) naming the same
   * family: a key of the cluster's `quotas.families`. Without it the bucket is a family of its
   * own, with the quota below.
   */
  family: z.string().min(1).optional(),
  /** Subscription quota in nodes of this size. @default maxCount */
  quotaCount: count.optional(),
  /** Subscription quota in cores. @default quotaCount * vcpuCount */
  quotaCoreCount: count.optional(),
  /** Cores of the quota already used outside this emulator (a baseline). @default 0 */
  consumedCoreCount: count.optional(),
  /** @default 100 */
  maxPlacementGroupSize: count.optional(),
  /** @default maxPlacementGroupSize * vcpuCount */
  maxPlacementGroupCoreSize: count.optional(),
  /** false: the bucket cannot be used for new nodes. @default true */
  valid: z.boolean().optional(),
  /** Sent only for an invalid bucket (a valid one sends ""). @default "NotActivated" when `valid` is false */
  invalidReason: z.string().min(1).optional(),
});
export type BucketConfig = z.infer<typeof BucketConfigSchema>;

export const NodearrayConfigSchema = z.strictObject({
  name: z.string().min(1),
  maxCount: count,
  maxCoreCount: count,
  /** @default "westus2" */
  region: z.string().min(1).optional(),
  /** Extra keys of the nodearray record, inherited by its nodes (`SubnetId`, `Configuration`, ...). */
  attributes: NodeAttributesSchema.optional(),
  buckets: z.array(BucketConfigSchema).min(1),
});
export type NodearrayConfig = z.infer<typeof NodearrayConfigSchema>;

/** The quota of one VM family (shared by every bucket naming it). */
export const FamilyQuotaConfigSchema = z.strictObject({
  /** Cores of the family the subscription may run in the region. */
  coreCount: count,
  /** Cores of the family used outside this cluster (other clusters of the subscription). @default 0 */
  consumedCoreCount: count.optional(),
});

/** The quotas of one region: regular VMs and spot (`Interruptible`) VMs. */
export const RegionalQuotaConfigSchema = z.strictObject({
  /** Cores of regular VMs the subscription may run in the region. @default 100000 */
  coreCount: count.optional(),
  /** Regular cores used outside this cluster. @default 0 */
  consumedCoreCount: count.optional(),
  /** Cores of spot VMs (a separate quota). @default 100000 */
  spotCoreCount: count.optional(),
  /** Spot cores used outside this cluster. @default 0 */
  spotConsumedCoreCount: count.optional(),
});

/** Quotas above the bucket: per VM family and per region. */
export const QuotasConfigSchema = z.strictObject({
  families: z.record(z.string().min(1), FamilyQuotaConfigSchema).optional(),
  regions: z.record(z.string().min(1), RegionalQuotaConfigSchema).optional(),
});

/**
 * A node of the cluster template that is in no nodearray (`[[node scheduler]]`): it exists from
 * the start (Status `Started`), is `Fixed` unless told otherwise, and is listed by
 * `GET .../nodes` but not in the status's `nodes` or any bucket.
 */
export const StandaloneNodeConfigSchema = z.strictObject({
  name: z.string().min(1),
  machineType: z.string().min(1),
  vcpuCount: z.number().int().positive(),
  memory: z.number().positive(),
  /** @default "westus2" */
  region: z.string().min(1).optional(),
  /** A key of `quotas.families` its cores count against. @default none */
  family: z.string().min(1).optional(),
  /** Extra keys of the node record. `Fixed` defaults to true. */
  attributes: NodeAttributesSchema.optional(),
});

export const ClusterConfigSchema = z.strictObject({
  name: z.string().min(1),
  /** @default "Started" */
  state: z.string().min(1).optional(),
  /** @default the value of `state` */
  targetState: z.string().min(1).optional(),
  maxCount: count,
  maxCoreCount: count,
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
    const duplicate = (names: readonly string[], path: PropertyKey[], what: string): void => {
      const seen = new Set<string>();
      names.forEach((name, index) => {
        if (seen.has(name)) {
          ctx.addIssue({ code: "custom", path: [...path, index], message: `duplicate ${what} "${name}"` });
        }
        seen.add(name);
      });
    };
    duplicate(
      config.clusters.map((cluster) => cluster.name),
      ["clusters"],
      "cluster name",
    );
    config.clusters.forEach((cluster, c) => {
      duplicate(
        cluster.nodearrays.map((nodearray) => nodearray.name),
        ["clusters", c, "nodearrays"],
        "nodearray name",
      );
      const templates = new Set(cluster.nodearrays.map((nodearray) => nodearray.name));
      (cluster.nodes ?? []).forEach((node, i) => {
        if (templates.has(node.name)) {
          ctx.addIssue({
            code: "custom",
            path: ["clusters", c, "nodes", i, "name"],
            message: `duplicate node or nodearray name "${node.name}"`,
          });
        }
        templates.add(node.name);
      });
      const families = cluster.quotas?.families ?? {};
      const checkFamily = (family: string | undefined, path: PropertyKey[]): void => {
        if (family !== undefined && !Object.hasOwn(families, family)) {
          ctx.addIssue({
            code: "custom",
            path,
            message: `family "${family}" has no quota: add it to clusters[${String(c)}].quotas.families`,
          });
        }
      };
      (cluster.nodes ?? []).forEach((node, i) => {
        checkFamily(node.family, ["clusters", c, "nodes", i, "family"]);
      });
      cluster.nodearrays.forEach((nodearray, n) => {
        duplicate(
          nodearray.buckets.map((bucket) => bucket.machineType),
          ["clusters", c, "nodearrays", n, "buckets"],
          "machineType",
        );
        const spot = nodearray.attributes?.Interruptible === true;
        nodearray.buckets.forEach((bucket, b) => {
          const path = ["clusters", c, "nodearrays", n, "buckets", b];
          checkFamily(bucket.family, [...path, "family"]);
          const own = (["quotaCount", "quotaCoreCount", "consumedCoreCount"] as const).filter(
            (field) => bucket[field] !== undefined,
          );
          if (own.length > 0 && (bucket.family !== undefined || spot)) {
            ctx.addIssue({
              code: "custom",
              path: [...path, own[0] ?? "quotaCount"],
              message: spot
                ? `a bucket of an Interruptible (spot) nodearray uses the regional spot quota ` +
                  `(quotas.regions.<region>.spotCoreCount), not ${own.join(", ")}`
                : `a bucket of family "${String(bucket.family)}" uses quotas.families.${String(bucket.family)}, not ${own.join(", ")}`,
            });
          }
        });
      });
    });
  });
export type EmulatorConfig = z.input<typeof EmulatorConfigSchema>;

/** A bucket with every default filled in. */
export interface BucketDefinition {
  readonly bucketId: string;
  readonly machineType: string;
  readonly vcpuCount: number;
  readonly memory: number;
  readonly infiniband: boolean;
  readonly pcpuCount: number;
  readonly gpuCount: number;
  readonly maxCount: number;
  readonly maxCoreCount: number;
  readonly quotaCount: number;
  readonly quotaCoreCount: number;
  readonly consumedCoreCount: number;
  readonly maxPlacementGroupSize: number;
  readonly maxPlacementGroupCoreSize: number;
  /** A key of the cluster's quota families; undefined: the bucket is a family of its own. */
  readonly family: string | undefined;
  readonly valid: boolean;
  /** "" for a valid bucket (the reference requires the field; it is meaningful only when invalid). */
  readonly invalidReason: string;
}

export interface NodearrayDefinition {
  readonly name: string;
  readonly maxCount: number;
  readonly maxCoreCount: number;
  readonly region: string;
  /** `Interruptible: true` in its attributes: spot VMs, charged to the regional spot quota. */
  readonly spot: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly buckets: readonly BucketDefinition[];
}

export interface FamilyQuota {
  readonly coreCount: number;
  readonly consumedCoreCount: number;
}

export interface RegionalQuota {
  readonly coreCount: number;
  readonly consumedCoreCount: number;
  readonly spotCoreCount: number;
  readonly spotConsumedCoreCount: number;
}

/** A region's quota when the config gives none (large enough never to bind by accident). */
export const DEFAULT_REGIONAL_QUOTA: RegionalQuota = Object.freeze({
  coreCount: 100_000,
  consumedCoreCount: 0,
  spotCoreCount: 100_000,
  spotConsumedCoreCount: 0,
});

export interface QuotaDefinitions {
  readonly families: Readonly<Record<string, FamilyQuota>>;
  readonly regions: Readonly<Record<string, RegionalQuota>>;
}

/** The quota of `region`, with defaults for what the config leaves out. */
export function regionalQuota(quotas: QuotaDefinitions, region: string): RegionalQuota {
  return Object.hasOwn(quotas.regions, region)
    ? (quotas.regions[region] ?? DEFAULT_REGIONAL_QUOTA)
    : DEFAULT_REGIONAL_QUOTA;
}

export interface StandaloneNodeDefinition {
  readonly name: string;
  readonly machineType: string;
  readonly vcpuCount: number;
  readonly memory: number;
  readonly region: string;
  readonly family: string | undefined;
  /** With `Fixed` (default true). */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface ClusterDefinition {
  readonly name: string;
  readonly state: string;
  readonly targetState: string;
  readonly maxCount: number;
  readonly maxCoreCount: number;
  readonly quotas: QuotaDefinitions;
  readonly standaloneNodes: readonly StandaloneNodeDefinition[];
  readonly nodearrays: readonly NodearrayDefinition[];
}

/**
 * The seed document's cluster: `hpc` with nodearray `ondemand` and the buckets `Standard_Fs32_v2`
 * and `Standard_Hc44rs`, with the exact numbers of the seed's status example, and a head node
 * `scheduler` (in no nodearray, `Fixed`) as real clusters have.
 */
export const DEFAULT_EMULATOR_CONFIG: EmulatorConfig = {
  clusters: [
    {
      name: "hpc",
      state: "Started",
      targetState: "Started",
      maxCount: 100,
      maxCoreCount: 10000,
      nodes: [
        {
          name: "scheduler",
          machineType: "Standard_D4s_v3",
          vcpuCount: 4,
          memory: 16,
          region: "westus2",
          attributes: { Fixed: true, SubnetId: "hpc-rg/hpc-vnet/default", Configuration: {} },
        },
      ],
      nodearrays: [
        {
          name: "ondemand",
          maxCount: 100,
          maxCoreCount: 500,
          region: "westus2",
          attributes: {
            SubnetId: "hpc-rg/hpc-vnet/compute",
            Interruptible: false,
            ShutdownPolicy: "Terminate",
            Configuration: {},
          },
          buckets: [
            {
              bucketId: "cd56af52-abcd-1234-a4e7-e6a91ca519a2",
              machineType: "Standard_Fs32_v2",
              vcpuCount: 32,
              memory: 64.0,
              infiniband: false,
              maxCount: 3,
              maxCoreCount: 96,
              quotaCount: 3,
              quotaCoreCount: 100,
              consumedCoreCount: 0,
              maxPlacementGroupSize: 40,
              maxPlacementGroupCoreSize: 1280,
            },
            {
              bucketId: "d81e001a-abcd-1234-9754-79815cb7b225",
              machineType: "Standard_Hc44rs",
              vcpuCount: 44,
              memory: 327.83,
              infiniband: true,
              maxCount: 11,
              maxCoreCount: 484,
              quotaCount: 200,
              quotaCoreCount: 8800,
              consumedCoreCount: 44,
              maxPlacementGroupSize: 40,
              maxPlacementGroupCoreSize: 1760,
            },
          ],
        },
      ],
    },
  ],
};

/** Thrown for a config that does not match {@link EmulatorConfigSchema}; names every bad path. */
export class EmulatorConfigError extends Error {
  override readonly name = "EmulatorConfigError";
}

/** Validates a config without filling in defaults; `source` names it in error messages. */
export function checkEmulatorConfig(input: unknown, source = "emulator config"): EmulatorConfig {
  const parsed = EmulatorConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new EmulatorConfigError(`Invalid ${source}: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** A UUID-shaped id that stays the same for the same cluster, nodearray and machine type. */
export function stableBucketId(cluster: string, nodearray: string, machineType: string): string {
  const hex = createHash("sha256").update(`${cluster}\0${nodearray}\0${machineType}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Validates a config (the parsed JSON of a `--config` file, or an object) and fills in every
 * default. `source` names the config in error messages.
 */
export function parseEmulatorConfig(input: unknown, source = "emulator config"): ClusterDefinition[] {
  return checkEmulatorConfig(input, source).clusters.map((cluster) => {
    const state = cluster.state ?? "Started";
    return {
      name: cluster.name,
      state,
      targetState: cluster.targetState ?? state,
      maxCount: cluster.maxCount,
      maxCoreCount: cluster.maxCoreCount,
      quotas: {
        families: Object.fromEntries(
          Object.entries(cluster.quotas?.families ?? {}).map(([name, family]) => [
            name,
            { coreCount: family.coreCount, consumedCoreCount: family.consumedCoreCount ?? 0 },
          ]),
        ),
        regions: Object.fromEntries(
          Object.entries(cluster.quotas?.regions ?? {}).map(([name, region]) => [
            name,
            {
              coreCount: region.coreCount ?? DEFAULT_REGIONAL_QUOTA.coreCount,
              consumedCoreCount: region.consumedCoreCount ?? 0,
              spotCoreCount: region.spotCoreCount ?? DEFAULT_REGIONAL_QUOTA.spotCoreCount,
              spotConsumedCoreCount: region.spotConsumedCoreCount ?? 0,
            },
          ]),
        ),
      },
      standaloneNodes: (cluster.nodes ?? []).map((node) => ({
        name: node.name,
        machineType: node.machineType,
        vcpuCount: node.vcpuCount,
        memory: node.memory,
        region: node.region ?? "westus2",
        family: node.family,
        attributes: { Fixed: true, ...structuredClone(node.attributes ?? {}) },
      })),
      nodearrays: cluster.nodearrays.map((nodearray) => ({
        name: nodearray.name,
        maxCount: nodearray.maxCount,
        maxCoreCount: nodearray.maxCoreCount,
        region: nodearray.region ?? "westus2",
        spot: nodearray.attributes?.Interruptible === true,
        attributes: structuredClone(nodearray.attributes ?? {}),
        buckets: nodearray.buckets.map((bucket): BucketDefinition => {
          const valid = bucket.valid ?? true;
          const quotaCount = bucket.quotaCount ?? bucket.maxCount;
          const maxPlacementGroupSize = bucket.maxPlacementGroupSize ?? 100;
          return {
            bucketId: bucket.bucketId ?? stableBucketId(cluster.name, nodearray.name, bucket.machineType),
            machineType: bucket.machineType,
            vcpuCount: bucket.vcpuCount,
            memory: bucket.memory,
            infiniband: bucket.infiniband ?? false,
            pcpuCount: bucket.pcpuCount ?? bucket.vcpuCount,
            gpuCount: bucket.gpuCount ?? 0,
            maxCount: bucket.maxCount,
            maxCoreCount: bucket.maxCoreCount ?? bucket.maxCount * bucket.vcpuCount,
            quotaCount,
            quotaCoreCount: bucket.quotaCoreCount ?? quotaCount * bucket.vcpuCount,
            consumedCoreCount: bucket.consumedCoreCount ?? 0,
            maxPlacementGroupSize,
            maxPlacementGroupCoreSize:
              bucket.maxPlacementGroupCoreSize ?? maxPlacementGroupSize * bucket.vcpuCount,
            family: bucket.family,
            valid,
            invalidReason: valid ? "" : (bucket.invalidReason ?? "NotActivated"),
          };
        }),
      })),
    };
  });
}

/**
 * Reads a JSON config file and checks it (errors name the file and the bad path); the result is
 * ready for `startEmulator({ config })`.
 */
export async function loadEmulatorConfigFile(file: string): Promise<EmulatorConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EmulatorConfigError(`Cannot read emulator config ${file}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EmulatorConfigError(`Emulator config ${file} is not valid JSON: ${reason}`);
  }
  return checkEmulatorConfig(json, `emulator config ${file}`);
}
