/**
 * Placement-group sizing below the engine: the `placementGroups` input and its exclusivity, the
 * refusal of unknown input keys, how a spread set fills and empties its groups, its request ids,
 * and the placement-group part of preflight.
 */
import { describe, expect, it } from "vitest";
import type { NodeSetInputs } from "../../provider/core/inputs";
import { unknownKeyFailures, validateInputs } from "../../provider/core/inputs-check";
import { withDefaults } from "../../provider/core/inputs-pick";
import type { NodeInfo } from "../../provider/core/node-set-state";
import { nodeSetState } from "../../provider/core/node-set-state";
import {
  chooseRemovals,
  groupCounts,
  groupIndexOf,
  groupInputs,
  groupRequestBase,
  heldPerGroup,
  planGrowth,
} from "../../provider/core/placement-groups";
import { nextSequence, requestIdFor, sequenceOf } from "../../provider/core/request-id";
import { RunPlan } from "../../provider/core/run-plan";
import type { ClusterStatus } from "../../wire/schemas";
import { seedStatus, seedStatusWithBucket } from "./fixtures";
import { checkPreflight } from "./fixtures";

const valid = { identity: "p/s/n", cluster: "hpc", nodearray: "ondemand", count: 2 };

describe("input keys the set does not know", () => {
  it("refuses a misspelt key, naming it and the nearest known input", () => {
    expect(validateInputs({ ...valid, countt: 2 })).toEqual([
      { property: "countt", reason: "`countt` is not an input of a node set: did you mean `count`?" },
    ]);
    expect(unknownKeyFailures({ machinetype: "x" })[0]?.reason).toContain("did you mean `machineType`?");
    expect(unknownKeyFailures({ placmentGroupId: "pg0" })[0]?.reason).toContain(
      "did you mean `placementGroupId`?",
    );
  });

  it("names no nearest key when none is close", () => {
    const [failure] = unknownKeyFailures({ zzzzzzzzzz: 1 });
    expect(failure?.property).toBe("zzzzzzzzzz");
    expect(failure?.reason).toMatch(
      /^`zzzzzzzzzz` is not an input of a node set: its inputs are cluster, nodearray, count, /,
    );
  });

  it("accepts the keys the engine and the resource add (`__provider`, identity, outputs left undefined)", () => {
    expect(validateInputs({ ...valid, __provider: "serialized", name: "n", nodes: undefined })).toEqual([]);
  });
});

describe("the placementGroups input", () => {
  it("accepts { prefix } and { prefix, size }", () => {
    expect(validateInputs({ ...valid, placementGroups: { prefix: "pg" } })).toEqual([]);
    expect(validateInputs({ ...valid, placementGroups: { prefix: "mpi-", size: 8 } })).toEqual([]);
  });

  it.each([
    [{ size: 4 }, '`placementGroups.prefix` must be a string such as "pg"'],
    [
      { prefix: "p g" },
      "`placementGroups.prefix` must be 1-70 characters of letters, digits, '.', '_' and '-'",
    ],
    [{ prefix: "pg", size: 0 }, "`placementGroups.size` must be a whole number of nodes >= 1, got 0"],
    [
      { prefix: "pg", sizes: 4 },
      "`placementGroups.sizes` is not a key of `placementGroups`: did you mean `size`? (`placementGroups` accepts `prefix`, `size`)",
    ],
    [
      // The misspelt key is named, not the `prefix` it leaves missing.
      { prefx: "pg" },
      "`placementGroups.prefx` is not a key of `placementGroups`: did you mean `prefix`? (`placementGroups` accepts `prefix`, `size`)",
    ],
    ["pg", '`placementGroups` must be an object { prefix: "pg", size?: 40 }'],
  ])("refuses %j", (value, reason) => {
    expect(validateInputs({ ...valid, placementGroups: value })).toEqual([
      { property: "placementGroups", reason },
    ]);
  });

  it("is exclusive with placementGroupId, naming both", () => {
    expect(validateInputs({ ...valid, placementGroupId: "pg0", placementGroups: { prefix: "pg" } })).toEqual([
      {
        property: "placementGroups",
        reason:
          "`placementGroupId` and `placementGroups` are exclusive: give `placementGroupId` for one placement group, " +
          "or `placementGroups: { prefix }` to spread the set over several, not both",
      },
    ]);
  });
});

function node(name: string, group: string | undefined, status = "Ready", requestId?: string): NodeInfo {
  const info: NodeInfo = { id: `id-${name}`, name, status };
  if (group !== undefined) info.placementGroupId = group;
  if (requestId !== undefined) info.requestId = requestId;
  return info;
}

function spreadInputs(count: number, size?: number): NodeSetInputs {
  return withDefaults(
    {
      ...valid,
      count,
      machineType: "Standard_Hc44rs",
      placementGroups: size ? { prefix: "pg", size } : { prefix: "pg" },
    },
    "pcc-base",
  );
}

describe("filling and emptying the groups", () => {
  it("splits a count into full groups then the rest", () => {
    expect(groupCounts(90, 40)).toEqual([40, 40, 10]);
    expect(groupCounts(0, 40)).toEqual([]);
    expect(groupCounts(4, 2)).toEqual([2, 2]);
  });

  it("puts new nodes in the first groups with room, in order", () => {
    expect(planGrowth([], 5, 2)).toEqual([
      [0, 2],
      [1, 2],
      [2, 1],
    ]);
    expect(planGrowth([2, 1], 3, 2)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // A group emptied by something else is filled again before a new one is opened.
    expect(planGrowth([2, 0, 2], 1, 2)).toEqual([[1, 1]]);
  });

  it("counts healthy members per group, ignoring failed nodes and other groups", () => {
    const groups = { prefix: "pg" };
    const nodes = [
      node("a", "pg0"),
      node("b", "pg1"),
      node("c", "pg1", "Failed"),
      node("d", "other"),
      node("e", "pg10"),
    ];
    expect(heldPerGroup(groups, nodes)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(groupIndexOf(groups, "pg01")).toBeUndefined();
    expect(groupIndexOf(groups, "pgx")).toBeUndefined();
  });

  it("shrinks from the last group, newest first within it", () => {
    const inputs = spreadInputs(5, 2);
    const r = (i: number, s: number) => requestIdFor(groupRequestBase("pcc-base", i), s);
    const nodes = [
      node("n1", "pg0", "Ready", r(0, 0)),
      node("n2", "pg0", "Ready", r(0, 0)),
      node("n3", "pg1", "Ready", r(1, 0)),
      node("n4", "pg1", "Ready", r(1, 1)),
      node("n5", "pg2", "Ready", r(2, 0)),
    ];
    expect(chooseRemovals(inputs, nodes, 2).map((n) => n.name)).toEqual(["n5", "n4"]);
    expect(chooseRemovals(inputs, nodes, 3).map((n) => n.name)).toEqual(["n5", "n4", "n3"]);
  });

  it("shows the nodes per group in the state", () => {
    const state = nodeSetState(spreadInputs(3, 2), {
      requestIds: [],
      nodes: [node("n1", "pg0"), node("n2", "pg0"), node("n3", "pg1"), node("gone", "pg1", "Terminated")],
    });
    expect(state.placementGroupCounts).toEqual({ pg0: 2, pg1: 1 });
    expect(
      nodeSetState(withDefaults(valid, "b"), { requestIds: [], nodes: [] }).placementGroupCounts,
    ).toBeUndefined();
  });
});

describe("request ids of a spread set", () => {
  it("gives each group its own sequence that no other group's (or the set's) ids fall into", () => {
    const ids = [
      requestIdFor("pcc-base", 0),
      requestIdFor(groupRequestBase("pcc-base", 0), 0),
      requestIdFor(groupRequestBase("pcc-base", 1), 3),
    ];
    expect(ids).toEqual(["pcc-base-0", "pcc-base.pg0-0", "pcc-base.pg1-3"]);
    expect(sequenceOf("pcc-base", "pcc-base.pg0-0")).toBeUndefined();
    expect(sequenceOf(groupRequestBase("pcc-base", 1), "pcc-base.pg10-0")).toBeUndefined();
    expect(nextSequence(groupRequestBase("pcc-base", 0), ids)).toBe(1);
    expect(nextSequence(groupRequestBase("pcc-base", 1), ids)).toBe(4);
    expect(nextSequence(groupRequestBase("pcc-base", 2), ids)).toBe(0);
  });

  it("creates into one group with that group's name and request base", () => {
    const inputs = groupInputs(spreadInputs(5, 2), 2);
    expect(inputs.placementGroupId).toBe("pg2");
    expect(inputs.placementGroups).toBeUndefined();
    expect(inputs.baseRequestId).toBe("pcc-base.pg2");
  });
});

/** The seed status with one Standard_Hc44rs placement group holding `active` nodes. */
function withGroup(name: string, active: number): ClusterStatus {
  return seedStatusWithBucket("Standard_Hc44rs", {
    placementGroups: [{ name, activeCount: active, activeCoreCount: active * 44 }],
  });
}

async function runPreflight(
  status: ClusterStatus,
  raw: Record<string, unknown>,
  olds: Record<string, unknown> = {},
) {
  const lines: string[] = [];
  const inputs = withDefaults({ ...valid, machineType: "Standard_Hc44rs", ...raw }, "pcc-base");
  const failures = await checkPreflight(
    olds,
    inputs,
    {
      status: () => Promise.resolve({ status, cacheKey: "k" }),
      held: () => Promise.resolve(0),
      log: (_inputs, line) => lines.push(line),
      warn: (_inputs, text) => lines.push(`warning: ${text}`),
    },
    new RunPlan(),
  );
  return { failures, lines };
}

describe("preflight of placement groups", () => {
  it("refuses a placementGroupId set larger than one group, with both numbers", async () => {
    const { failures } = await runPreflight(seedStatus(), { placementGroupId: "pg0", count: 41 });
    expect(failures).toEqual([
      {
        property: "count",
        reason:
          "`count` 41 exceeds what one placement group of Standard_Hc44rs holds: 40 node(s) " +
          "(maxPlacementGroupSize 40, maxPlacementGroupCoreSize 1760 = 40 node(s) of 44 cores), so placement group 'pg0' cannot hold the set. " +
          'Lower `count` to at most 40, or replace `placementGroupId` with `placementGroups: { prefix: "pg0-" }` to spread the set over several groups',
      },
    ]);
  });

  it("applies the core size when it is the smaller limit", async () => {
    const small = seedStatusWithBucket("Standard_Hc44rs", { maxPlacementGroupCoreSize: 440 });
    const { failures } = await runPreflight(small, { placementGroupId: "pg0", count: 11 });
    expect(failures[0]?.reason).toMatch(
      /^`count` 11 exceeds what one placement group of Standard_Hc44rs holds: 10 node\(s\) \(maxPlacementGroupSize 40, maxPlacementGroupCoreSize 440 = 10 node\(s\) of 44 cores\)/,
    );
    expect((await runPreflight(small, { placementGroupId: "pg0", count: 10 })).failures).toEqual([]);
  });

  it("refuses a placementGroups.size larger than the bucket's group limit", async () => {
    const { failures } = await runPreflight(seedStatus(), {
      placementGroups: { prefix: "pg", size: 41 },
      count: 2,
    });
    expect(failures).toEqual([
      {
        property: "placementGroups",
        reason: expect.stringMatching(
          /^`placementGroups.size` 41 exceeds what one placement group of Standard_Hc44rs holds: 40 node\(s\)/,
        ),
      },
    ]);
  });

  it("checks every group the set grows into, counting nodes already in a group", async () => {
    const { failures, lines } = await runPreflight(withGroup("pg1", 3), {
      placementGroups: { prefix: "pg", size: 4 },
      count: 6,
    });
    expect(lines[0]).toBe(
      "preflight placement groups of 4 node(s): 'pg0' +4 (40 available), 'pg1' +2 (37 available) - fits",
    );
    expect(failures).toEqual([]);

    const full = await runPreflight(withGroup("pg1", 39), {
      placementGroups: { prefix: "pg", size: 4 },
      count: 6,
    });
    expect(full.failures).toEqual([
      {
        property: "placementGroups",
        reason: expect.stringMatching(
          /^placement group\(s\) 'pg1' \+2 requested, 1 available \(maxPlacementGroupSize 40/,
        ),
      },
    ]);
  });

  it("plans only the groups a larger count adds to (the old count fills the first groups)", async () => {
    const { lines } = await runPreflight(
      seedStatus(),
      { placementGroups: { prefix: "pg", size: 2 }, count: 5 },
      {
        ...valid,
        machineType: "Standard_Hc44rs",
        placementGroups: { prefix: "pg", size: 2 },
        count: 3,
        baseRequestId: "pcc-base",
      },
    );
    expect(lines[0]).toBe(
      "preflight placement groups of 2 node(s): 'pg1' +1 (40 available), 'pg2' +1 (40 available) - fits",
    );
  });
});
