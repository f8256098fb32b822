import { sequenceOf } from "./request-id";
import type { NodeInfo, NodePhase } from "./node-set-state";
import { byName, nodePhase } from "./node-set-state";

/** Which healthy-or-not members go first when a set shrinks: broken, then unfinished, then ready. */
const REMOVAL_ORDER: Record<NodePhase, number> = {
  failed: 0,
  deallocated: 1,
  provisioning: 2,
  ready: 3,
  leaving: 4,
  gone: 4,
};

/**
 * Chooses `n` of `members` to remove when a set shrinks: failed nodes first, then deallocated,
 * then nodes not yet ready, then the newest ready nodes (highest request sequence, then highest
 * name index). Pure and deterministic.
 */
export function chooseNodesToRemove(members: readonly NodeInfo[], n: number, base: string): NodeInfo[] {
  if (n <= 0) return [];
  const age = (node: NodeInfo) => (node.requestId ? (sequenceOf(base, node.requestId) ?? -1) : -1);
  const ordered = [...members].sort(
    (a, b) => REMOVAL_ORDER[nodePhase(a)] - REMOVAL_ORDER[nodePhase(b)] || age(b) - age(a) || byName(b, a),
  );
  return ordered.slice(0, n);
}
