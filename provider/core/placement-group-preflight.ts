/**
 * The placement-group part of the preflight of `check`: a set in one placement group
 * (`placementGroupId`) must fit the bucket's largest group, and a set spread over groups
 * (`placementGroups`) must fit each group it grows into. Pure: works on the status preflight read.
 */
import { findBucket } from "../capacity/index";
import type { Bucket, ClusterStatus } from "../../wire/schemas";
import type { NodeSetInputs, PlacementGroups } from "./inputs";
import type { CheckFailure } from "./inputs-check";
import { bucketGroupLimit, groupCounts, groupName } from "./placement-groups";
import type { PriorSet } from "./set-change";

/** "maxPlacementGroupSize 40 (maxPlacementGroupCoreSize 1280 = 40 nodes of 32 cores)". */
function describeLimit(bucket: Bucket): string {
  const cores = Math.max(1, bucket.virtualMachine.vcpuCount);
  const core =
    bucket.maxPlacementGroupCoreSize === undefined
      ? ""
      : `, maxPlacementGroupCoreSize ${bucket.maxPlacementGroupCoreSize} = ${Math.floor(bucket.maxPlacementGroupCoreSize / cores)} node(s) of ${cores} cores`;
  return `maxPlacementGroupSize ${bucket.maxPlacementGroupSize}${core}`;
}

/** How many more nodes group `name` of the bucket takes now. */
function groupRoom(bucket: Bucket, name: string): number {
  const group = bucket.placementGroups.find((g) => g.name === name);
  const cores = Math.max(1, bucket.virtualMachine.vcpuCount);
  const byCount = bucket.maxPlacementGroupSize - (group?.activeCount ?? 0);
  const byCores =
    bucket.maxPlacementGroupCoreSize === undefined
      ? byCount
      : Math.floor((bucket.maxPlacementGroupCoreSize - (group?.activeCoreCount ?? 0)) / cores);
  return Math.max(0, Math.min(byCount, byCores));
}

/** Nodes per placement group name that preflight knows are not other sets'. */
export interface GroupHoldings {
  /**
   * The set's own members per group: those in state, or (when known) those listed in the
   * cluster, with nodes an interrupted run left. They hold their place in the group already.
   */
  own?: ReadonlyMap<string, number>;
  /** Without `own` (state written before it listed nodes): the old `count`, filling the first groups. */
  filled?: number;
  /** A replacement: the old set's members per group, still there while the new set is created. */
  replaced?: ReadonlyMap<string, number>;
  /** The old set's nodes are terminated before the new ones are created: their room is free. */
  deleteFirst?: boolean;
}

/** Members per placement group name: `[{ placementGroupId: "pg0" }, ...]` -> pg0 -> 1. */
export function countByGroup(
  nodes: ReadonlyArray<{ placementGroupId?: string | undefined }>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of nodes) {
    if (node.placementGroupId === undefined) continue;
    counts.set(node.placementGroupId, (counts.get(node.placementGroupId) ?? 0) + 1);
  }
  return counts;
}

/**
 * The nodes per group of a set with these inputs (`count` filling its `placementGroups` in order),
 * e.g. a replaced set's old inputs; undefined without `placementGroups` or its bucket.
 */
export function filledGroups(
  status: ClusterStatus,
  set: Pick<PriorSet, "count" | "nodearray" | "machineType" | "placementGroups">,
): Map<string, number> | undefined {
  const { placementGroups: groups, count } = set;
  if (groups === undefined || count === undefined) return undefined;
  const bucket = findBucket(status, { nodearray: String(set.nodearray), machineType: set.machineType });
  const size = bucket && (groups.size ?? bucketGroupLimit(bucket));
  return size === undefined || size < 1 ? undefined : filled(groups, count, size);
}

/** `count` nodes filling groups of `size` in order, per group name. */
function filled(groups: PlacementGroups, count: number, size: number): Map<string, number> {
  return new Map(groupCounts(count, size).map((n, index) => [groupName(groups, index), n]));
}

/**
 * What refuses the set's placement groups, growing to `count`: a `count` above the size of one
 * group, a `placementGroups.size` above it, or a group without room for the nodes it is planned to
 * take beyond those the set already holds there (`holdings.own`). `log` gets the per-group plan
 * of a spread set.
 */
export function placementGroupProblems(
  status: ClusterStatus,
  inputs: NodeSetInputs,
  holdings: GroupHoldings,
  log: (line: string) => void,
): CheckFailure[] {
  const bucket = findBucket(status, { nodearray: inputs.nodearray, machineType: inputs.machineType });
  if (bucket === undefined) return []; // the capacity check names the missing bucket
  const limit = bucketGroupLimit(bucket);
  const refuse = (property: string, reason: string): CheckFailure[] => [{ property, reason }];
  const type = inputs.machineType ?? bucket.definition?.machineType ?? bucket.bucketId;
  const holds = `exceeds what one placement group of ${type} holds: ${limit} node(s) (${describeLimit(bucket)})`;
  if (inputs.placementGroupId !== undefined && inputs.count > limit) {
    return refuse(
      "count",
      `\`count\` ${inputs.count} ${holds}, so placement group '${inputs.placementGroupId}' cannot hold the set. ` +
        `Lower \`count\` to at most ${limit}, or replace \`placementGroupId\` with \`placementGroups: { prefix: "${inputs.placementGroupId}-" }\` to spread the set over several groups`,
    );
  }
  const groups = inputs.placementGroups;
  if (groups === undefined) return [];
  if (groups.size !== undefined && groups.size > limit) {
    return refuse(
      "placementGroups",
      `\`placementGroups.size\` ${groups.size} ${holds}. Lower \`placementGroups.size\` to at most ${limit}, or omit it to use that limit`,
    );
  }
  const size = groups.size ?? limit;
  if (size < 1) {
    return refuse(
      "placementGroups",
      `the bucket of ${type} allows no placement group (${describeLimit(bucket)}): remove \`placementGroups\``,
    );
  }
  const target = groupCounts(inputs.count, size);
  const own = holdings.own ?? filled(groups, holdings.filled ?? 0, size);
  const plan: string[] = [];
  const full: string[] = [];
  let replacedInFull = 0;
  target.forEach((nodes, index) => {
    const name = groupName(groups, index);
    const add = nodes - (own.get(name) ?? 0);
    if (add <= 0) return;
    const old = holdings.replaced?.get(name) ?? 0;
    const room = groupRoom(bucket, name) + (holdings.deleteFirst ? old : 0);
    plan.push(`'${name}' +${add} (${room} available)`);
    if (add > room) {
      full.push(`'${name}' +${add} requested, ${room} available`);
      if (!holdings.deleteFirst) replacedInFull += old;
    }
  });
  if (plan.length > 0) {
    log(
      `preflight placement groups of ${size} node(s): ${plan.join(", ")}${full.length > 0 ? " - does not fit" : " - fits"}`,
    );
  }
  if (full.length === 0) return [];
  const reason =
    replacedInFull > 0
      ? `placement group(s) ${full.join("; ")} (${describeLimit(bucket)}; ${replacedInFull} node(s) there are this set's own old ones: ` +
        "a replacement creates the new nodes before it terminates the old ones): set `deleteBeforeReplace: true` " +
        "(the input or the resource option) to terminate the old nodes first, choose another `placementGroups.prefix`, or lower `count`"
      : `placement group(s) ${full.join("; ")} (${describeLimit(bucket)}; nodes of other sets already in a group count): ` +
        "choose another `placementGroups.prefix`, free nodes in those groups, or lower `count`";
  return [{ property: "placementGroups", reason }];
}
