/**
 * Carries out one step of converging a set (core/converge-step.ts decides it): the requests and
 * waits it names, in the set's holdings, and what it saw for the step function to read. The one
 * place converging calls the warm pool, the create protocol and the managing and waiting modules.
 */
import type { Progress, Step } from "../core/converge-step";
import { startFromWarmPool } from "./warm-pool";
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
    case "warn":
      ctx.warn(step.text);
      return {};
    case "start":
      return { poolLimit: (await startFromWarmPool(ctx, holdings, step.wanted)).shortBy };
    case "deallocate":
    case "terminate": {
      ctx.log(step.line);
      await manageNodes(ctx, step.kind, step.nodes);
      // Asked to, not done yet: deallocating (kept as the warm pool), or terminating.
      const ids = new Set(step.nodes.map((n) => n.id));
      const status = step.kind === "deallocate" ? "Stopping" : "Terminating";
      for (const node of holdings.nodes) if (ids.has(node.id)) node.status = status;
      return {};
    }
    case "wait-gone": {
      if (step.line !== undefined) ctx.log(step.line);
      const stuck = await waitUntilGone(ctx, step.nodes, step.until, ctx.inputs.deleteTimeoutSeconds);
      if (step.markGone) for (const n of step.nodes) n.status = "Terminated";
      if (stuck.length > 0 && step.stuck !== undefined) ctx.warn(`${stuck.length} ${step.stuck}`);
      return {};
    }
    case "list":
    case "settle": {
      const fresh = await listHoldings(ctx, holdings, { probeForward: false });
      holdings.nodes = fresh.nodes.filter((n) => !step.except.some((r) => r.id === n.id));
      if (step.kind === "list") return {};
      if (!step.wait) return { settled: null };
      const result = await waitForSettled(ctx, holdings, step.target, ctx.inputs.readyTimeoutSeconds);
      holdings.nodes = result.nodes.filter((n) => !step.except.some((r) => r.id === n.id));
      return { settled: { timedOut: result.timedOut, abandoned: result.abandoned } };
    }
    case "create": {
      const { shortfall } = step;
      const outcome = await createShortfall(ctx, holdings, shortfall);
      const { requestId } = outcome;
      if (outcome.kind === "created") {
        ctx.log(`requested ${shortfall} node(s) as ${requestId}: ${outcome.added} added`);
        return {
          created: { adopted: false, requestId, added: outcome.added, message: outcome.message, shortfall },
        };
      }
      holdings.nodes.push(...outcome.nodes.filter((n) => !holdings.nodes.some((h) => h.id === n.id)));
      return { created: { adopted: true, requestId, added: 0, shortfall } };
    }
  }
}
