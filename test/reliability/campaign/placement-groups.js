// @ts-check
"use strict";
/**
 * The campaign's checks of a set spread over placement groups (`placementGroups: { prefix, size }`,
 * README "Placement groups"): groups `<prefix>0`, `<prefix>1`, ... of at most `size` nodes of the
 * set each, filled in order and emptied from the last, each group's creates under request ids
 * `<base>.pg<i>-<n>`, and `placementGroupCounts` giving the nodes the set holds per group.
 */

/** @typedef {import("../../../provider/core/node-set-state").NodeSetState} SetState */
/** @typedef {import("../../../emulator").AdminNodeView} AdminNodeView */
/** @typedef {{ prefix: string; size: number }} Groups */

/**
 * What the set held before a deployment: node id -> its status and placement group in the cluster
 * then (a terminated node soon leaves the cluster's list).
 * @typedef {{ resource: object; nodes: Map<string, { status: string; group: string | undefined }> }} HeldBefore
 */

const { HEALTHY, LEAVING } = require("./node-status");

/**
 * The index of group `<prefix><i>`, or undefined for any other name.
 * @param {Groups} groups
 * @param {string | null | undefined} name
 */
function groupIndex(groups, name) {
  if (typeof name !== "string" || !name.startsWith(groups.prefix)) return undefined;
  const rest = name.slice(groups.prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/**
 * Counts by key.
 * @param {Iterable<string>} keys
 * @returns {Map<string, number>}
 */
function tally(keys) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** @param {Map<string, number> | Record<string, number>} counts */
const showCounts = (counts) =>
  JSON.stringify(
    Object.fromEntries(counts instanceof Map ? [...counts].sort() : Object.entries(counts).sort()),
  );

/**
 * The checks of one refreshed spread set. At any time: every live node it holds is in a group
 * `<prefix><i>` and was made under `<base>.pg<i>-<n>` (the same i); no group holds more than
 * `size` healthy nodes of the set; `placementGroupCounts` counts the nodes it holds by their group
 * in the cluster. After a successful deployment that created, updated or replaced it (`settled`):
 * no group holds more than `size` live nodes of the set; a node it gained is in a group i only when
 * every group before i holds `size` nodes (filled in order); a node that was Ready, that it held
 * and that is gone now was in the last group it holds nodes in, or after it (emptied from the last).
 * @param {object} args
 * @param {Groups} args.groups
 * @param {string} args.base The set's base request id (its id).
 * @param {string} args.what How violations name the set.
 * @param {SetState} args.props What its read returned.
 * @param {Map<string, AdminNodeView>} args.byId Every node of the cluster by id.
 * @param {{ before: HeldBefore | undefined; liveBefore: Set<string>; sameResource: boolean } | undefined} args.settled
 * @param {(kind: string, detail: string, key?: string) => void} args.violation
 */
function checkPlacementGroups({ groups, base, what, props, byId, settled, violation }) {
  const size = groups.size;
  const held = props.nodes.flatMap((n) => {
    const node = byId.get(n.id);
    return node && !LEAVING.has(node.record.Status) ? [node] : [];
  });
  for (const node of held) {
    const { Name, NodeId, PlacementGroupId } = node.record;
    const index = groupIndex(groups, PlacementGroupId);
    if (index === undefined) {
      violation(
        "placement",
        `${what} holds ${Name} (${NodeId}) in placement group '${PlacementGroupId ?? "(none)"}', not one of '${groups.prefix}0', '${groups.prefix}1', ...`,
        `group ${NodeId}`,
      );
    } else if (node.requestId !== null && !node.requestId.startsWith(`${base}.pg${index}-`)) {
      violation(
        "placement",
        `${what} holds ${Name} (${NodeId}) of group '${PlacementGroupId}' made under request id ${node.requestId}, not ${base}.pg${index}-<n>`,
        `request ${NodeId}`,
      );
    }
  }
  /** @param {AdminNodeView[]} nodes */
  const perGroup = (nodes) => tally(nodes.map((n) => n.record.PlacementGroupId ?? "(none)"));
  const healthy = perGroup(held.filter((n) => HEALTHY.has(n.record.Status)));
  for (const [group, n] of healthy) {
    if (n > size)
      violation(
        "placement",
        `${what} has ${n} healthy nodes in group '${group}' of size ${size}`,
        `size ${base} ${group}`,
      );
  }
  // Every node the set holds counts, failed and deallocated ones too (README, outputs).
  const expected = tally(
    props.nodes.map((n) => byId.get(n.id)?.record.PlacementGroupId ?? n.placementGroupId ?? "(none)"),
  );
  const counts = props.placementGroupCounts;
  if (counts === undefined) {
    violation("placement", `${what}: its state has no placementGroupCounts`);
  } else if (showCounts(counts) !== showCounts(expected)) {
    violation(
      "placement",
      `${what}: placementGroupCounts ${showCounts(counts)} but the nodes it holds are in groups ${showCounts(expected)}`,
    );
  }
  if (!settled) return;
  const live = perGroup(held);
  for (const [group, n] of live) {
    if (n > size)
      violation(
        "placement",
        `${what} has ${n} nodes in group '${group}' of size ${size} after a successful deployment`,
      );
  }
  /** @param {number} i */
  const inGroup = (i) => live.get(`${groups.prefix}${i}`) ?? 0;
  const indices = held.flatMap((n) => {
    const i = groupIndex(groups, n.record.PlacementGroupId);
    return i === undefined ? [] : [i];
  });
  const lastHeld = Math.max(-1, ...indices);
  for (const node of held) {
    if (settled.liveBefore.has(node.record.NodeId)) continue;
    const i = groupIndex(groups, node.record.PlacementGroupId);
    if (i === undefined) continue;
    const short = Array.from({ length: i }, (_, h) => h).filter((h) => inGroup(h) < size);
    if (short.length > 0)
      violation(
        "placement",
        `${what} grew into '${node.record.PlacementGroupId}' (${node.record.Name}) although ` +
          `${short.map((h) => `'${groups.prefix}${h}' holds ${inGroup(h)}`).join(", ")} of ${size}; groups now ${showCounts(live)}`,
      );
  }
  const before = settled.before;
  if (!before || !settled.sameResource) return;
  for (const [id, { status, group }] of before.nodes) {
    const node = byId.get(id);
    if (status !== "Ready" || (node && !LEAVING.has(node.record.Status))) continue;
    const i = groupIndex(groups, group);
    if (i !== undefined && i < lastHeld)
      violation(
        "placement",
        `${what} removed ${node?.record.Name ?? id} of '${group}' while it still holds nodes in '${groups.prefix}${lastHeld}'; groups now ${showCounts(live)}`,
      );
  }
}

module.exports = { checkPlacementGroups };
