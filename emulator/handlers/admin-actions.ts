/**
 * What the admin surface (`/__emulator/`) changes in the store: timing, injected node failures,
 * out-of-band removals, capacity limits and quotas, with the bodies those changes take. Routing
 * is in admin-api.ts.
 */
import { z } from "zod";
import type { ClusterStatus } from "../../wire/schemas";
import { BucketConfigSchema, RegionalQuotaConfigSchema } from "../config/config-schema";
import { keyName } from "../config/limits";
import type { TimingSchema } from "../config/limits";
import { badRequest, notFound } from "../server/http-io";
import { clusterStatus } from "./cluster-api";
import { regionalQuota } from "../store/state";
import { findNodearray } from "../store/node-store";
import type { NodeStore } from "../store/node-store";
import type { EmulatorTiming, LiveNode } from "../store/state";
import { adminViews } from "../store/wire-records";
import type { AdminNodeView } from "../store/wire-records";

const names = z.array(z.string().min(1));

/** Selects nodes for the admin surface; without `cluster` every cluster is searched. */
export const NodeSelectorSchema = z
  .strictObject({
    cluster: z.string().min(1).optional(),
    ids: names.optional(),
    names: names.optional(),
    message: z.string().min(1).optional(),
  })
  .refine((selector) => selector.ids !== undefined || selector.names !== undefined, {
    message: "give `ids` or `names`",
  });
type NodeSelector = z.output<typeof NodeSelectorSchema>;

/** Limits every level (cluster, nodearray, bucket) has. */
const LEVEL_LIMITS = ["maxCount", "maxCoreCount"] as const;

/** Limits only a bucket has. */
const BUCKET_LIMITS = [
  "quotaCount",
  "quotaCoreCount",
  "consumedCoreCount",
  "maxPlacementGroupSize",
  "maxPlacementGroupCoreSize",
] as const;

/** Fields a cluster or nodearray change may not carry, in the order an error lists them. */
const BUCKET_ONLY_FIELDS = [...BUCKET_LIMITS, "valid", "invalidReason"] as const;

const CHANGEABLE = [...LEVEL_LIMITS, ...BUCKET_ONLY_FIELDS] as const;

/** A change of limits: the config's bucket fields (with their bounds), all optional, and where. */
export const CapacityChangeSchema = BucketConfigSchema.pick(
  Object.fromEntries(CHANGEABLE.map((field) => [field, true])) as Record<(typeof CHANGEABLE)[number], true>,
)
  .partial()
  .extend({
    cluster: z.string().min(1),
    nodearray: z.string().min(1).optional(),
    machineType: z.string().min(1).optional(),
  });
type CapacityChange = z.output<typeof CapacityChangeSchema>;

/** A change of a family's quota (`coreCount`, `consumedCoreCount`) or a region's (the config's fields). */
export const QuotaChangeSchema = RegionalQuotaConfigSchema.extend({
  cluster: z.string().min(1),
  family: keyName.optional(),
  region: keyName.optional(),
});

/** Copies the numbers `change` gives for `fields` onto `target`. */
function assign<K extends string>(
  target: Record<K, number>,
  change: Readonly<Partial<Record<K, number | undefined>>>,
  fields: readonly K[],
): void {
  for (const field of fields) {
    const value = change[field];
    if (value !== undefined) target[field] = value;
  }
}

function rejectBucketOnlyFields(change: CapacityChange, level: string): void {
  const present = BUCKET_ONLY_FIELDS.filter((field) => change[field] !== undefined);
  if (present.length > 0) {
    throw badRequest(
      `${present.map((field) => `\`${field}\``).join(", ")} can only be changed on a bucket ` +
        `(give \`nodearray\` and \`machineType\`), not on ${level}`,
    );
  }
}

/** Changes phase durations for transitions that start from now on; phases under way keep theirs. */
export function setTiming(store: NodeStore, change: z.output<typeof TimingSchema>): EmulatorTiming {
  const timing = { ...store.timing };
  assign(timing, change, ["acquiringMs", "preparingMs", "terminatingMs"]);
  store.timing = timing;
  return timing;
}

function select(store: NodeStore, selector: NodeSelector, now: number): LiveNode[] {
  const cluster = selector.cluster === undefined ? undefined : store.cluster(selector.cluster);
  const [ids, names] = [new Set(selector.ids), new Set(selector.names)];
  const chosen = ({ node }: LiveNode): boolean => ids.has(node.id) || names.has(node.name);
  return store
    .live(now)
    .filter((entry) => (cluster === undefined || entry.node.cluster === cluster) && chosen(entry));
}

/** Marks the selected nodes `Failed` at once, keeping their addresses. */
export function failNodes(store: NodeStore, selector: NodeSelector, message: string): AdminNodeView[] {
  const now = store.clock.now();
  const selected = select(store, selector, now);
  for (const { node, seen } of selected) {
    node.phase = { kind: "failed", since: now, message, addressed: seen.addressed };
  }
  return adminViews(selected, now);
}

/** Removes the selected nodes out of band: they vanish at once and hold nothing. */
export function removeNodes(store: NodeStore, selector: NodeSelector): AdminNodeView[] {
  const now = store.clock.now();
  const selected = select(store, selector, now);
  const views = adminViews(selected, now);
  for (const { node } of selected) {
    store.deleteNode(node);
  }
  return views;
}

/** Changes limits of a cluster, a nodearray (with `nodearray`) or a bucket (with `machineType` too). */
export function setCapacity(store: NodeStore, change: CapacityChange): ClusterStatus {
  const cluster = store.cluster(change.cluster);
  if (change.nodearray === undefined && change.machineType !== undefined) {
    throw badRequest("`machineType` needs `nodearray`");
  }
  const nodearray = change.nodearray === undefined ? undefined : findNodearray(cluster, change.nodearray);
  if (nodearray === undefined || change.machineType === undefined) {
    rejectBucketOnlyFields(change, nodearray === undefined ? "a cluster" : "a nodearray");
    assign(nodearray ?? cluster, change, LEVEL_LIMITS);
    return clusterStatus(store, cluster.name, false);
  }
  const bucket = nodearray.buckets.find((candidate) => candidate.machineType === change.machineType);
  if (bucket === undefined) {
    throw notFound(`MachineType ${change.machineType} not found in nodearray ${nodearray.name}`);
  }
  assign(bucket, change, [...LEVEL_LIMITS, ...BUCKET_LIMITS]);
  if (change.valid !== undefined) {
    bucket.valid = change.valid;
    bucket.invalidReason = change.valid ? "" : (change.invalidReason ?? "NotActivated");
  } else if (change.invalidReason !== undefined) {
    bucket.invalidReason = change.invalidReason;
  }
  return clusterStatus(store, cluster.name, false);
}

/**
 * Changes a family's quota (the family must be in the config: buckets name their family there) or
 * a region's (a region without quota starts from the defaults); answers the cluster status.
 */
export function setQuota(store: NodeStore, change: z.output<typeof QuotaChangeSchema>): ClusterStatus {
  const cluster = store.cluster(change.cluster);
  const { family, region } = change;
  if ((family === undefined) === (region === undefined)) {
    throw badRequest("give exactly one of `family` and `region`");
  }
  if (family !== undefined) {
    if (change.spotCoreCount !== undefined || change.spotConsumedCoreCount !== undefined) {
      throw badRequest("`spotCoreCount` and `spotConsumedCoreCount` are regional quotas: give `region`");
    }
    const families = cluster.quotas.families;
    if (!Object.hasOwn(families, family) || families[family] === undefined) {
      throw notFound(
        `Family ${family} has no quota in cluster ${cluster.name}: families come from the config`,
      );
    }
    const quota = { ...families[family] };
    assign(quota, change, ["coreCount", "consumedCoreCount"]);
    families[family] = quota;
  } else if (region !== undefined) {
    const quota = { ...regionalQuota(cluster.quotas, region) };
    assign(quota, change, ["coreCount", "consumedCoreCount", "spotCoreCount", "spotConsumedCoreCount"]);
    cluster.quotas.regions[region] = quota;
  }
  return clusterStatus(store, cluster.name, false);
}

/**
 * Every node of every cluster with the request and operation that created it: the nodes made
 * through the API (nodearray nodes, so a test counts what it created), or with `standalone` the
 * head nodes (in no nodearray).
 */
export function adminNodes(store: NodeStore, standalone: boolean): AdminNodeView[] {
  const now = store.clock.now();
  return adminViews(
    store.live(now).filter(({ node }) => node.standalone === standalone),
    now,
  );
}
