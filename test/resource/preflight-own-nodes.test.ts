/**
 * Preflight counts the set's own nodes as the set's: per placement group those an interrupted run
 * left (not other sets'), and a replacement's old nodes named as such.
 */
import { describe, expect, it, vi } from "vitest";
import { withDefaults } from "../../provider/core/inputs-pick";
import type { PreflightSources } from "../../provider/core/node-set-preflight";
import { RunPlan } from "../../provider/core/run-plan";
import type { ClusterStatus } from "../../wire/schemas";
import { seedStatusWithBucket } from "./fixtures";
import { checkPreflight } from "./fixtures";

const base = { identity: "p/s/n", cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Hc44rs" };

/** Groups of 3 nodes at most, with `active` nodes in each named group. */
function groupsOf3(active: Record<string, number>): ClusterStatus {
  return seedStatusWithBucket("Standard_Hc44rs", {
    maxPlacementGroupSize: 3,
    placementGroups: Object.entries(active).map(([name, n]) => ({
      name,
      activeCount: n,
      activeCoreCount: n * 44,
    })),
  });
}

function sources(status: ClusterStatus, extra: Partial<PreflightSources> = {}) {
  const lines: string[] = [];
  const source: PreflightSources = {
    status: () => Promise.resolve({ status, cacheKey: "k" }),
    held: vi.fn(() => Promise.resolve(0)),
    log: (_inputs, line) => lines.push(line),
    warn: (_inputs, text) => lines.push(`warning: ${text}`),
    ...extra,
  };
  return { source, lines };
}

const spread = (
  count: number,
  placementGroups: Record<string, unknown>,
  more: Record<string, unknown> = {},
) => withDefaults({ ...base, count, placementGroups, ...more }, "pcc-base");

describe("preflight of placement groups counts the set's own nodes", () => {
  it("as the set's when an interrupted grow left them in its groups (listed, not in state)", async () => {
    const groups = { prefix: "pg", size: 2 };
    const olds = spread(4, groups);
    const status = groupsOf3({ pg0: 2, pg1: 2, pg2: 2, pg3: 2 });
    const listed = new Map([
      ["pg0", 2],
      ["pg1", 2],
      ["pg2", 2],
      ["pg3", 2],
    ]);
    const { source, lines } = sources(status, { heldByGroup: vi.fn(() => Promise.resolve(listed)) });
    expect(await checkPreflight(olds, spread(8, groups), source, new RunPlan())).toEqual([]);
    expect(source.heldByGroup).toHaveBeenCalledTimes(1);
    expect(lines.filter((l) => l.startsWith("preflight placement groups"))).toEqual([]);

    // Without the listing they are taken for other sets' nodes, as before.
    const blind = sources(status);
    const failures = await checkPreflight(olds, spread(8, groups), blind.source, new RunPlan());
    expect(failures[0]?.reason).toMatch(
      /^placement group\(s\) 'pg2' \+2 requested, 1 available; 'pg3' \+2 requested, 1 available \(.*nodes of other sets already in a group count\)/,
    );
  });
});

describe("preflight of a replaced spread set", () => {
  // The engine's `check` gets the old inputs: the old `count` filled pg0, then pg1.
  const olds = spread(3, { prefix: "pg", size: 2 });

  it("says the nodes in the way are the set's own old ones, and how to replace it", async () => {
    const { source } = sources(groupsOf3({ pg0: 2, pg1: 1 }));
    const failures = await checkPreflight(olds, spread(3, { prefix: "pg" }), source, new RunPlan());
    expect(failures).toEqual([
      {
        property: "placementGroups",
        reason:
          "placement group(s) 'pg0' +3 requested, 1 available (maxPlacementGroupSize 3, maxPlacementGroupCoreSize 1760 = 40 node(s) of 44 cores; " +
          "2 node(s) there are this set's own old ones: a replacement creates the new nodes before it terminates the old ones): " +
          "set `deleteBeforeReplace: true` (the input or the resource option) to terminate the old nodes first, " +
          "choose another `placementGroups.prefix`, or lower `count`",
      },
    ]);
  });

  it("counts the old nodes' room as free with deleteBeforeReplace, in both checks of the engine", async () => {
    const status = groupsOf3({ pg0: 2, pg1: 1 });
    const run = new RunPlan();
    const news = spread(3, { prefix: "pg" }, { deleteBeforeReplace: true });
    const first = sources(status);
    expect(await checkPreflight(olds, news, first.source, run)).toEqual([]);
    expect(first.lines[0]).toBe("preflight placement groups of 3 node(s): 'pg0' +3 (3 available) - fits");
    // The engine's second check of a replacement: no old inputs.
    const second = sources(status);
    expect(await checkPreflight({}, news, second.source, run)).toEqual([]);
    expect(second.lines[0]).toBe("preflight placement groups of 3 node(s): 'pg0' +3 (3 available) - fits");
  });
});

describe("preflight of a spread set replaced into another bucket", () => {
  it("credits no room to the old nodes, which are in another bucket's groups", async () => {
    const olds = spread(3, { prefix: "pg", size: 2 }, { machineType: "Standard_Fs32_v2" });
    const { source } = sources(groupsOf3({ pg0: 2 }));
    const news = spread(3, { prefix: "pg" }, { deleteBeforeReplace: true });
    const failures = await checkPreflight(olds, news, source, new RunPlan());
    expect(failures[0]?.reason).toMatch(
      /^placement group\(s\) 'pg0' \+3 requested, 1 available \(.*; nodes of other sets already in a group count\)/,
    );
  });
});
