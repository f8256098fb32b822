/**
 * `diff`'s half of the set planner (plan-set.ts): an update's heal, counted from the state.
 */
import { capacityFit, describeFit, withAddedNodes } from "../capacity/index";
import { planConvergence } from "./convergence-plan";
import type { NodeSetInputs } from "./inputs";
import type { NodeSetState } from "./node-set-state";
import { isMember, targetCount } from "./node-set-state";
import { fitReport } from "./preflight-report";
import { canonicalJson } from "./request-id";
import { describeUpdate, updateFitRefusal, updateStartRefusal, warnable } from "./plan-texts";
import type { ClusterView, Ledger, SetPlan } from "./set-plan-types";
import { capacityInputsUnknown, nameOf, nodeSpecOf, nothing, observe } from "./set-plan-types";

/**
 * `diff`'s plan of an update (not a replacement): the nodes it creates beyond what `check` planned
 * for a larger `count`, counted from the state with the plan `converge` follows, less the room of
 * the members it terminates first (a failed or stuck node holds its room until it is gone; the
 * update waits for it); and, `count` unchanged, the warm-pool nodes it starts must fit the
 * nodearray's room (CycleCloud does not check it on a start).
 *
 * When `adoptExisting` changes it plans nothing: the update then adopts nodes the state does not
 * list yet, which this count would take for nodes to create; `check`'s plan lists them and decides.
 */
export function planUpdate(
  inputs: NodeSetInputs,
  state: NodeSetState,
  view: ClusterView,
  { run, key }: Ledger,
): SetPlan {
  if (inputs.preflight === "off" || capacityInputsUnknown(inputs)) return nothing();
  if (canonicalJson(state.adoptExisting ?? null) !== canonicalJson(inputs.adoptExisting ?? null))
    return nothing();
  const countUnchanged = state.count === inputs.count;
  // As `update` counts it: nodes forgotten (externalRemovals "forget") stay forgotten while `count` is unchanged.
  const forgottenCount = countUnchanged ? state.forgottenCount : undefined;
  const target = targetCount({ ...inputs, forgottenCount });
  const plan = planConvergence(state.nodes ?? [], target, inputs.readyTimeoutSeconds, view.now ?? Date.now());
  // Report mode: the preview would have stopped at this set's refused `check`.
  if (run.refusedInReport.has(key)) return nothing();
  const covered = run.plannedIncreases.get(key);
  // Nodes `check` listed beyond the state's members (of a create or grow that was interrupted after
  // CycleCloud committed it) are adopted by the update, not created: they hold their room already.
  const members = (state.nodes ?? []).filter(isMember).length;
  const unrecorded = covered?.held === undefined ? 0 : Math.max(0, covered.held - members);
  const need = plan.create - plan.replace.length - (covered?.nodes ?? 0) - unrecorded;
  const starts = countUnchanged ? plan.start.length : 0;
  if (need <= 0 && starts === 0) return nothing();

  if (view.status === undefined) return observe("status");
  // The update reads the cluster again and says what is wrong; a preview is no place to fail for it.
  if ("error" in view.status) return nothing();
  const { cacheKey } = view.status;
  let status = view.status.status;
  const spec = nodeSpecOf(inputs);
  const { cluster } = inputs;
  // Charged with every increase planned in this run against the same status, this set's own included.
  for (const planned of run.plannedIncreases.values()) {
    if (planned.cacheKey === cacheKey) status = withAddedNodes(status, planned.spec, planned.nodes);
  }
  const why = describeUpdate(plan, state, inputs);
  const fit = need > 0 ? capacityFit(status, spec, need) : undefined;
  const judged = (line: string, bindingLimit?: string) =>
    fitReport("diff", fit ?? capacityFit(status, spec, 0), { cluster, spec, line, bindingLimit });
  const refusal = (reason: string, bindingLimit?: string): SetPlan => ({
    ...nothing(),
    verdict: {
      fits: false,
      refusal: warnable([{ property: "count", reason }], [judged(reason, bindingLimit)]),
    },
  });
  if (fit !== undefined && !fit.fits) return refusal(updateFitRefusal(inputs, { fit, need, why }));
  if (starts > 0) {
    const refusedStart = updateStartRefusal(inputs, status, { starts, need, why });
    if (refusedStart !== undefined) return refusal(refusedStart, "nodearray room to start the warm pool");
  }
  if (fit === undefined) return nothing();
  const line = `preflight ${describeFit(inputs.cluster, spec, fit)}; ${why}`;
  const charge = { cacheKey, set: nameOf(inputs), spec, nodes: (covered?.nodes ?? 0) + need };
  return { ...nothing(), verdict: { fits: true, line, report: judged(line), charge } };
}
