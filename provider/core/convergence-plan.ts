/**
 * What converging a set to its target does to its members, decided before any request: which
 * members it terminates and replaces, how many healthy nodes are then missing, which nodes of the
 * warm pool it starts first and how many it creates. The one place that counts it: converging
 * follows it against the live listing (each step surveyed here, decided in converge-step.ts), and
 * the preview's preflight of an update (plan-update.ts) against the state, so the preview counts
 * what `up` will do.
 */
import { isCapacityFailure } from "./failure-messages";
import type { NodeSetInputs } from "./inputs";
import type { NodeInfo } from "./node-set-state";
import { chooseRemovals } from "./placement-groups";
import { byName, isHealthy, isMember, isStuck, minReadyOf, nodePhase } from "./node-set-state";

export interface ConvergencePlan {
  /** Members terminated first: failed, stuck past `readyTimeoutSeconds`, or that cannot come. */
  replace: NodeInfo[];
  /** Of those, how many get a replacement (the rest are beyond the target). */
  replaced: number;
  /** Of those, how many cannot come (see {@link cannotCome}). */
  abandoned: number;
  /** Healthy nodes missing after the heal step: `target` minus the healthy members left. */
  missing: number;
  /** Deallocated members started before any create (the warm pool, oldest name first). */
  start: NodeInfo[];
  /** Healthy members beyond the target after the heal step: the shrink removes that many. */
  excess: number;
  /**
   * Nodes created: those missing that the warm pool does not give. (Before the nodearray's room
   * limits a start, which `converge` reads fresh: the nodes it cannot start are not created either.)
   */
  create: number;
}

export function planConvergence(
  nodes: readonly NodeInfo[],
  target: number,
  readyTimeoutSeconds: number,
  now: number,
): ConvergencePlan {
  const members = nodes.filter(isMember);
  const abandoned = cannotCome(members);
  const replace = nodesToReplace(members, { abandoned, readyTimeoutSeconds, now });
  const left = members.filter((n) => isHealthy(n) && !replace.includes(n)).length;
  const missing = Math.max(0, target - left);
  const pool = members.filter((n) => nodePhase(n) === "deallocated").sort(byName);
  const start = pool.slice(0, missing);
  return {
    replace,
    replaced: Math.min(replace.length, missing),
    abandoned: abandoned.length,
    missing,
    start,
    excess: Math.max(0, left - target),
    create: missing - start.length,
  };
}

/**
 * Which healthy members the shrink removes (`plan.excess` of them, those the heal step keeps):
 * failed, unfinished, then newest, a spread set's last group first (see chooseRemovals).
 */
export function excessMembers(
  plan: ConvergencePlan,
  nodes: readonly NodeInfo[],
  inputs: Pick<NodeSetInputs, "placementGroups" | "baseRequestId">,
): NodeInfo[] {
  const kept = nodes.filter((n) => isMember(n) && isHealthy(n) && !plan.replace.includes(n));
  return chooseRemovals(inputs, kept, plan.excess);
}

/**
 * The members the heal step terminates: failed ones, ones stuck past `readyTimeoutSeconds`, and
 * ones that cannot come (still acquiring in a request another of whose nodes failed for capacity).
 */
function nodesToReplace(
  members: NodeInfo[],
  {
    abandoned,
    readyTimeoutSeconds,
    now,
  }: { abandoned: NodeInfo[]; readyTimeoutSeconds: number; now: number },
): NodeInfo[] {
  return members.filter(
    (n) => nodePhase(n) === "failed" || isStuck(n, readyTimeoutSeconds, now) || abandoned.includes(n),
  );
}

/**
 * Fail fast: members still acquiring (no VM, no address) of a create request another of whose
 * nodes failed for want of capacity or allocation. That VM cannot come now; waiting for it would
 * only run into `readyTimeoutSeconds`.
 */
export function cannotCome(members: readonly NodeInfo[]): NodeInfo[] {
  const hit = new Set(
    members
      .filter((n) => nodePhase(n) === "failed" && isCapacityFailure(n.statusMessage))
      .map((n) => n.requestId ?? ""),
  );
  if (hit.size === 0) return [];
  return members.filter(
    (n) =>
      nodePhase(n) === "provisioning" &&
      !n.privateIp &&
      (n.status === "Acquiring" || n.status === "Allocation") &&
      hit.has(n.requestId ?? ""),
  );
}

/** What converging reads in the set's nodes at one step (see converge-step.ts). */
export interface ConvergenceSurvey {
  /** The plan of converging the nodes as they are now. */
  plan: ConvergencePlan;
  /** The members the shrink removes, by the first plan of the run (`first`, else `plan`). */
  shrink: NodeInfo[];
  /** The healthy members beyond the target by the plan of now (an overshoot after adopting). */
  beyond: NodeInfo[];
  /** Healthy members (ready or provisioning), and those ready, provisioning and failed. */
  healthy: number;
  ready: number;
  provisioning: number;
  failed: NodeInfo[];
  /** The ready nodes the set needs to succeed (`minReady`, at most the target). */
  minReady: number;
}

/** The survey of `nodes` for converging to `target` (see {@link ConvergenceSurvey}). */
export function surveyConvergence(
  nodes: readonly NodeInfo[],
  target: number,
  { inputs, now, first }: { inputs: NodeSetInputs; now: number; first?: ConvergencePlan | undefined },
): ConvergenceSurvey {
  const plan = planConvergence(nodes, target, inputs.readyTimeoutSeconds, now);
  const members = nodes.filter(isMember);
  const phases = members.map(nodePhase);
  return {
    plan,
    shrink: excessMembers(first ?? plan, nodes, inputs),
    beyond: excessMembers(plan, nodes, inputs),
    healthy: members.filter(isHealthy).length,
    ready: phases.filter((phase) => phase === "ready").length,
    provisioning: phases.filter((phase) => phase === "provisioning").length,
    failed: members.filter((n) => nodePhase(n) === "failed"),
    minReady: minReadyOf(inputs, target),
  };
}
