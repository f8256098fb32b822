/**
 * Preflight counts the set's own nodes as the set's: per placement group those in state and those
 * an interrupted run left (not other sets'), a replacement's old nodes named as such, and the
 * members missing from state as nodes the update creates again.
 */
import { describe, expect, it, vi } from "vitest";
import { withDefaults } from "../../provider/resource/inputs";
import type { PreflightSources } from "../../provider/resource/node-set-preflight";
import { preflight } from "../../provider/resource/node-set-preflight";
import type { NodeInfo } from "../../provider/resource/node-set-state";
import { RunPlan } from "../../provider/resource/run-plan";
import type { ClusterStatus } from "../../provider/schemas";
import { seedStatusWithBucket } from "./fixtures";

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

/** `n` ready members of the set in `group`. */
function members(group: string | undefined, n: number, from = 0): NodeInfo[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${group ?? "node"}-${from + i}`,
    name: `ondemand-${group ?? ""}${from + i}`,
    status: "Ready",
    privateIp: `10.0.0.${from + i + 1}`,
    ...(group === undefined ? {} : { placementGroupId: group }),
  }));
}

function sources(status: ClusterStatus, extra: Partial<PreflightSources> = {}) {
  const lines: string[] = [];
  const source: PreflightSources = {
    status: () => Promise.resolve({ status, cacheKey: "k" }),
    held: vi.fn(() => Promise.resolve(0)),
    log: (_inputs, line) => lines.push(line),
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
    const olds = { ...spread(4, groups), nodes: [...members("pg0", 2), ...members("pg1", 2)] };
    const status = groupsOf3({ pg0: 2, pg1: 2, pg2: 2, pg3: 2 });
    const listed = new Map([
      ["pg0", 2],
      ["pg1", 2],
      ["pg2", 2],
      ["pg3", 2],
    ]);
    const { source, lines } = sources(status, { heldByGroup: vi.fn(() => Promise.resolve(listed)) });
    expect(await preflight(olds, spread(8, groups), source, new RunPlan())).toEqual([]);
    expect(source.heldByGroup).toHaveBeenCalledTimes(1);
    expect(lines.filter((l) => l.startsWith("preflight placement groups"))).toEqual([]);

    // Without the listing they are taken for other sets' nodes, as before.
    const blind = sources(status);
    const failures = await preflight(olds, spread(8, groups), blind.source, new RunPlan());
    expect(failures[0]?.reason).toMatch(
      /^placement group\(s\) 'pg2' \+2 requested, 1 available; 'pg3' \+2 requested, 1 available \(.*nodes of other sets already in a group count\)/,
    );
  });

  it("per group from the state's nodes, asking only for the groups short of their share", async () => {
    const groups = { prefix: "pg", size: 2 };
    // pg0 lost a node: the update makes it again in pg0, which has room; pg1 is complete.
    const olds = { ...spread(4, groups), nodes: [...members("pg0", 1), ...members("pg1", 2)] };
    const { source, lines } = sources(groupsOf3({ pg0: 1, pg1: 3 }));
    expect(await preflight(olds, spread(4, groups), source, new RunPlan())).toEqual([]);
    expect(lines[0]).toBe("preflight placement groups of 2 node(s): 'pg0' +1 (2 available) - fits");
  });
});

describe("preflight of a replaced spread set", () => {
  const olds = {
    ...spread(3, { prefix: "pg", size: 2 }),
    nodes: [...members("pg0", 2), ...members("pg1", 1)],
  };

  it("says the nodes in the way are the set's own old ones, and how to replace it", async () => {
    const { source } = sources(groupsOf3({ pg0: 2, pg1: 1 }));
    const failures = await preflight(olds, spread(3, { prefix: "pg" }), source, new RunPlan());
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
    expect(await preflight(olds, news, first.source, run)).toEqual([]);
    expect(first.lines[0]).toBe("preflight placement groups of 3 node(s): 'pg0' +3 (3 available) - fits");
    // The engine's second check of a replacement: no old inputs.
    const second = sources(status);
    expect(await preflight({}, news, second.source, run)).toEqual([]);
    expect(second.lines[0]).toBe("preflight placement groups of 3 node(s): 'pg0' +3 (3 available) - fits");
  });
});

describe("preflight of the nodes an update creates again", () => {
  const olds = { ...withDefaults({ ...base, count: 4 }, "pcc-base"), nodes: members(undefined, 1) };

  it("refuses missing nodes that do not fit, with the usual message", async () => {
    const full = seedStatusWithBucket("Standard_Hc44rs", { availableCount: 0, availableCoreCount: 0 });
    const { source, lines } = sources(full, { held: vi.fn(() => Promise.resolve(1)) });
    const failures = await preflight(
      olds,
      withDefaults({ ...base, count: 4 }, "pcc-base"),
      source,
      new RunPlan(),
    );
    expect(failures).toEqual([
      {
        property: "count",
        reason: expect.stringMatching(
          /^preflight hpc\/ondemand Standard_Hc44rs: \+3 requested, 0 available.*: lower `count` to at most 1, /,
        ),
      },
    ]);
    expect(lines).toEqual([]);
  });

  it("passes them when they fit, and asks nothing of a set whose state holds its count", async () => {
    const { source, lines } = sources(seedStatusWithBucket("Standard_Hc44rs", {}));
    expect(
      await preflight(olds, withDefaults({ ...base, count: 4 }, "pcc-base"), source, new RunPlan()),
    ).toEqual([]);
    expect(lines[0]).toMatch(/^preflight hpc\/ondemand Standard_Hc44rs: \+3 requested, \d+ available/);

    const whole = { ...olds, nodes: members(undefined, 4) };
    const status = vi.fn(() =>
      Promise.resolve({ status: seedStatusWithBucket("Standard_Hc44rs", {}), cacheKey: "k" }),
    );
    const quiet = sources(seedStatusWithBucket("Standard_Hc44rs", {}), { status });
    expect(
      await preflight(whole, withDefaults({ ...base, count: 4 }, "pcc-base"), quiet.source, new RunPlan()),
    ).toEqual([]);
    expect(status).not.toHaveBeenCalled();
  });
});
