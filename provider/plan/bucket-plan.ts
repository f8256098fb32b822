/**
 * The plan's numbers from the node sets' steps and one status read per cluster, with the
 * provider's own capacity arithmetic (`capacityFit`, `withAddedNodes`): per set its action and
 * counts; per bucket touched what can be added now, what the plan adds, what is left after and
 * the binding limit. Increases are charged in the engine's order, as preflight charges the sets
 * of one run; a replaced set with `deleteBeforeReplace` frees its old nodes first.
 */
import { bucketMachineType, findBucket, findNodearray } from "../bucket-lookup";
import { capacityFit } from "../capacity-fit";
import type { NodeSpec } from "../capacity-types";
import { withAddedNodes } from "../planned-status";
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

/** What each step adds (positive, charged in order) and frees (negative). */
function deltasOf(step: NodeSetStep): { first: Delta[]; increase: Delta | undefined; after: Delta[] } {
  const olds = placeOf(step.olds);
  const news = placeOf(step.news);
  const from = countOf(step.olds);
  const to = countOf(step.news);
  switch (step.action) {
    case "create":
      return { first: [], increase: news && { place: news, nodes: to }, after: [] };
    case "delete":
      return { first: [], increase: undefined, after: olds ? [{ place: olds, nodes: -from }] : [] };
    case "replace": {
      const release = olds ? [{ place: olds, nodes: -from }] : [];
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
      return to >= from
        ? { first: [], increase: { place: news, nodes: to - from }, after: [] }
        : { first: [], increase: undefined, after: [{ place: news, nodes: to - from }] };
    }
  }
}

/** The buckets the plan adds nodes to, with their numbers, in the order the engine checks them. */
export function planBuckets(
  steps: readonly NodeSetStep[],
  statuses: ReadonlyMap<string, ClusterStatus>,
): PlanBucket[] {
  const deltas = steps.map(deltasOf);
  // `now`: the status read; `during`: releases that come first, then each fitting increase in
  // turn (what preflight sees); `after`: every change done.
  const now = new Map(statuses);
  const during = new Map(statuses);
  const apply = (into: Map<string, ClusterStatus>, delta: Delta) => {
    const status = into.get(delta.place.cluster);
    if (status !== undefined)
      into.set(delta.place.cluster, withAddedNodes(status, delta.place.spec, delta.nodes));
  };
  for (const delta of deltas.flatMap((d) => d.first)) apply(during, delta);

  const requested = new Map<string, { place: Placed; machineType: string | null; nodes: number }>();
  for (const { increase } of deltas) {
    if (increase === undefined || increase.nodes <= 0) continue;
    const machineType = machineTypeOf(statuses.get(increase.place.cluster), increase.place.spec);
    const key = bucketKey(increase.place.cluster, increase.place.spec, machineType);
    const entry = requested.get(key) ?? { place: increase.place, machineType, nodes: 0 };
    entry.nodes += increase.nodes;
    requested.set(key, entry);
  }
  const buckets: PlanBucket[] = [];
  const fitting: Delta[] = [];
  for (const { place, machineType, nodes } of requested.values()) {
    const status = during.get(place.cluster);
    const before = now.get(place.cluster);
    if (status === undefined || before === undefined) continue;
    const fit = capacityFit(status, place.spec, nodes);
    if (fit.fits) {
      fitting.push({ place, nodes });
      apply(during, { place, nodes });
    }
    buckets.push({
      cluster: place.cluster,
      nodearray: place.spec.nodearray,
      machineType,
      ...(place.spec.placementGroupId === undefined ? {} : { placementGroupId: place.spec.placementGroupId }),
      availableNow: capacityFit(before, place.spec, 0).available,
      requested: nodes,
      availableAfter: 0,
      bindingLimit: fit.problem ?? fit.binding.name,
      fits: fit.fits,
    });
  }
  const after = new Map(statuses);
  for (const delta of [...deltas.flatMap((d) => [...d.first, ...d.after]), ...fitting]) apply(after, delta);
  return buckets.map((bucket) => {
    const status = after.get(bucket.cluster);
    const spec: NodeSpec = {
      nodearray: bucket.nodearray,
      machineType: bucket.machineType ?? undefined,
      placementGroupId: bucket.placementGroupId,
    };
    return { ...bucket, availableAfter: status === undefined ? 0 : capacityFit(status, spec, 0).available };
  });
}
