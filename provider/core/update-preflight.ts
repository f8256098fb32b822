/**
 * The preflight of an update that creates nodes its `count` does not ask for: replacements of
 * failed, stuck or missing nodes (an `up` heals the set even with `count` unchanged). `check`
 * cannot see them (it compares old and new inputs); `diff` gets the state, so it runs there and
 * counts, from the state's nodes, what the update will do with the same plan `converge` follows
 * (convergence-plan.ts): the nodes it creates, less the room of the members it terminates first (a
 * failed or stuck node holds its room until it is gone; the update waits for it), less what
 * `check` already planned for a larger `count`; and, `count` unchanged, the warm-pool nodes it
 * starts must fit the nodearray's room (CycleCloud does not check it on a start).
 *
 * When `adoptExisting` changes it stays silent: the update then adopts nodes the state does not
 * list yet, which this count would take for nodes to create. `check`'s preflight lists the nodes
 * the set holds and adopts, and is the one that decides (and prints the fit) for such an update.
 */
import type { NodeSpec } from "../capacity/index";
import { capacityFit, describeFit, withAddedNodes } from "../capacity/index";
import type { ClusterStatus } from "../../wire/schemas";
import type { ConvergencePlan } from "./convergence-plan";
import { planConvergence } from "./convergence-plan";
import type { NodeSetInputs } from "./inputs";
import type { PreflightSources } from "./node-set-preflight";
import { asWarning, capacityInputsUnknown, fitReport, refusedInReport } from "./node-set-preflight";
import { canonicalJson } from "./request-id";
import type { NodeInfo, NodeSetState } from "./node-set-state";
import { isMember, nodePhase, targetCount } from "./node-set-state";
import type { RunPlan } from "./run-plan";
import { nodearrayRoom } from "../capacity/planned-status";

/**
 * Whether the update of a set (not a replacement) fits the cluster, counting the nodes it
 * re-creates. Returns the refusal (with `preflight: "enforce"`); logs the fit, or with `"warn"`
 * the refusal as a warning. `inputs` are the checked new inputs, `state` the set's state.
 */
export async function updatePreflight(
  state: NodeSetState,
  inputs: NodeSetInputs,
  sources: Pick<PreflightSources, "status" | "log" | "warn" | "report">,
  run: RunPlan,
  now: number,
): Promise<string | undefined> {
  if (inputs.preflight === "off" || capacityInputsUnknown(inputs)) return undefined;
  if (canonicalJson(state.adoptExisting ?? null) !== canonicalJson(inputs.adoptExisting ?? null))
    return undefined;
  const countUnchanged = state.count === inputs.count;
  // As `update` counts it: nodes forgotten (externalRemovals "forget") stay forgotten while `count` is unchanged.
  const forgottenCount = countUnchanged ? state.forgottenCount : undefined;
  const target = targetCount({ ...inputs, forgottenCount });
  const plan = planConvergence(state.nodes ?? [], target, inputs.readyTimeoutSeconds, now);
  const key = run.planKey(inputs);
  // Report mode: the preview would have stopped at this set's refused `check`.
  if (sources.report && refusedInReport(run, key)) return undefined;
  const covered = run.plannedIncreases.get(key);
  // Nodes `check` listed beyond the state's members (of a create or grow that was interrupted after
  // CycleCloud committed it) are adopted by the update, not created: they hold their room already.
  const members = (state.nodes ?? []).filter(isMember).length;
  const unrecorded = covered?.held === undefined ? 0 : Math.max(0, covered.held - members);
  const need = plan.create - plan.replace.length - (covered?.nodes ?? 0) - unrecorded;
  const starts = countUnchanged ? plan.start.length : 0;
  if (need <= 0 && starts === 0) return undefined;

  let status: ClusterStatus;
  let cacheKey: string;
  try {
    ({ status, cacheKey } = await sources.status(inputs));
  } catch {
    // The update reads the cluster again and says what is wrong; a preview is no place to fail for it.
    return undefined;
  }
  const spec: NodeSpec = {
    nodearray: inputs.nodearray,
    machineType: inputs.machineType,
    placementGroupId: inputs.placementGroupId,
  };
  // Charged with every increase planned in this run against the same status, this set's own included.
  for (const planned of run.plannedIncreases.values()) {
    if (planned.cacheKey === cacheKey) status = withAddedNodes(status, planned.spec, planned.nodes);
  }
  const why = describeUpdate(plan, state, inputs);
  const fit = need > 0 ? capacityFit(status, spec, need) : undefined;
  const refusal = (reason: string, bindingLimit?: string): string | undefined => {
    if (sources.report) {
      // Report mode: the refusal as data; the preview goes on.
      const judged = fit ?? capacityFit(status, spec, 0);
      const limit = bindingLimit === undefined ? undefined : { bindingLimit };
      sources.report(inputs, fitReport("diff", inputs.cluster, spec, judged, reason, limit));
      return undefined;
    }
    if (inputs.preflight !== "warn") return reason;
    sources.warn(inputs, asWarning(reason));
    return undefined;
  };
  if (fit !== undefined && !fit.fits) {
    const fix =
      fit.problem === undefined
        ? `${fit.binding.fix ?? "free capacity in the cluster"}, lower \`count\` to at most ${Math.max(0, inputs.count - (need - fit.available))}, ` +
          'or set `preflight: "warn"` to try anyway'
        : `fix \`${fit.problemField}\``;
    return refusal(`preflight ${describeFit(inputs.cluster, spec, fit)}; ${why}: ${fix}`);
  }
  if (starts > 0) {
    const room = nodearrayRoom(status, { nodearray: inputs.nodearray, machineType: inputs.machineType });
    const wanted = starts + Math.max(0, need);
    if (room !== undefined && room.room < wanted) {
      return refusal(
        `preflight ${inputs.cluster}/${inputs.nodearray}: ${why}, which needs room for ${wanted} node(s) but the ${room.limit} ` +
          `leaves ${room.room} (CycleCloud does not check it when starting deallocated nodes; the set does): raise the ` +
          `nodearray's limit, lower \`count\` to at most ${inputs.count - (wanted - room.room)}, or set \`preflight: "warn"\` to try anyway`,
        "nodearray room to start the warm pool",
      );
    }
  }
  if (fit !== undefined) {
    run.plannedIncreases.set(key, { cacheKey, spec, nodes: (covered?.nodes ?? 0) + need });
    const line = `preflight ${describeFit(inputs.cluster, spec, fit)}; ${why}`;
    sources.log(inputs, line);
    sources.report?.(inputs, fitReport("diff", inputs.cluster, spec, fit, line));
  }
  return undefined;
}

/**
 * What the update does beyond `count`, for the preflight's line: e.g. `the update creates 2 node(s)
 * with \`count\` 3 unchanged: 1 replacing failed ondemand-1 (its room is reused once terminated), 1
 * replacing a node missing from the set`.
 */
function describeUpdate(plan: ConvergencePlan, state: NodeSetState, inputs: NodeSetInputs): string {
  const grown = Math.max(0, inputs.count - state.count);
  const count =
    grown === 0 && state.count === inputs.count
      ? `\`count\` ${inputs.count} unchanged`
      : `\`count\` ${state.count} -> ${inputs.count}`;
  const parts: string[] = [];
  if (plan.replaced > 0) {
    const replaced = plan.replace.slice(0, plan.replaced);
    parts.push(
      `${plan.replaced} replacing ${describeReplaced(replaced)} ${names(replaced)} ` +
        `(${plan.replaced === 1 ? "its room is" : "their room is"} reused once terminated)`,
    );
  }
  const fromCount = Math.min(grown, plan.create - plan.replaced);
  const missing = plan.create - plan.replaced - fromCount;
  if (missing > 0) {
    parts.push(
      `${missing} replacing node(s) missing from the set (removed outside Pulumi; see \`externalRemovals\`)`,
    );
  }
  if (fromCount > 0) parts.push(`${fromCount} for the larger \`count\``);
  const actions = [
    plan.create > 0 ? `creates ${plan.create} node(s)` : "",
    plan.start.length > 0
      ? `starts ${plan.start.length} deallocated node(s) of its warm pool (${names(plan.start)})`
      : "",
  ].filter(Boolean);
  return `the update ${actions.join(" and ")} with ${count}${parts.length > 0 ? `: ${parts.join(", ")}` : ""}`;
}

function describeReplaced(nodes: readonly NodeInfo[]): string {
  const failed = nodes.filter((n) => nodePhase(n) === "failed").length;
  if (failed === nodes.length) return "failed";
  return failed === 0 ? "stuck" : "failed or stuck";
}

function names(nodes: readonly NodeInfo[]): string {
  return nodes.map((n) => n.name).join(", ");
}
