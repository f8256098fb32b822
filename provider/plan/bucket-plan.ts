/**
 * The plan's numbers from the node sets' steps and one status read per cluster, with the
 * provider's own capacity arithmetic (`capacityFit`, `withAddedNodes`): per set its action and
 * counts; per bucket touched what can be added now, what the plan requests, what is left after and
 * the binding limit. A set's request is what its update creates, counted from its members in state
 * with the plan `up` follows (convergence-plan.ts): failed, stuck and missing nodes are re-created
 * (the failed and stuck ones terminated first), the warm pool's deallocated nodes are started
 * without asking for room (they hold theirs), and a shrink frees room only when it terminates. `fits` is judged as preflight charges one run: the increases in turn, a
 * replaced set's old nodes freed only after its new ones exist unless `deleteBeforeReplace`.
 * `availableAfter` = available now + what the plan frees for the bucket - what it requests
 * (see {@link planBuckets}); negative: the plan is short by that many nodes.
 */
import { bucketMachineType, findBucket, findNodearray } from "../bucket-lookup";
import { capacityFit } from "../capacity-fit";
import type { NodeSpec } from "../capacity-types";
import { withAddedNodes } from "../planned-status";
import { planConvergence } from "../resource/convergence-plan";
import { NODE_SET_DEFAULTS } from "../resource/inputs";
import { isHealthy, isMember, targetCount } from "../resource/node-set-state";
import type { NodeInfo } from "../resource/node-set-state";
import type { ClusterStatus } from "../schemas";
import type { NodeSetStep } from "./engine-steps";
import type { PlanBucket, PlanChange } from "./plan-types";

/** A set's place: its cluster and the spec of the nodes it asks for. */
interface Placed {
  readonly cluster: string;
  readonly spec: NodeSpec;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Where a set's inputs put its nodes; undefined when the inputs do not say (unknown in preview). */
export function placeOf(inputs: Record<string, unknown> | undefined): Placed | undefined {
  const cluster = text(inputs?.["cluster"]);
  const nodearray = text(inputs?.["nodearray"]);
  if (inputs === undefined || cluster === undefined || nodearray === undefined) return undefined;
  return {
    cluster,
    spec: {
      nodearray,
      machineType: text(inputs["machineType"]),
      placementGroupId: text(inputs["placementGroupId"]),
    },
  };
}

function countOf(inputs: Record<string, unknown> | undefined): number {
  const count = inputs?.["count"];
  return typeof count === "number" && Number.isFinite(count) ? count : 0;
}

/** The clusters the plan touches (each read once). */
export function clustersOf(steps: readonly NodeSetStep[]): string[] {
  const names = new Set<string>();
  for (const step of steps) {
    for (const inputs of [step.olds, step.news]) {
      const place = placeOf(inputs);
      if (place !== undefined) names.add(place.cluster);
    }
  }
  return [...names];
}

/** The machine type nodes of `spec` get: the named one, or the bucket CycleCloud would pick. */
function machineTypeOf(status: ClusterStatus | undefined, spec: NodeSpec): string | null {
  if (spec.machineType !== undefined) return spec.machineType;
  const nodearray = status === undefined ? undefined : findNodearray(status, spec.nodearray);
  const bucket = status === undefined ? undefined : findBucket(status, spec);
  return (nodearray && bucket && bucketMachineType(nodearray, bucket)) ?? null;
}

function bucketKey(cluster: string, spec: NodeSpec, machineType: string | null): string {
  return JSON.stringify([cluster, spec.nodearray, machineType, spec.placementGroupId ?? null]);
}

/** A change of the stack's node sets, with its numbers. */
export function planChanges(
  steps: readonly NodeSetStep[],
  statuses: ReadonlyMap<string, ClusterStatus>,
  errors: ReadonlyMap<string, readonly string[]>,
): PlanChange[] {
  return steps.map((step) => {
    const place = placeOf(step.news) ?? placeOf(step.olds);
    const error = errors.get(step.urn)?.join("\n");
    return {
      name: step.name,
      urn: step.urn,
      cluster: place?.cluster ?? "(unknown)",
      nodearray: place?.spec.nodearray ?? "(unknown)",
      machineType: place === undefined ? null : machineTypeOf(statuses.get(place.cluster), place.spec),
      action: step.action,
      from: step.action === "create" ? 0 : countOf(step.olds),
      to: step.action === "delete" ? 0 : countOf(step.news),
      ...(error === undefined ? {} : { error }),
    };
  });
}

interface Delta {
  readonly place: Placed;
  readonly nodes: number;
}

/** The set's nodes in state (its old outputs), or undefined when the step carries none. */
function stateNodes(step: NodeSetStep): NodeInfo[] | undefined {
  const nodes = step.oldOutputs?.["nodes"];
  return Array.isArray(nodes) ? (nodes as NodeInfo[]).filter(isMember) : undefined;
}

/** What each step adds (positive, charged in order) and frees (negative). */
function deltasOf(
  step: NodeSetStep,
  now: number,
): { first: Delta[]; increase: Delta | undefined; after: Delta[] } {
  const olds = placeOf(step.olds);
  const news = placeOf(step.news);
  const members = stateNodes(step);
  // What the old set holds: its members in state, else (no outputs) its count.
  const held = members?.length ?? countOf(step.olds);
  const to = countOf(step.news);
  switch (step.action) {
    case "create":
      return { first: [], increase: news && { place: news, nodes: to }, after: [] };
    case "delete":
      return { first: [], increase: undefined, after: olds ? [{ place: olds, nodes: -held }] : [] };
    case "replace": {
      const release = olds ? [{ place: olds, nodes: -held }] : [];
      const deleteFirst = step.news?.["deleteBeforeReplace"] === true;
      return {
        first: deleteFirst ? release : [],
        increase: news && { place: news, nodes: to },
        after: deleteFirst ? [] : release,
      };
    }
    case "update":
    case "same": {
      if (news === undefined) return { first: [], increase: undefined, after: [] };
      if (members === undefined) {
        // No outputs (an old event): the count is all the plan knows.
        const before = countOf(step.olds);
        return to >= before
          ? { first: [], increase: { place: news, nodes: to - before }, after: [] }
          : { first: [], increase: undefined, after: [{ place: news, nodes: to - before }] };
      }
      return updateDeltas(step, news, members, now);
    }
  }
}

/**
 * An update as `up` converges it (the plan `converge` follows, convergence-plan.ts): failed, stuck
 * and abandoned members are terminated first (their room freed), the warm pool is started before
 * any create (a deallocated node holds its room, so a start asks none), then what is still missing
 * is created; a smaller `count` removes the excess, which frees room only when terminated
 * (`scaleDown: "deallocate"` keeps it).
 */
function updateDeltas(
  step: NodeSetStep,
  news: Placed,
  members: NodeInfo[],
  now: number,
): { first: Delta[]; increase: Delta | undefined; after: Delta[] } {
  const inputs = step.news ?? {};
  const to = countOf(inputs);
  const unchanged = countOf(step.olds) === to;
  const forgotten = step.oldOutputs?.["forgottenCount"];
  const target = targetCount({
    count: to,
    externalRemovals: inputs["externalRemovals"],
    forgottenCount: unchanged && typeof forgotten === "number" ? forgotten : undefined,
  });
  const timeout = inputs["readyTimeoutSeconds"];
  const plan = planConvergence(
    members,
    target,
    typeof timeout === "number" ? timeout : NODE_SET_DEFAULTS.readyTimeoutSeconds,
    now,
  );
  const first = plan.replace.length > 0 ? [{ place: news, nodes: -plan.replace.length }] : [];
  const left = members.filter((n) => isHealthy(n) && !plan.replace.includes(n)).length;
  const excess = Math.max(0, left - target);
  const frees = inputs["scaleDown"] === "deallocate" ? 0 : excess;
  return {
    first,
    increase: { place: news, nodes: plan.create },
    after: frees > 0 ? [{ place: news, nodes: -frees }] : [],
  };
}

/**
 * The buckets the plan touches, with their numbers. `fits`: the bucket's increases, charged in
 * turn after the releases that come first, fit as preflight would judge them. `availableAfter`:
 * what the bucket could take once every other change of the plan is done (every release, and the
 * other buckets' increases, which share the nodearray, cluster and quota layers), less what the
 * plan requests of it: available now + what the plan frees for it - what it requests. Negative:
 * the plan is short by that many nodes of this bucket even once everything is freed.
 */
export function planBuckets(
  steps: readonly NodeSetStep[],
  statuses: ReadonlyMap<string, ClusterStatus>,
  now: number = Date.now(),
): PlanBucket[] {
  const deltas = steps.map((step) => deltasOf(step, now));
  const apply = (into: Map<string, ClusterStatus>, delta: Delta) => {
    const status = into.get(delta.place.cluster);
    if (status !== undefined)
      into.set(delta.place.cluster, withAddedNodes(status, delta.place.spec, delta.nodes));
  };
  // `during`: the releases that come first, then each fitting increase in turn (what preflight sees).
  const during = new Map(statuses);
  for (const delta of deltas.flatMap((d) => d.first)) apply(during, delta);

  // Every bucket a step adds nodes to or frees nodes of; `nodes`: what the plan requests of it.
  const requested = new Map<string, { place: Placed; machineType: string | null; nodes: number }>();
  for (const { first, increase, after } of deltas) {
    for (const delta of [...first, ...(increase === undefined ? [] : [increase]), ...after]) {
      if (delta.nodes === 0) continue;
      const machineType = machineTypeOf(statuses.get(delta.place.cluster), delta.place.spec);
      const key = bucketKey(delta.place.cluster, delta.place.spec, machineType);
      const entry = requested.get(key) ?? { place: delta.place, machineType, nodes: 0 };
      if (delta === increase && delta.nodes > 0) entry.nodes += delta.nodes;
      requested.set(key, entry);
    }
  }
  const releases = deltas.flatMap((d) => [...d.first, ...d.after]);
  const buckets: PlanBucket[] = [];
  for (const [key, { place, machineType, nodes }] of requested) {
    const status = during.get(place.cluster);
    const before = statuses.get(place.cluster);
    if (status === undefined || before === undefined) continue;
    const fit = capacityFit(status, place.spec, nodes);
    if (fit.fits && nodes > 0) apply(during, { place, nodes });
    // Every release and every other bucket's increase, fitting or not.
    const others = new Map(statuses);
    for (const delta of releases) apply(others, delta);
    for (const [otherKey, other] of requested) {
      if (otherKey !== key && other.nodes > 0) apply(others, { place: other.place, nodes: other.nodes });
    }
    const othersDone = others.get(place.cluster) ?? before;
    buckets.push({
      cluster: place.cluster,
      nodearray: place.spec.nodearray,
      machineType,
      ...(place.spec.placementGroupId === undefined ? {} : { placementGroupId: place.spec.placementGroupId }),
      availableNow: capacityFit(before, place.spec, 0).available,
      requested: nodes,
      availableAfter: availableAfterPlan(before, othersDone, place.spec) - nodes,
      bindingLimit: fit.problem ?? fit.binding.name,
      // A bucket the plan only frees nodes of asks nothing.
      fits: nodes === 0 || fit.fits,
    });
  }
  const order = (b: PlanBucket) =>
    JSON.stringify([b.cluster, b.nodearray, b.machineType ?? "", b.placementGroupId ?? ""]);
  return buckets.sort((a, b) => order(a).localeCompare(order(b)));
}

/**
 * What every layer but the server's derived `availableCount` allows: the bucket's own headroom
 * and each limit `capacityFit` checks (nodearray, cluster, placement group, quotas).
 */
function layerHeadroom(status: ClusterStatus, spec: NodeSpec): number {
  const fit = capacityFit(status, spec, 0);
  if (fit.problem !== undefined) return 0;
  const cores = Math.max(1, fit.bucket.virtualMachine.vcpuCount);
  const own = Math.min(
    fit.bucket.maxCount - fit.bucket.activeCount,
    Math.floor((fit.bucket.maxCoreCount - fit.bucket.activeCoreCount) / cores),
  );
  const layers = fit.limits.filter((limit) => !limit.name.startsWith("bucket available"));
  return Math.max(0, Math.min(own, ...layers.map((limit) => limit.nodes)));
}

/**
 * Nodes of `spec` that can be added once the plan is done. The server's `availableCount` is
 * derived from every layer, so nodes freed in another bucket of a shared layer raise it too: it
 * moves by what the layers' headroom moves, and never above that headroom.
 */
function availableAfterPlan(now: ClusterStatus, after: ClusterStatus, spec: NodeSpec): number {
  const available = capacityFit(now, spec, 0).available;
  const headroomAfter = layerHeadroom(after, spec);
  return Math.max(0, Math.min(headroomAfter, available + headroomAfter - layerHeadroom(now, spec)));
}
