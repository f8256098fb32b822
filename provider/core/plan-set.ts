/**
 * The one planner of a set's capacity: `planSet(change, view, ledger)` decides, without any I/O,
 * how many nodes a change creates in the set's bucket, whether they fit every limit layer after
 * what the run planned before it (the ledger), and, when not, the refusal with its fix. Both
 * preflights use it: `check`'s (the inputs' increase: a new set, a replacement, a larger `count`)
 * and `diff`'s (an update's heal from the state: failed, stuck or missing nodes re-created, the warm
 * pool started; see convergence-plan.ts, which `converge` follows too).
 *
 * When it needs a fact of the cluster that the view lacks (the status, what the set holds...), it
 * answers `{ kind: "observe", what }`: the caller reads it and plans again with it (see
 * node-set-preflight.ts). It asks in the order the decisions need them, and only when they do.
 */
import type { CapacityFit } from "../capacity/index";
import { capacityFit, describeFit, findBucket, sharesFamilyQuota, withAddedNodes } from "../capacity/index";
import { errorText } from "../../wire/util/server-text";
import { foreignRequestIdProblem } from "./adoption-ownership";
import { containsUnknown } from "./inputs-unknown";
import type { GroupHoldings } from "./placement-group-preflight";
import { filledGroups, placementGroupProblems } from "./placement-group-preflight";
import { fitReport } from "./preflight-report";
import { canonicalJson, replacementKeyOf } from "./request-id";
import type { ClusterView, Ledger, PlannedSet, Refusal, SetPlan } from "./set-plan-types";
import { capacityInputsUnknown, nameOf, nodeSpecOf, nothing, observe, refused } from "./set-plan-types";
import { planUpdate } from "./plan-update";
import type { SetChange } from "./set-change";
import { countRefusal, statusRefusal, warmPoolRefusal, warnable } from "./plan-texts";

/** The plan of a change: `diff`'s when the change carries the set's state, else `check`'s. */
export function planSet(change: SetChange, view: ClusterView, ledger: Ledger): SetPlan {
  return change.kind === "update" && change.state !== undefined
    ? planUpdate(change.inputs, change.state, view, ledger)
    : planIncrease(change, view, ledger);
}

/**
 * `check`'s plan: the increase the inputs ask for (less what the set already holds, when that is
 * known and matters), charged after the run's earlier increases.
 */
function planIncrease(change: SetChange, view: ClusterView, { run, key }: Ledger): SetPlan {
  const { inputs } = change;
  const prior = change.kind === "create" ? undefined : change.prior;
  const warnings: string[] = [];
  const refuse = (property: string, reason: string) =>
    refused({ failures: [{ property, reason }] }, warnings);
  // Whatever `preflight` says: a request id another set made is refused without reading the cluster.
  const foreignRequest = foreignRequestIdProblem(inputs, prior?.requestIds ?? []);
  if (foreignRequest !== undefined) return refuse("adoptExisting", foreignRequest);
  if (inputs.preflight === "off" || capacityInputsUnknown(inputs)) return nothing();
  const replacement = change.kind === "replace";
  const before = change.kind === "update" ? (prior?.count ?? 0) : 0;
  let increase = inputs.count - before;
  let note = "";
  let held: number | undefined;
  if (
    change.kind === "update" &&
    inputs.externalRemovals === "forget" &&
    prior?.count !== undefined &&
    prior.count !== inputs.count &&
    !containsUnknown(inputs.baseRequestId)
  ) {
    // A new `count` is counted from what the set holds, which is less than its old `count` once it
    // forgot nodes something else removed: the increase is what it will really ask for.
    if (view.held === undefined) return observe("held");
    if (typeof view.held !== "number") return refuse("adoptExisting", errorText(view.held.error));
    held = view.held;
    if (held !== before) note = ` (the set holds ${held} node(s): the others were removed outside Pulumi)`;
    increase = inputs.count - held;
  }
  const adoptionChanged =
    canonicalJson(prior?.adoptExisting ?? null) !== canonicalJson(inputs.adoptExisting ?? null);
  if (inputs.adoptExisting !== undefined && adoptionChanged && held === undefined) {
    // The nodes `adoptExisting` names are checked (spec, nodearray, owner) even when the set does
    // not grow: an update that only changes `adoptExisting` adopts, and may then shrink. With
    // `preflight: "warn"` a refusal here is a warning; create and update refuse it all the same.
    if (view.held === undefined) return observe("held");
    if (typeof view.held === "number") held = view.held;
    else if (inputs.preflight !== "warn") return refuse("adoptExisting", errorText(view.held.error));
    else warnings.push(errorText(view.held.error));
  }
  if (increase <= 0) return nothing(warnings);

  if (view.status === undefined) return observe("status");
  if ("error" in view.status) return refused(statusRefusal(inputs, view.status.error), warnings);
  const { cacheKey } = view.status;
  let status = view.status.status;
  const oldCount = prior?.count ?? 0;
  // A replaced set's nodes per group (its old `count` filled its groups in order), when they are in
  // the new set's bucket (the same groups).
  const inBucket = (["cluster", "nodearray", "machineType"] as const).every((k) => prior?.[k] === inputs[k]);
  const oldGroups = change.kind === "replace" && inBucket ? filledGroups(status, change.prior) : undefined;
  const replacementKey = replacementKeyOf(inputs.identity, inputs);
  const replaced =
    replacement && inputs.deleteBeforeReplace && oldCount > 0 && prior?.cluster === inputs.cluster
      ? {
          key: replacementKey,
          set: { spec: nodeSpecOf(prior), nodes: oldCount, ...(oldGroups && { groups: oldGroups }) },
        }
      : undefined;
  // The old set's nodes are terminated before the new ones are created: their room is free. (The
  // engine checks a replacement twice, with the old inputs, then with none: both see it.)
  const freed = inputs.deleteBeforeReplace
    ? (replaced?.set ?? run.deleteFirstReplacements.get(replacementKey))
    : undefined;
  const replacedGroups = replacement ? oldGroups : change.kind === "create" ? freed?.groups : undefined;
  const groupHoldings: GroupHoldings = {
    filled: before,
    ...(replacedGroups && { replaced: replacedGroups }),
    deleteFirst: inputs.deleteBeforeReplace === true,
  };
  let lines: string[] = [];
  const groupProblems = (holdings: GroupHoldings) => {
    lines = [];
    return placementGroupProblems(status, inputs, holdings, (line) => lines.push(line));
  };
  let groupFailures = groupProblems(groupHoldings);
  if (groupFailures.length > 0 && !containsUnknown(inputs.baseRequestId)) {
    // Counted again with the set's own nodes the cluster lists per group (nodes of an interrupted
    // run are the set's, not other sets').
    if (view.heldByGroup === undefined) return observe("heldByGroup");
    if (view.heldByGroup.size > 0) groupFailures = groupProblems({ ...groupHoldings, own: view.heldByGroup });
  }
  const nodeSpec = nodeSpecOf(inputs);
  const judged = (fit: CapacityFit, line: string, bindingLimit?: string) =>
    fitReport("check", fit, { cluster: inputs.cluster, spec: nodeSpec, line, bindingLimit });
  const stops: Refusal[] = [];
  const planned = (rest: Partial<PlannedSet>): PlannedSet => ({
    ...nothing(warnings),
    lines,
    stops,
    ...(replaced && { replaced }),
    ...rest,
  });
  if (groupFailures.length > 0) {
    const fit = capacityFit(status, nodeSpec, increase);
    const reports = groupFailures.map((failure) => judged(fit, failure.reason, "placement group"));
    stops.push(warnable(groupFailures, reports, "preflight: "));
    if (inputs.preflight !== "warn") return planned({});
  }
  let others = 0;
  const otherSets: string[] = [];
  for (const [identity, increaseOfOther] of run.plannedIncreases) {
    if (identity === key || increaseOfOther.cacheKey !== cacheKey) continue;
    // Charges the bucket, nodearray, cluster and the shared quota layers (family, regional).
    status = withAddedNodes(status, increaseOfOther.spec, increaseOfOther.nodes);
    const sameBucketAsOther =
      findBucket(status, increaseOfOther.spec)?.bucketId === findBucket(status, nodeSpec)?.bucketId;
    if (sameBucketAsOther || sharesFamilyQuota(status, increaseOfOther.spec, nodeSpec)) {
      others += increaseOfOther.nodes;
      otherSets.push(`${increaseOfOther.nodes} for ${increaseOfOther.set}`);
    }
  }
  if (others > 0) note += ` (after ${others} node(s) for other sets of this plan: ${otherSets.join(", ")})`;
  if (freed && change.kind !== "update") {
    status = withAddedNodes(status, freed.spec, -freed.nodes);
    note += ` (after the replaced set's ${freed.nodes} node(s) are terminated first)`;
  }
  let fit = capacityFit(status, nodeSpec, increase);
  let existing = before;
  // Nodes `adoptExisting` names are live in the cluster already: always counted, even in the
  // preview of a new set (its base request id unknown), and so not planned again for other sets.
  const adopting = inputs.adoptExisting !== undefined;
  if (fit.problem === undefined && (adopting || (!fit.fits && !containsUnknown(inputs.baseRequestId)))) {
    // The increase was estimated from the inputs. The set may already hold more nodes than its
    // previous inputs say: nodes of a create interrupted after the server committed it, of a
    // failed update (the engine keeps the old inputs but the new nodes), or named by
    // `adoptExisting`. They already hold their share of the capacity: count them, then decide.
    if (held === undefined) {
      if (view.held === undefined) return observe("held");
      if (typeof view.held !== "number") return refuse("adoptExisting", errorText(view.held.error));
      held = view.held;
    }
    const actual = Math.max(0, inputs.count - held);
    if (actual < increase) {
      note += ` (${inputs.count - actual} node(s) of this set already exist)`;
      existing = inputs.count - actual;
      increase = actual;
      fit = capacityFit(status, nodeSpec, increase);
      if (view.warmPool === undefined) return observe("warmPool");
      const warm = warmPoolRefusal(inputs, status, { held, pool: view.warmPool, fresh: actual });
      if (warm !== undefined) {
        stops.push(warnable([warm], [judged(fit, warm.reason, "nodearray room to start the warm pool")]));
        if (inputs.preflight !== "warn") return planned({});
      }
    }
  }
  const line = `preflight ${describeFit(inputs.cluster, nodeSpec, fit)}${note}`;
  const fitWarnings = (fit.warnings ?? []).map(
    (warning) => `preflight ${inputs.cluster}/${inputs.nodearray}: ${warning}`,
  );
  if (fit.fits) {
    const charge = {
      cacheKey,
      set: nameOf(inputs),
      spec: nodeSpec,
      nodes: increase,
      ...(held !== undefined && { held }),
    };
    return planned({ fitWarnings, verdict: { fits: true, line, report: judged(fit, line), charge } });
  }
  const needsKeptNodes = fit.problem === undefined && !(replacement && !inputs.deleteBeforeReplace);
  if (needsKeptNodes && view.keptNodes === undefined) return observe("keptNodes");
  const failures = countRefusal(inputs, fit, line, {
    replaced: change.kind === "replace" ? { changed: change.changed, oldCount } : undefined,
    existing,
    kept: view.keptNodes ?? undefined,
  });
  const refusal = warnable(failures, [judged(fit, failures[0]?.reason ?? line)]);
  return planned({ fitWarnings, verdict: { fits: false, refusal } });
}
