/**
 * Terminating every node a set holds (its delete with `onDelete: "terminate"`) in two listings
 * when the nodes go at once: the probe for requests an interrupted create left, then one listing
 * of everything the set holds, which both confirms the terminate and finds any node the state
 * lacked (a partial failure may record a request without all its nodes): those are terminated
 * then too, so nothing is orphaned. Nodes another set of the stack holds are spared (`spare`).
 * No Pulumi here.
 */
import { logKeptRecords, manageNodes, waitUntilGone } from "./manage-and-wait";
import type { OperationContext } from "./node-set-listing";
import { listHoldings, probeForward } from "./node-set-listing";
import type { NodeInfo, NodeSetState } from "../core/node-set-state";
import { isMember, nodePhase } from "../core/node-set-state";

/**
 * Terminates the set's nodes and waits until they are gone (or `timeoutSeconds` passed); returns
 * those still not terminated.
 */
export async function terminateSet(
  ctx: OperationContext,
  state: Pick<NodeSetState, "requestIds" | "adoptedNodeIds" | "nodes">,
  options: {
    timeoutSeconds: number;
    /** Called once the first terminate was sent (or failed). */
    onTerminate: () => void;
    /** The nodes of those given that no other set of the stack holds. */
    spare: (nodes: NodeInfo[]) => NodeInfo[];
  },
): Promise<NodeInfo[]> {
  const { timeoutSeconds, onTerminate, spare } = options;
  const probed = await probeForward(ctx, state.requestIds, { fate: "terminating them with the set" });
  // The state's node ids (a terminate of an id that is gone selects nothing) and those the probe found.
  const known = new Map([...(state.nodes ?? []), ...probed.nodes].map((n) => [n.id, n]));
  const targets = spare([...known.values()].filter(isMember));
  const terminated = new Set(targets.map((n) => n.id));
  if (targets.length > 0) {
    ctx.log(`terminating ${targets.length} node(s): ${targets.map((n) => n.name).join(", ")}`);
    await manageNodes(ctx, "terminate", targets).finally(onTerminate);
  }
  // One listing of everything the set holds: every node of its requests (not only those the state
  // names) and those adopted by id.
  const holdings = await listHoldings(
    ctx,
    { requestIds: [...state.requestIds, ...probed.requestIds], adoptedNodeIds: state.adoptedNodeIds },
    { probeForward: false },
  );
  const missed = spare(holdings.nodes.filter((n) => isMember(n) && !terminated.has(n.id)));
  if (missed.length > 0) {
    ctx.log(
      `terminating ${missed.length} more node(s) the state did not list: ${missed.map((n) => n.name).join(", ")}`,
    );
    await manageNodes(ctx, "terminate", missed).finally(onTerminate);
  }
  // Nodes another set of the stack holds are left to it (`spare`): not waited for.
  const ours = holdings.nodes.filter((n) => terminated.has(n.id) || missed.includes(n) || !isMember(n));
  if (!ours.some((n) => nodePhase(n) !== "gone")) {
    logKeptRecords(ctx, ours);
    return [];
  }
  // Kept records (Fixed nodes) go along, so the wait names them when it ends.
  const pending = ours.filter((n) => nodePhase(n) !== "gone" || n.recordKept === true);
  return waitUntilGone(ctx, pending, "Terminated", timeoutSeconds);
}
