/**
 * Spreading a set over placement groups (`placementGroups: { prefix, size }`): the groups are
 * `<prefix>0`, `<prefix>1`, ..., each holding at most `size` nodes, filled in order and emptied
 * from the last. Which group each new node goes into, which nodes a shrink removes, the request
 * ids of each group's creates, and the per-group counts of the output. Without `placementGroups`
 * every function here does what a single-group set does.
 */
import { findBucket } from "../capacity";
import type { Bucket } from "../schemas";
import { chooseNodesToRemove } from "./choose-nodes-to-remove";
import type { CreateOutcome } from "./create-protocol";
import { createWithSequence } from "./create-protocol";
import { NodeSetInputError } from "./errors/node-set-input-error";
import type { NodeSetInputs, PlacementGroups } from "./inputs";
import type { OperationContext, SetHoldings } from "./node-set-listing";
import { listRequestNodes } from "./node-set-listing";
import type { NodeInfo } from "./node-set-state";
import { isHealthy, isMember } from "./node-set-state";
import { groupIndexOf, groupInputs, groupName, groupRequestBase } from "./placement-group-names";

export { groupIndexOf, groupInputs, groupName, groupRequestBase };

/**
 * The most nodes one group of this bucket holds: `maxPlacementGroupSize`, and no more than
 * `maxPlacementGroupCoreSize` allows for its VM size.
 */
export function bucketGroupLimit(bucket: Bucket): number {
  const cores = Math.max(1, bucket.virtualMachine.vcpuCount);
  const byCores =
    bucket.maxPlacementGroupCoreSize === undefined
      ? Number.POSITIVE_INFINITY
      : Math.floor(bucket.maxPlacementGroupCoreSize / cores);
  return Math.max(0, Math.min(bucket.maxPlacementGroupSize, byCores));
}

/** How many nodes a set of `count` holds in each group when filled in order: e.g. 90 by 40 -> 40, 40, 10. */
export function groupCounts(count: number, size: number): number[] {
  const counts: number[] = [];
  for (let left = count; left > 0; left -= size) counts.push(Math.min(size, left));
  return counts;
}

/**
 * Where `n` new nodes go, given how many healthy nodes each group holds: the first groups with
 * room, in order, each up to `size`. Returns `[group index, nodes]` pairs.
 */
export function planGrowth(held: readonly number[], n: number, size: number): Array<[number, number]> {
  const plan: Array<[number, number]> = [];
  let left = n;
  for (let index = 0; left > 0; index++) {
    const room = Math.max(0, size - (held[index] ?? 0));
    if (room === 0) continue;
    const take = Math.min(room, left);
    plan.push([index, take]);
    left -= take;
  }
  return plan;
}

/** Healthy members per group index (nodes outside the set's groups are not counted). */
export function heldPerGroup(groups: PlacementGroups, nodes: readonly NodeInfo[]): number[] {
  const held: number[] = [];
  for (const node of nodes.filter(isHealthy)) {
    const index = groupIndexOf(groups, node.placementGroupId);
    if (index !== undefined) held[index] = (held[index] ?? 0) + 1;
  }
  return Array.from(held, (n) => n ?? 0);
}

/**
 * Chooses `n` of `members` to remove when the set shrinks: within the order of
 * {@link chooseNodesToRemove} (failed, then unfinished, then newest), a spread set empties its
 * last group first.
 */
export function chooseRemovals(inputs: NodeSetInputs, members: readonly NodeInfo[], n: number): NodeInfo[] {
  const groups = inputs.placementGroups;
  if (groups === undefined) return chooseNodesToRemove(members, n, inputs.baseRequestId);
  const indexOf = (node: NodeInfo) => groupIndexOf(groups, node.placementGroupId) ?? -1;
  const ordered = [...new Set(members.map(indexOf))].sort((a, b) => b - a);
  const chosen: NodeInfo[] = [];
  for (const index of ordered) {
    if (chosen.length >= n) break;
    const inGroup = members.filter((node) => indexOf(node) === index);
    const base = index < 0 ? inputs.baseRequestId : groupRequestBase(inputs.baseRequestId, index);
    chosen.push(...chooseNodesToRemove(inGroup, n - chosen.length, base));
  }
  return chosen;
}

/** The group size of a spread set: `size`, else the limit of the bucket its nodes go to. */
export async function groupSize(ctx: OperationContext): Promise<number> {
  const { inputs } = ctx;
  const groups = inputs.placementGroups;
  if (groups?.size !== undefined) return groups.size;
  const status = await (ctx.clusterStatus
    ? ctx.clusterStatus()
    : ctx.client.getClusterStatus(inputs.cluster));
  const bucket = findBucket(status, { nodearray: inputs.nodearray, machineType: inputs.machineType });
  const limit = bucket === undefined ? 0 : bucketGroupLimit(bucket);
  if (limit < 1) {
    throw new NodeSetInputError(
      `nodearray '${inputs.nodearray}' of cluster '${inputs.cluster}' has no bucket${inputs.machineType ? ` of ${inputs.machineType}` : ""} ` +
        "with a placement group size: set `placementGroups.size`",
    );
  }
  return limit;
}

/**
 * Creates `shortfall` nodes for the set, recording each request id in `holdings`: one request
 * with the set's own sequence, or for a spread set one request per group that has room (each with
 * its group's sequence, see {@link groupRequestBase}). Returns one outcome: `adopted` (with the
 * nodes) when any create adopted the nodes of an earlier, interrupted one, else `created` with
 * the nodes added over all groups.
 */
export async function createShortfall(
  ctx: OperationContext,
  holdings: SetHoldings,
  shortfall: number,
): Promise<CreateOutcome> {
  const groups = ctx.inputs.placementGroups;
  if (groups === undefined) {
    const outcome = await createWithSequence(ctx, holdings.requestIds, shortfall);
    holdings.requestIds.push(outcome.requestId);
    return outcome;
  }
  const size = await groupSize(ctx);
  const plan = planGrowth(heldPerGroup(groups, holdings.nodes), shortfall, size);
  const requestIds: string[] = [];
  const createdIds: string[] = [];
  const adopted: NodeInfo[] = [];
  const messages: string[] = [];
  let added = 0;
  for (const [index, nodes] of plan) {
    const groupCtx = { ...ctx, inputs: groupInputs(ctx.inputs, index) };
    const outcome = await createWithSequence(groupCtx, holdings.requestIds, nodes);
    holdings.requestIds.push(outcome.requestId);
    requestIds.push(outcome.requestId);
    if (outcome.kind === "adopted") {
      adopted.push(...outcome.nodes);
      continue;
    }
    ctx.log(
      `placement group '${groupName(groups, index)}': requested ${nodes} node(s), ${outcome.added} added`,
    );
    createdIds.push(outcome.requestId);
    added += outcome.added;
    if (outcome.message) messages.push(`${groupName(groups, index)}: ${outcome.message}`);
    // A group that took fewer than asked is full or out of capacity: the next `up` tries again.
    if (outcome.added < nodes) break;
  }
  const requestId = requestIds.join(", ");
  if (adopted.length > 0) {
    // The caller counts adopted nodes as held and asks again for the rest: the nodes the other
    // groups' requests just made must be counted too, or they would be asked for twice.
    for (const id of createdIds) {
      adopted.push(...((await listRequestNodes(ctx.client, ctx.inputs.cluster, id)) ?? []).filter(isMember));
    }
    return { kind: "adopted", requestId, nodes: adopted };
  }
  return messages.length > 0
    ? { kind: "created", requestId, added, message: messages.join("; ") }
    : { kind: "created", requestId, added };
}
