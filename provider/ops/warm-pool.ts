/**
 * The set's warm pool (`scaleDown: "deallocate"`): deallocated nodes the set keeps, started first
 * when `count` grows. CycleCloud does not apply the nodearray's limits when it starts deallocated
 * nodes, so the set applies them itself before asking.
 */
import { nodearrayRoom } from "../capacity/planned-status";
import { manageNodes } from "./manage-and-wait";
import type { OperationContext, SetHoldings } from "./node-set-listing";
import type { NodeInfo } from "../core/node-set-state";
import { byName, isMember, nodePhase } from "../core/node-set-state";

/**
 * Starts up to `wanted` nodes of the warm pool, as many as the nodearray's limits allow (read
 * fresh: other sets may have grown). Marks the started nodes `Acquiring`; returns them, and why
 * fewer than wanted were started.
 */
export async function startFromWarmPool(
  ctx: OperationContext,
  holdings: SetHoldings,
  wanted: number,
): Promise<{ started: NodeInfo[]; shortBy?: string }> {
  // The set's deallocated members, oldest name first (the order they are started in).
  const pool = holdings.nodes.filter((n) => isMember(n) && nodePhase(n) === "deallocated").sort(byName);
  const asked = Math.min(wanted, pool.length);
  if (asked <= 0) return { started: [] };
  const status = await ctx.client.getClusterStatus(ctx.inputs.cluster);
  const machineType = ctx.inputs.machineType ?? pool[0]?.machineType;
  const room = nodearrayRoom(status, { nodearray: ctx.inputs.nodearray, machineType });
  const allowed = room === undefined ? asked : Math.min(asked, room.room);
  const started = pool.slice(0, allowed);
  if (started.length > 0) {
    ctx.log(`starting ${started.length} deallocated node(s): ${started.map((n) => n.name).join(", ")}`);
    await manageNodes(ctx, "start", started);
    for (const node of started) node.status = "Acquiring";
  }
  if (allowed < asked && room !== undefined) {
    const shortBy =
      `the ${room.limit} leaves room to start ${allowed} of ${asked} deallocated node(s) ` +
      "(CycleCloud does not check it when starting deallocated nodes; the set does)";
    ctx.log(shortBy);
    return { started, shortBy };
  }
  return { started };
}
