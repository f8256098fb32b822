/**
 * `POST /clusters/{cluster}/nodes/create` and `POST /clusters/{cluster}/scale/{nodearray}`: every
 * set is checked before anything is added, then each set adds as many nodes as fit.
 */
import type { NodeCreationRequest, NodeCreationResult, NodeCreationSet } from "../../wire/schemas";
import { badRequest, invalidAttribute } from "../server/http-io";
import { chooseBucket, fitAt, OPTIMISTIC, partialAddMessage, REAL, tally } from "../store/capacity";
import { NodeAttributesSchema } from "../config/config-schema";
import { MAX_NAME_FORMAT_LENGTH, MAX_NAME_OFFSET, MAX_REQUEST_NODES, MAX_SETS } from "../config/limits";
import { findNodearray } from "../store/node-store";
import type { NodeStore } from "../store/node-store";
import type { BucketState, ClusterState, NodearrayState, Operation } from "../store/state";
import { mergeAttributes } from "../store/wire-records";
import { formatIssues } from "../../wire/util/zod-issues";

interface SetPlan {
  readonly set: NodeCreationSet;
  readonly nodearray: NodearrayState;
  /** Undefined: the first bucket that can satisfy the set is chosen when it is added. */
  readonly bucket: BucketState | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
}

type SetResult = NodeCreationResult["sets"][number];

/** One create or scale call under way: its cluster, operation, `maxAdded` fault and time. */
interface Adding {
  readonly store: NodeStore;
  readonly cluster: ClusterState;
  readonly operation: Operation;
  /** Add at most this many nodes per set (a `maxAdded` fault). */
  readonly maxAdded: number | undefined;
  readonly now: number;
}

/** A scale request: the nodearray and the total it should reach. */
export interface ScaleRequest {
  readonly cluster: string;
  readonly nodearray: string;
  readonly target: { readonly totalNodeCount: number } | { readonly totalCoreCount: number };
}

/** `POST /clusters/{cluster}/nodes/create`. */
export function createNodes(
  store: NodeStore,
  clusterName: string,
  request: NodeCreationRequest,
  maxAdded?: number,
): NodeCreationResult {
  const now = store.clock.now();
  checkCreationLimits(request);
  const cluster = store.cluster(clusterName);
  store.checkRequestIdUnused(request.requestId);
  const plans = planSets(store, cluster, request.sets, now);
  const operation = store.newOperation("create", cluster, request.requestId, now);
  const sets = plans.map((plan) => addSet({ store, cluster, operation, maxAdded, now }, plan));
  return { operationId: operation.id, sets };
}

/** `POST /clusters/{cluster}/scale/{nodearray}?totalNodeCount=N|totalCoreCount=N`. */
export function scale(store: NodeStore, request: ScaleRequest, maxAdded?: number): NodeCreationResult {
  const now = store.clock.now();
  const { target } = request;
  const cluster = store.cluster(request.cluster);
  const nodearray = findNodearray(cluster, request.nodearray);
  const present = tally(store.live(now), (node) => node.nodearray === nodearray, OPTIMISTIC.limits);
  const operation = store.newOperation("scale", cluster, undefined, now);
  const answer = (set: SetResult): NodeCreationResult => ({ operationId: operation.id, sets: [set] });
  const byNodes = "totalNodeCount" in target;
  if (byNodes ? present.count >= target.totalNodeCount : present.cores >= target.totalCoreCount) {
    return answer({ added: 0 });
  }
  // One request adds at most MAX_REQUEST_NODES nodes; the set's message says how many were asked.
  const missing = (bucket: BucketState): number =>
    Math.min(
      MAX_REQUEST_NODES,
      byNodes
        ? target.totalNodeCount - present.count
        : Math.ceil((target.totalCoreCount - present.cores) / bucket.vcpuCount),
    );
  const chosen = chooseBucket(store.live(now), { cluster, nodearray, placementGroup: undefined }, missing);
  if (chosen === undefined)
    return answer({ added: 0, message: `Nodearray ${nodearray.name} has no valid bucket` });
  const set = { count: chosen.count, nodearray: nodearray.name };
  const plan = {
    set,
    nodearray,
    bucket: chosen.bucket,
    attributes: mergeAttributes(nodearray.attributes, {}),
  };
  return answer(addSet({ store, cluster, operation, maxAdded, now }, plan));
}

/**
 * The emulator's bounds on a create (see limits.ts): a request over one is refused as unreadable
 * input, naming the field, before anything is looked up.
 */
function checkCreationLimits(request: NodeCreationRequest): void {
  const sets = request.sets.length;
  if (sets > MAX_SETS)
    throw badRequest(`sets: at most ${String(MAX_SETS)} sets per request, not ${String(sets)}`);
  let total = 0;
  request.sets.forEach((set, index) => {
    const field = `sets[${String(index)}]`;
    const bounds = [
      ["count", set.count, MAX_REQUEST_NODES, " (nodes one request may add)"],
      ["nameOffset", set.nameOffset, MAX_NAME_OFFSET, ""],
      ["nameFormat", set.nameFormat?.length, MAX_NAME_FORMAT_LENGTH, " characters"],
    ] as const;
    for (const [name, value, max, unit] of bounds) {
      if (value !== undefined && value > max) {
        throw badRequest(`${field}.${name}: must be at most ${String(max)}${unit}, not ${String(value)}`);
      }
    }
    total += set.count;
  });
  if (total > MAX_REQUEST_NODES) {
    throw badRequest(
      `sets: the counts add up to ${String(total)}; one request may add at most ${String(MAX_REQUEST_NODES)} nodes`,
    );
  }
}

function takenNames(store: NodeStore, cluster: ClusterState, now: number): Set<string> {
  return new Set(store.liveIn(cluster, now).map((entry) => entry.node.name));
}

/** Validates every set before anything is added: a request with one bad set adds nothing. */
function planSets(
  store: NodeStore,
  cluster: ClusterState,
  sets: readonly NodeCreationSet[],
  now: number,
): SetPlan[] {
  const taken = takenNames(store, cluster, now);
  return sets.map((set, index) => {
    const nodearray = cluster.nodearrays.find((candidate) => candidate.name === set.nodearray);
    if (nodearray === undefined) {
      throw invalidAttribute(`Nodearray ${set.nodearray} is not recognized in cluster ${cluster.name}`);
    }
    // "If the definition is missing some items given in the status call or the entire bucket
    // property, the first bucket that matches the given items is used": `{}` matches every bucket.
    const machineType = set.definition?.machineType;
    const bucket = nodearray.buckets.find((candidate) => candidate.machineType === machineType);
    if (machineType !== undefined) {
      if (bucket === undefined) throw invalidAttribute(`MachineType ${machineType} is not recognized`);
      if (!bucket.valid) {
        throw invalidAttribute(
          `MachineType ${machineType} is not valid for nodearray ${nodearray.name}: ${bucket.invalidReason}`,
        );
      }
    }
    const attributes = NodeAttributesSchema.safeParse(set.nodeAttributes ?? {});
    const where = `sets[${String(index)}]`;
    if (!attributes.success)
      throw invalidAttribute(`Invalid nodeAttributes in ${where}: ${formatIssues(attributes.error)}`);
    const format = set.nameFormat;
    if (format !== undefined && !format.includes("%d")) {
      if (set.count > 1) {
        throw invalidAttribute(
          `nameFormat ${format} has no %d and can name only one node, but ${where}.count is ${String(set.count)}`,
        );
      }
      if (taken.has(format)) {
        throw invalidAttribute(`Node ${format} already exists in cluster ${cluster.name}`);
      }
      taken.add(format);
    }
    return { set, nodearray, bucket, attributes: mergeAttributes(nodearray.attributes, attributes.data) };
  });
}

function addSet(adding: Adding, plan: SetPlan): SetResult {
  const { store, cluster, operation, maxAdded, now } = adding;
  const { set, nodearray } = plan;
  const placementGroup = set.placementGroupId;
  const bucket =
    plan.bucket ??
    chooseBucket(store.live(now), { cluster, nodearray, placementGroup }, () => set.count)?.bucket;
  if (bucket === undefined) {
    return {
      added: 0,
      message: partialAddMessage(0, set.count, `nodearray ${nodearray.name} has no valid bucket`),
    };
  }
  const fit = fitAt(store.live(now), { cluster, nodearray, bucket, placementGroup }, REAL);
  let added = Math.min(set.count, fit.fit);
  let reason = fit.binding?.description ?? "no capacity";
  if (maxAdded !== undefined && maxAdded < added) {
    added = maxAdded;
    reason = "insufficient capacity (injected by the emulator)";
  }
  const { attributes } = plan;
  for (const name of nodeNames(adding, set, added)) {
    store.addNode(
      { name, cluster, nodearray, bucket, placementGroupId: placementGroup, attributes },
      operation,
      now,
    );
  }
  if (added < set.count) {
    bucket.lastCapacityFailureAt = now;
    return { added, message: partialAddMessage(added, set.count, reason) };
  }
  return { added };
}

/** `nodearray-N` (or `nameFormat` with `%d`), using the lowest free indexes from `nameOffset` (default 1). */
function nodeNames({ store, cluster, now }: Adding, set: NodeCreationSet, count: number): string[] {
  if (count === 0) return [];
  const format = set.nameFormat ?? `${set.nodearray}-%d`;
  if (!format.includes("%d")) return [format];
  const taken = takenNames(store, cluster, now);
  const names: string[] = [];
  // Ends after at most count + taken.size indexes: nameOffset and count are bounded (limits.ts),
  // so every index is a safe integer and distinct indexes make distinct names.
  for (let index = set.nameOffset ?? 1; names.length < count; index += 1) {
    const name = format.replaceAll("%d", String(index));
    if (!taken.has(name)) {
      names.push(name);
      taken.add(name);
    }
  }
  return names;
}
