/**
 * Carries out one step of converging a set (core/converge-step.ts decides it): the requests and
 * waits it names, in the set's holdings, and what it saw for the step function to read. The one
 * place converging calls the warm pool, the create protocol and the managing and waiting modules.
 */
import type { NodeInfo } from "../core/node-set-state";
import type { CreateSeen, Progress, Step } from "../core/converge-step";
import { deallocateIntoPool, startFromWarmPool } from "./warm-pool";
import { manageNodes, waitForSettled, waitUntilGone } from "./manage-and-wait";
import { createShortfall } from "./placement-group-plan";
import type { OperationContext, SetHoldings } from "./node-set-listing";
import { listHoldings } from "./node-set-listing";

/** Carries out `step` (any but `done`) on `holdings`; returns what it saw. */
export async function execute(
  ctx: OperationContext,
  holdings: SetHoldings,
  step: Exclude<Step, { kind: "done" }>,
): Promise<Partial<Progress>> {
  switch (step.kind) {
    case "log":
      ctx.log(step.line);
      return {};
    case "warn":
      ctx.warn(step.text);
      return {};
    case "start":
      return { poolLimit: (await startFromWarmPool(ctx, holdings, step.wanted)).shortBy };
    case "deallocate":
      await deallocateIntoPool(ctx, step.nodes);
      return {};
    case "terminate":
      ctx.log(step.line);
      await manageNodes(ctx, "terminate", step.nodes);
      markLeaving(holdings, step.nodes);
      return {};
    case "wait-gone": {
      if (step.line !== undefined) ctx.log(step.line);
      const stuck = await waitUntilGone(ctx, step.nodes, step.until, ctx.inputs.deleteTimeoutSeconds);
      if (step.markGone) for (const n of step.nodes) n.status = "Terminated";
      if (stuck.length > 0 && step.stuck !== undefined) ctx.warn(`${stuck.length} ${step.stuck}`);
      return {};
    }
    case "settle": {
      const result = await waitForSettled(ctx, holdings, step.target, ctx.inputs.readyTimeoutSeconds);
      holdings.nodes = without(result.nodes, step.except);
      return { settled: { timedOut: result.timedOut, abandoned: result.abandoned } };
    }
    case "create":
      return { created: await create(ctx, holdings, step.shortfall) };
    case "list": {
      const fresh = await listHoldings(ctx, holdings, { probeForward: false });
      holdings.nodes = without(fresh.nodes, step.except);
      return {};
    }
  }
}

/** Creates the shortfall (see placement-group-plan.ts); the nodes of an adopted create are held. */
async function create(ctx: OperationContext, holdings: SetHoldings, shortfall: number): Promise<CreateSeen> {
  const outcome = await createShortfall(ctx, holdings, shortfall);
  if (outcome.kind === "adopted") {
    holdings.nodes.push(...outcome.nodes.filter((n) => !holdings.nodes.some((h) => h.id === n.id)));
    return { adopted: true, requestId: outcome.requestId, added: 0, shortfall };
  }
  return {
    adopted: false,
    requestId: outcome.requestId,
    added: outcome.added,
    message: outcome.message,
    shortfall,
  };
}

function without(nodes: NodeInfo[], removed: readonly NodeInfo[]): NodeInfo[] {
  return nodes.filter((n) => !removed.some((r) => r.id === n.id));
}

/** Records `nodes` as terminating in `holdings` (asked to terminate, not gone yet). */
export function markLeaving(holdings: SetHoldings, nodes: readonly NodeInfo[]): void {
  const ids = new Set(nodes.map((n) => n.id));
  for (const node of holdings.nodes) if (ids.has(node.id)) node.status = "Terminating";
}
