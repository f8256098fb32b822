/**
 * The engine's `delete` of a node set: terminate its nodes (the warm pool too), or with
 * `onDelete: "deallocate"` deallocate them and say how to adopt them back, then wait until they
 * are gone. Nodes another set of the run holds are left to it.
 */
import { keptNodesNotice } from "../core/adoption-ownership";
import type { Operation } from "../core/failure-messages";
import type { NodeSetInputs } from "../core/inputs";
import { pickInputs } from "../core/inputs-pick";
import type { NodeInfo, NodeSetState } from "../core/node-set-state";
import { nodePhase } from "../core/node-set-state";
import { manageNodes, waitUntilGone } from "../ops/manage-and-wait";
import { listHoldings, setName } from "../ops/node-set-listing";
import { terminateSet } from "../ops/terminate-set";
import { failure } from "./node-set-outcome";
import type { ProviderContext } from "./provider-context";

/** `delete`: terminates (or deallocates) the set's nodes, leaving those another set of the run holds. */
export async function deleteSet(provider: ProviderContext, _id: string, props: NodeSetState): Promise<void> {
  const inputs = pickInputs(props);
  const ctx = provider.operation(inputs);
  const deallocate = inputs.onDelete === "deallocate";
  const action = deallocate ? "deallocate" : "terminate";
  const op: Operation = { kind: "delete", set: setName(inputs), action };
  const where = { cluster: inputs.cluster, held: props.nodes?.length ?? 0 };
  const spare = sparingOthers(provider, inputs);
  let remaining: NodeInfo[];
  try {
    if (!deallocate) {
      // Probe, terminate (the warm pool too), then one listing that confirms and finds what the state lacked.
      remaining = await terminateSet(ctx, props, {
        timeoutSeconds: inputs.deleteTimeoutSeconds,
        onTerminate: () => provider.forgetStatusOf(inputs),
        spare,
      });
    } else {
      const holdings = await listHoldings(ctx, props, {
        probeForward: true,
        fate: "deallocating them with the set",
      });
      // Nodes another set of the stack holds are left to it.
      const present = spare(holdings.nodes.filter((n) => nodePhase(n) !== "gone"));
      const live = present.filter((n) => nodePhase(n) !== "leaving");
      // The warm pool (`scaleDown: "deallocate"`) goes with the set; the rest is deallocated.
      const pool =
        inputs.scaleDown === "deallocate" ? live.filter((n) => nodePhase(n) === "deallocated") : [];
      const targets = live.filter((n) => nodePhase(n) !== "deallocated");
      try {
        if (targets.length > 0) {
          ctx.log(`deallocating ${targets.length} node(s)`);
          await manageNodes(ctx, "deallocate", targets);
        }
        if (pool.length > 0) {
          ctx.log(`terminating ${pool.length} node(s) of the warm pool`);
          await manageNodes(ctx, "terminate", pool);
        }
      } finally {
        provider.forgetStatusOf(inputs);
      }
      const kept = live.filter((n) => !pool.includes(n));
      if (kept.length > 0) ctx.warn(keptNodesNotice(inputs, kept, props.adoptedNodeIds ?? []));
      const pending = present.filter((n) => !pool.includes(n));
      remaining = [
        ...(await waitUntilGone(ctx, pool, "Terminated", inputs.deleteTimeoutSeconds)),
        ...(await waitUntilGone(ctx, pending, "Deallocated", inputs.deleteTimeoutSeconds)),
      ];
    }
  } catch (error) {
    throw failure(op, error, where);
  }
  if (remaining.length > 0) {
    const cause = new Error(
      `${remaining.length} node(s) still not ${deallocate ? "deallocated" : "terminated"} after ${inputs.deleteTimeoutSeconds}s ` +
        `(${remaining.map((n) => `${n.name}: ${n.status}`).join(", ")})`,
    );
    const step = "run `pulumi destroy` again, or raise `deleteTimeoutSeconds`";
    throw failure(op, cause, { ...where, step });
  }
}

/**
 * What a delete leaves alone: of `nodes`, those another set of the stack holds or adopts in this
 * run (they are its own: a node belongs to one set) are dropped, with a line naming them.
 */
function sparingOthers(provider: ProviderContext, inputs: NodeSetInputs): (nodes: NodeInfo[]) => NodeInfo[] {
  const where = provider.claiming(inputs);
  // A terminate spares twice (the nodes it knows, then those its listing finds): each node is named once.
  const named = new Set<string>();
  return (nodes) => {
    const byHolder = new Map<string, NodeInfo[]>();
    const ours: NodeInfo[] = [];
    for (const node of nodes) {
      const ids = { nodeId: node.id, ...(node.requestId === undefined ? {} : { requestId: node.requestId }) };
      const holder = provider.claims.holderOf(where, ids, inputs.identity);
      if (holder === undefined) ours.push(node);
      else if (!named.has(node.id)) {
        named.add(node.id);
        byHolder.set(holder, [...(byHolder.get(holder) ?? []), node]);
      }
    }
    for (const [holder, left] of byHolder) {
      provider.warn(
        inputs,
        `leaving ${left.length} node(s) that ${holder} of this stack holds too (${left.map((n) => n.name).join(", ")}): ` +
          "a node belongs to one set, and the other set keeps them",
      );
    }
    return ours;
  };
}
