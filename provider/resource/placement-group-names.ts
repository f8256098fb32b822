/**
 * The names of a spread set's placement groups (`<prefix>0`, `<prefix>1`, ...) and of their
 * create requests. Pure; see placement-group-plan.ts for how the groups are filled.
 */
import type { NodeSetInputs, PlacementGroups } from "./inputs";

/** The name of the `index`-th group: `<prefix><index>`. */
export function groupName(groups: PlacementGroups, index: number): string {
  return `${groups.prefix}${index}`;
}

/** The index of the group a node is in, or undefined when it is in none of the set's groups. */
export function groupIndexOf(
  groups: PlacementGroups,
  placementGroupId: string | undefined,
): number | undefined {
  if (placementGroupId === undefined || !placementGroupId.startsWith(groups.prefix)) return undefined;
  const rest = placementGroupId.slice(groups.prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/**
 * The base of the request ids of the `index`-th group's creates: `<base>.pg<index>` (each request
 * `<base>.pg<index>-<n>`). A group has its own sequence, so a lost answer is looked up, and a
 * retried create adopted, per group, exactly like a single-group set's; no id of one group (or of
 * the set's own `<base>-<n>` sequence) can be mistaken for another's.
 */
export function groupRequestBase(base: string, index: number): string {
  return `${base}.pg${index}`;
}

/** The inputs of the `index`-th group's creates: one placement group, the group's request base. */
export function groupInputs(inputs: NodeSetInputs, index: number): NodeSetInputs {
  const groups = inputs.placementGroups;
  if (groups === undefined) return inputs;
  const { placementGroups: _spread, ...rest } = inputs;
  return {
    ...rest,
    placementGroupId: groupName(groups, index),
    baseRequestId: groupRequestBase(inputs.baseRequestId, index),
  };
}
