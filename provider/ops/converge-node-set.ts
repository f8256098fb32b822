/**
 * How a node set reaches its `count`, shared by create and update: a loop that reads what the set
 * holds, asks the step function (core/converge-step.ts) what to do next and carries it out
 * (converge-execute.ts), and turns any failure after a node exists into a partial failure that
 * keeps every node in state. Adopting (`adoptExisting`) is in adopt-existing.ts. No module state:
 * everything comes through the operation context.
 */
import type { Operation } from "../core/failure-messages";
import { unfinishedMessage } from "../core/failure-messages";
import { NodeSetPartialFailure, UncertainCreateError } from "../core/errors";
import { nextStep, startOfConvergence } from "../core/converge-step";
import { surveyConvergence } from "../core/convergence-plan";
import type { OperationContext, SetHoldings } from "./node-set-listing";
import { errorText } from "../client";
import type { NodeSetState } from "../core/node-set-state";
import { isMember, nodeSetState } from "../core/node-set-state";
import { execute } from "./converge-execute";

// `check` adopts through this module (node-set-check.ts).
export { adopt } from "./adopt-existing";

/**
 * Brings the set to `count` healthy nodes and (if asked) waits until they are ready: removes
 * failed nodes, grows by starting the warm pool's deallocated nodes first, then with the next
 * request id; shrinks by terminating (or, `scaleDown: "deallocate"`, deallocating into the warm
 * pool) failed, unfinished, then newest nodes. Each step is decided by {@link nextStep} from what
 * the set holds, and carried out by {@link execute}. Mutates `holdings`; returns why the set did
 * not converge well enough to succeed (see `minReady`).
 */
export async function converge(
  ctx: OperationContext,
  holdings: SetHoldings,
  target: number,
): Promise<string[]> {
  const { inputs } = ctx;
  let progress = startOfConvergence();
  for (;;) {
    const survey = surveyConvergence(holdings.nodes, target, {
      inputs,
      now: ctx.now(),
      first: progress.plan,
    });
    const step = nextStep({ nodes: holdings.nodes, survey, target, inputs, progress });
    if (step.kind === "done") {
      if (step.partialAdd) holdings.partialAdd = step.partialAdd;
      return step.reasons;
    }
    const seen = await execute(ctx, holdings, step);
    progress = { ...progress, ...step.then, ...seen };
  }
}

/**
 * {@link converge}, but an error after the set made a create request (a listing that fails while
 * waiting, a terminate refused) becomes a partial failure carrying every request id and node known
 * so far: the nodes are recorded in state rather than lost.
 */
export async function convergeKeepingTrack(
  ctx: OperationContext,
  holdings: SetHoldings,
  { op, id, target }: { op: Operation; id: string; target: number },
): Promise<string[]> {
  const before = holdings.requestIds.length;
  try {
    return await converge(ctx, holdings, target);
  } catch (error) {
    if (error instanceof UncertainCreateError && !holdings.requestIds.includes(error.requestId))
      holdings.requestIds.push(error.requestId);
    if (holdings.requestIds.length === before && holdings.nodes.length === 0) throw error;
    const state = nodeSetState(ctx.inputs, holdings);
    const reason = errorText(error).replace(/\.$/, "");
    const holds = { nodes: state.nodes.length, ready: state.readyCount };
    const message = unfinishedMessage({ op, cluster: ctx.inputs.cluster, reasons: [reason], holds, error });
    // The engine shows the reasons of a partial failure, not its message: give it the whole story.
    throw new NodeSetPartialFailure(message, id, state, [message]);
  }
}

/**
 * With `externalRemovals: "forget"`, the members the state lists that something else has removed
 * since (this set removes only nodes it drops from state first), added to those forgotten before,
 * unless `count` changed since: a new `count` is a new size, counted from what the set holds.
 */
export function forgottenNodes(ctx: OperationContext, olds: NodeSetState, holdings: SetHoldings): number {
  const { inputs } = ctx;
  if (inputs.externalRemovals !== "forget" || olds.count !== inputs.count) return 0;
  const live = new Set(holdings.nodes.filter(isMember).map((n) => n.id));
  const removed = (olds.nodes ?? []).filter((n) => isMember(n) && !live.has(n.id));
  if (removed.length > 0)
    ctx.log(
      `${removed.length} node(s) removed outside Pulumi, forgotten (externalRemovals: "forget"): ${removed.map((n) => n.name).join(", ")}`,
    );
  return (olds.forgottenCount ?? 0) + removed.length;
}
