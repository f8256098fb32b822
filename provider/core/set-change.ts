/**
 * What the engine asks of a set, typed once at the engine edge (engine/node-set-provider.ts):
 * the planner and preflight read this, never the engine's property bags.
 */
import type { NodeSetInputs, PlacementGroups } from "./inputs";
import type { NodeSetState } from "./node-set-state";
import { replaceKeysChanged } from "./request-id";

/** A property bag as the engine gives it (old inputs, new inputs or state): read only at this edge. */
export type Bag = Record<string, unknown>;

/** What a set was before this change: its old inputs (in `check`) or its state (in `diff`). */
export interface PriorSet {
  readonly count?: number;
  readonly cluster?: string;
  readonly nodearray?: string;
  readonly machineType?: string;
  readonly placementGroupId?: string;
  readonly placementGroups?: PlacementGroups;
  readonly baseRequestId?: string;
  /** The old `adoptExisting` as it was given (compared canonically with the new one). */
  readonly adoptExisting?: unknown;
  /** The create requests the set holds (in state; absent from old inputs). */
  readonly requestIds: readonly string[];
}

/**
 * One change of a set:
 * - `create`: a new set, or (`replacing`) the engine's second `check` of a replacement, which
 *   comes without old inputs;
 * - `update`: in place; in `diff`, with the set's `state` (its nodes) and the clock;
 * - `replace`: a replace-triggering input changed (`changed`); the old nodes go first when
 *   `inputs.deleteBeforeReplace`.
 */
export type SetChange =
  | { readonly kind: "create"; readonly inputs: NodeSetInputs; readonly replacing: boolean }
  | {
      readonly kind: "update";
      readonly inputs: NodeSetInputs;
      readonly prior: PriorSet;
      readonly state?: NodeSetState;
    }
  | {
      readonly kind: "replace";
      readonly inputs: NodeSetInputs;
      readonly prior: PriorSet;
      readonly changed: readonly string[];
    };

/** A set's old inputs or state, read leniently: a value of the wrong type is absent. */
export function priorOf(props: Bag): PriorSet {
  const text = (key: string) => (typeof props[key] === "string" ? { [key]: props[key] } : {});
  const groups = props["placementGroups"];
  const requestIds = props["requestIds"];
  return {
    ...(typeof props["count"] === "number" ? { count: props["count"] } : {}),
    ...text("cluster"),
    ...text("nodearray"),
    ...text("machineType"),
    ...text("placementGroupId"),
    ...text("baseRequestId"),
    ...(typeof groups === "object" && groups !== null ? { placementGroups: groups as PlacementGroups } : {}),
    ...(props["adoptExisting"] === undefined ? {} : { adoptExisting: props["adoptExisting"] }),
    requestIds: Array.isArray(requestIds) ? requestIds.filter((id) => typeof id === "string") : [],
  };
}

/**
 * The change `check` judges: `olds` are the old inputs the engine gave (none for a new set and for
 * the second `check` of a replacement, told apart by `replacing`), `inputs` the checked new ones.
 */
export function checkedChange(olds: Bag, inputs: NodeSetInputs, replacing: boolean): SetChange {
  if (Object.keys(olds).length === 0) return { kind: "create", inputs, replacing };
  const changed = replaceKeysChanged(olds, inputs);
  const prior = priorOf(olds);
  return changed.length > 0 ? { kind: "replace", inputs, prior, changed } : { kind: "update", inputs, prior };
}

/** The request and node ids an `adoptExisting` value names (none for an unknown or absent one). */
export function adoptionIds(value: unknown): { requestIds: string[]; nodeIds: string[] } {
  if (typeof value !== "object" || value === null) return { requestIds: [], nodeIds: [] };
  const { requestId, nodeIds } = value as { requestId?: unknown; nodeIds?: unknown };
  return {
    requestIds: typeof requestId === "string" ? [requestId] : [],
    nodeIds: Array.isArray(nodeIds) ? nodeIds.filter((id): id is string => typeof id === "string") : [],
  };
}
