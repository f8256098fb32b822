/**
 * A set spread over placement groups (`placementGroups: { prefix, size }`), decided purely: the
 * groups' names (`<prefix>0`, `<prefix>1`, ...) and their create requests, how many nodes each
 * group holds, where new nodes go and which nodes a shrink removes. Without `placementGroups` the
 * set is the one-group case. The operations that carry this out are in ops/placement-group-plan.ts.
 */
import type { Bucket } from "../../wire/schemas";
import { chooseNodesToRemove } from "./choose-nodes-to-remove";
import type { NodeSetInputs, PlacementGroups } from "./inputs";
import type { NodeInfo } from "./node-set-state";
import { isHealthy } from "./node-set-state";

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
  const { placementGroups: groups, ...rest } = inputs;
  if (groups === undefined) return inputs;
  return {
    ...rest,
    placementGroupId: groupName(groups, index),
    baseRequestId: groupRequestBase(inputs.baseRequestId, index),
  };
}

/**
 * The most nodes one group of this bucket holds: `maxPlacementGroupSize`, and no more than
 * `maxPlacementGroupCoreSize` allows for its VM size.
 */
export function bucketGroupLimit(bucket: Bucket): number {
  const cores = Math.max(1, bucket.virtualMachine.vcpuCount);
  const byCores =
    bucket.maxPlacementGroupCoreSize === undefined
      ? Number.POSITIVE_INFINITY
      : Math.floor(bucket.maxPlacementGroupCoreSize / cores);
  return Math.max(0, Math.min(bucket.maxPlacementGroupSize, byCores));
}

/** How many nodes a set of `count` holds in each group when filled in order: e.g. 90 by 40 -> 40, 40, 10. */
export function groupCounts(count: number, size: number): number[] {
  const counts: number[] = [];
  for (let left = count; left > 0; left -= size) counts.push(Math.min(size, left));
  return counts;
}

/**
 * Where `n` new nodes go, given how many healthy nodes each group holds: the first groups with
 * room, in order, each up to `size`. Returns `[group index, nodes]` pairs.
 */
export function planGrowth(held: readonly number[], n: number, size: number): Array<[number, number]> {
  const plan: Array<[number, number]> = [];
  let left = n;
  for (let index = 0; left > 0; index++) {
    const room = Math.max(0, size - (held[index] ?? 0));
    if (room === 0) continue;
    const take = Math.min(room, left);
    plan.push([index, take]);
    left -= take;
  }
  return plan;
}

/** Healthy members per group index (nodes outside the set's groups are not counted). */
export function heldPerGroup(groups: PlacementGroups, nodes: readonly NodeInfo[]): number[] {
  const held: number[] = [];
  for (const node of nodes.filter(isHealthy)) {
    const index = groupIndexOf(groups, node.placementGroupId);
    if (index !== undefined) held[index] = (held[index] ?? 0) + 1;
  }
  return Array.from(held, (n) => n ?? 0);
}

/**
 * Chooses `n` of `members` to remove when the set shrinks: within the order of
 * {@link chooseNodesToRemove} (failed, then unfinished, then newest), a spread set empties its
 * last group first.
 */
export function chooseRemovals(
  inputs: Pick<NodeSetInputs, "placementGroups" | "baseRequestId">,
  members: readonly NodeInfo[],
  n: number,
): NodeInfo[] {
  const groups = inputs.placementGroups;
  // A set without groups is one group, its nodes outside every group (-1), as a spread set's strays.
  const indexOf = (node: NodeInfo) =>
    groups === undefined ? -1 : (groupIndexOf(groups, node.placementGroupId) ?? -1);
  const ordered = [...new Set(members.map(indexOf))].sort((a, b) => b - a);
  const chosen: NodeInfo[] = [];
  for (const index of ordered) {
    if (chosen.length >= n) break;
    const inGroup = members.filter((node) => indexOf(node) === index);
    const base = index < 0 ? inputs.baseRequestId : groupRequestBase(inputs.baseRequestId, index);
    chosen.push(...chooseNodesToRemove(inGroup, n - chosen.length, base));
  }
  return chosen;
}
