/**
 * Spreading a set over placement groups (`placementGroups: { prefix, size }`): the groups are
 * `<prefix>0`, `<prefix>1`, ..., each holding at most `size` nodes, filled in order and emptied
 * from the last. Which group each new node goes into, which nodes a shrink removes, the request
 * ids of each group's creates, and the per-group counts of the output. Without `placementGroups`
 * every function here does what a single-group set does.
 */
import { findBucket } from "../capacity/index";
import type { CreateOutcome } from "./create-protocol";
import { createWithSequence } from "./create-protocol";
import type { OperationContext, SetHoldings } from "./node-set-listing";
import { listRequestNodes } from "./node-set-listing";
import type { NodeInfo } from "../core/node-set-state";
import { isMember } from "../core/node-set-state";
import { groupInputs, groupName, planGrowth, heldPerGroup, bucketGroupLimit } from "../core/placement-groups";

/** The group size of a spread set: `size`, else the limit of the bucket its nodes go to. */
async function groupSize(ctx: OperationContext): Promise<number> {
  const { inputs } = ctx;
  if (inputs.placementGroups?.size !== undefined) return inputs.placementGroups.size;
  const status = await ctx.clusterStatus();
  const bucket = findBucket(status, { nodearray: inputs.nodearray, machineType: inputs.machineType });
  const limit = bucket === undefined ? 0 : bucketGroupLimit(bucket);
  if (limit < 1) {
    throw new Error(
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
  // A set without groups makes one request, with its own sequence.
  const size = groups === undefined ? 0 : await groupSize(ctx);
  const plan: Array<[number, number]> =
    groups === undefined
      ? [[0, shortfall]]
      : planGrowth(heldPerGroup(groups, holdings.nodes), shortfall, size);
  const requestIds: string[] = [];
  const createdIds: string[] = [];
  const adopted: NodeInfo[] = [];
  const messages: string[] = [];
  let added = 0;
  for (const [index, nodes] of plan) {
    const groupCtx = groups === undefined ? ctx : { ...ctx, inputs: groupInputs(ctx.inputs, index) };
    const outcome = await createWithSequence(groupCtx, holdings.requestIds, nodes);
    holdings.requestIds.push(outcome.requestId);
    if (groups === undefined) return outcome;
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
