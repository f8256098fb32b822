import { describe, expect, it } from "vitest";
import type { NodeSetDiff } from "../../provider/core/diff-node-set";
import { describeDiff, diffNodeSet } from "../../provider/core/diff-node-set";
import { UNKNOWN } from "../../provider/core/inputs-unknown";
import type { NodeInfo, NodeSetState } from "../../provider/core/node-set-state";
import { nodeSetState } from "../../provider/core/node-set-state";
import { pickInputs as pickChecked } from "../../provider/core/inputs-pick";

/** The engine adapter reads the checked inputs from the property bag with `pickInputs`. */
const diffOf = (olds: NodeSetState, news: Record<string, unknown>, now?: number) =>
  diffNodeSet(olds, pickChecked(news), now);
const describeOf = (olds: NodeSetState, news: Record<string, unknown>, diff: NodeSetDiff, now?: number) =>
  describeDiff(olds, pickChecked(news), diff, now === undefined ? {} : { now });

const ready = (i: number): NodeInfo => ({
  id: `id-${i}`,
  name: `ondemand-${i}`,
  status: "Ready",
  privateIp: `10.0.0.${i}`,
  requestId: "b-0",
});

function state(nodes: NodeInfo[] = [ready(1), ready(2)]): NodeSetState {
  return nodeSetState(
    {
      identity: "p/s/mpi",
      cluster: "hpc",
      nodearray: "ondemand",
      count: 2,
      machineType: "Standard_Hc44rs",
      waitForReady: true,
      readyTimeoutSeconds: 1800,
      deleteTimeoutSeconds: 900,
      preflight: "enforce",
      onDelete: "terminate",
      deleteBeforeReplace: false,
      externalRemovals: "replace",
      scaleDown: "terminate",
      baseRequestId: "b",
    },
    { requestIds: ["b-0"], nodes },
  );
}

function inputsOf(s: NodeSetState): Record<string, unknown> {
  const {
    requestIds,
    nodes,
    nodeIds,
    hostnames,
    privateIps,
    readyCount,
    failedCount,
    forgottenCount,
    ...inputs
  } = s;
  return inputs;
}

const NO_CHANGE = { changes: false, replaces: [], updates: [], nodes: [], deleteBeforeReplace: false };

describe("diffNodeSet", () => {
  it("reports no changes when inputs and live nodes match", () => {
    expect(diffOf(state(), inputsOf(state()))).toEqual(NO_CHANGE);
  });

  const replaceTable: [string, unknown][] = [
    ["cluster", "hpc2"],
    ["nodearray", "gpu"],
    ["machineType", "Standard_Fs32_v2"],
    ["placementGroupId", "pg0"],
    ["nodeAttributes", { KeepAlive: true }],
    ["nameFormat", "mpi-%d"],
    ["nameOffset", 4],
    ["requestId", "explicit-id"],
  ];
  for (const [key, value] of replaceTable) {
    it(`replaces the set when ${key} changes`, () => {
      expect(diffOf(state(), { ...inputsOf(state()), [key]: value })).toEqual({
        ...NO_CHANGE,
        changes: true,
        replaces: [key],
      });
    });
  }

  const updateTable: [string, unknown][] = [
    ["count", 3],
    ["adoptExisting", { requestId: "outside" }],
    ["waitForReady", false],
    ["readyTimeoutSeconds", 60],
    ["deleteTimeoutSeconds", 60],
    ["preflight", "warn"],
    ["onDelete", "deallocate"],
    ["deleteBeforeReplace", true],
    ["externalRemovals", "forget"],
    ["connection", { url: "https://cc.example.com" }],
  ];
  for (const [key, value] of updateTable) {
    it(`updates in place when ${key} changes`, () => {
      const result = diffOf(state(), { ...inputsOf(state()), [key]: value });
      expect(result.replaces).toEqual([]);
      expect(result.changes).toBe(true);
      expect(result.updates[0]).toBe(key);
    });
  }

  it("updates when live healthy nodes fall short of count after a refresh", () => {
    expect(diffOf(state([ready(1)]), inputsOf(state()))).toEqual({
      ...NO_CHANGE,
      changes: true,
      nodes: ["1 missing"],
    });
  });

  it("updates to replace a failed node", () => {
    const nodes = [ready(1), { ...ready(2), status: "Failed" }];
    expect(diffOf(state(nodes), inputsOf(state()))).toEqual({
      ...NO_CHANGE,
      changes: true,
      nodes: ["1 failed (ondemand-2)"],
    });
  });

  it("counts nodes still provisioning as healthy", () => {
    const nodes = [ready(1), { id: "id-2", name: "ondemand-2", status: "Acquiring" }];
    expect(diffOf(state(nodes), inputsOf(state())).changes).toBe(false);
  });

  it("treats unknown values during preview as changes of their kind", () => {
    expect(diffOf(state(), { ...inputsOf(state()), machineType: UNKNOWN })).toEqual({
      ...NO_CHANGE,
      changes: true,
      replaces: ["machineType"],
    });
    expect(diffOf(state(), { ...inputsOf(state()), count: UNKNOWN })).toEqual({
      ...NO_CHANGE,
      changes: true,
      updates: ["count"],
    });
  });
});

describe("diffNodeSet and stuck nodes", () => {
  it("updates to replace a node still provisioning readyTimeoutSeconds after its request started", () => {
    const requestedAt = "2026-11-27T10:00:00.000Z";
    const nodes = [
      ready(1),
      { id: "id-2", name: "ondemand-2", status: "Acquiring", requestId: "b-0", requestedAt },
    ];
    const now = Date.parse(requestedAt);
    expect(diffOf(state(nodes), inputsOf(state()), now + 1799_000).changes).toBe(false);
    expect(diffOf(state(nodes), inputsOf(state()), now + 1800_000)).toEqual({
      ...NO_CHANGE,
      changes: true,
      nodes: ["1 not ready after 1800s (ondemand-2)"],
    });
  });
});

describe("diffNodeSet across versions, renames and settings", () => {
  it("sees no change in state written before identities, names and the newer inputs existed", () => {
    const { deleteBeforeReplace, externalRemovals, ...old } = state();
    expect(deleteBeforeReplace).toBe(false);
    expect(externalRemovals).toBe("replace");
    expect(diffOf(old as NodeSetState, inputsOf(state()))).toEqual(NO_CHANGE);
  });

  it("sees no change when only the set's name or identity changed (a rename with aliases)", () => {
    const news = { ...inputsOf(state()), name: "compute", identity: "urn:other#token" };
    expect(diffOf(state(), news)).toEqual(NO_CHANGE);
  });

  it("asks the engine to delete first when deleteBeforeReplace is set", () => {
    const news = { ...inputsOf(state()), machineType: "Standard_Fs32_v2", deleteBeforeReplace: true };
    expect(diffOf({ ...state(), deleteBeforeReplace: true }, news)).toEqual({
      ...NO_CHANGE,
      changes: true,
      replaces: ["machineType"],
      deleteBeforeReplace: true,
    });
  });
});

describe("diffNodeSet with externalRemovals: forget", () => {
  const forgetting = (nodes: NodeInfo[], forgottenCount?: number): NodeSetState => ({
    ...state(nodes),
    externalRemovals: "forget",
    ...(forgottenCount === undefined ? {} : { forgottenCount }),
  });

  it("does not grow back nodes something else removed while count is unchanged", () => {
    const news = { ...inputsOf(state()), externalRemovals: "forget" };
    expect(diffOf(forgetting([ready(1)], 1), news)).toEqual(NO_CHANGE);
  });

  it("still replaces a failed node", () => {
    const news = { ...inputsOf(state()), externalRemovals: "forget" };
    const nodes = [ready(1), { ...ready(2), status: "Failed" }];
    expect(diffOf(forgetting(nodes), news).nodes).toEqual(["1 failed (ondemand-2)"]);
  });

  it("grows when count changes, whatever was forgotten", () => {
    const news = { ...inputsOf(state()), externalRemovals: "forget", count: 3 };
    expect(diffOf(forgetting([ready(1)], 1), news).updates).toEqual(["count"]);
  });
});

describe("describeDiff", () => {
  const why = (olds: NodeSetState, news: Record<string, unknown>) =>
    describeOf(olds, news, diffOf(olds, news));

  it("says nothing when nothing changes", () => {
    expect(why(state(), inputsOf(state()))).toBeUndefined();
  });

  it("names failed and missing nodes when count did not change", () => {
    const nodes = [{ ...ready(1), status: "Failed" }];
    expect(why(state(nodes), inputsOf(state()))).toBe(
      "update: 1 failed (ondemand-1), 1 missing; count 2 unchanged",
    );
  });

  it("names what up does: a failed node is replaced from the warm pool before anything is created", () => {
    const nodes = [{ ...ready(1), status: "Failed" }, ready(2), { ...ready(3), status: "Deallocated" }];
    expect(why(state(nodes), inputsOf(state()))).toBe(
      "update: 1 failed (ondemand-1), 1 deallocated to start (ondemand-3); count 2 unchanged",
    );
  });

  it("names the warm-pool nodes a larger count starts, and what the set holds", () => {
    const pool = (i: number): NodeInfo => ({ ...ready(i), status: "Deallocated" });
    const nodes = [{ ...ready(1), status: "Failed" }, pool(2), pool(3)];
    expect(why({ ...state(nodes), count: 1 }, { ...inputsOf(state()), count: 3 })).toBe(
      "update: 1 failed (ondemand-1); count 1 -> 3 (the set holds 3: 1 failed, 2 deallocated): " +
        "starts 2 deallocated node(s) of the warm pool (ondemand-2, ondemand-3) and creates 1 node(s)",
    );
  });

  it("names nodes that cannot come (acquiring in a request whose other node failed for capacity)", () => {
    const failed = { ...ready(1), status: "Failed", statusMessage: "AllocationFailed: no capacity" };
    const acquiring: NodeInfo = { id: "id-2", name: "ondemand-2", status: "Acquiring", requestId: "b-0" };
    expect(diffOf(state([failed, acquiring]), inputsOf(state())).nodes).toEqual([
      "1 failed (ondemand-1)",
      "1 acquiring after an allocation failure of their request (ondemand-2)",
    ]);
  });

  it("says whether a shrink terminates or deallocates, and which nodes (newest first)", () => {
    const three = state([ready(1), ready(2), ready(3)]);
    expect(why(three, { ...inputsOf(three), count: 1 })).toBe(
      'update: count 2 -> 1 (the set holds 3): terminates 2 node(s) (ondemand-3, ondemand-2) (scaleDown: "terminate")',
    );
    expect(why(three, { ...inputsOf(three), count: 1, scaleDown: "deallocate" })).toBe(
      'update: count 2 -> 1 (the set holds 3): deallocates 2 node(s) (ondemand-3, ondemand-2), kept as the set\'s warm pool (scaleDown: "deallocate"); ' +
        'settings that touch no node: scaleDown "terminate" -> "deallocate"',
    );
    expect(why(state(), { ...inputsOf(state()), count: 1, scaleDown: UNKNOWN })).toBe(
      "update: count 2 -> 1: removes 1 node(s), terminated or deallocated as `scaleDown` says (not known until apply); " +
        "settings that touch no node: scaleDown (not known until apply)",
    );
  });

  it("in a refresh, says what it found against the state's count, not what an up would do with it", () => {
    // An interrupted grow left a third node; the program's count (not in a refresh's diff) may be 3.
    const three = state([ready(1), ready(2), ready(3)]);
    const inputs = pickChecked(inputsOf(state()));
    const found = diffNodeSet(three, inputs);
    expect(describeDiff(three, inputs, found)).toContain("terminates 1 node(s) (ondemand-3)");
    expect(describeDiff(three, inputs, found, { refresh: true })).toBe(
      "refresh: 1 more than `count` (against `count` 2 recorded in state); " +
        "the next `up` brings the set to the program's `count`",
    );
  });

  it("names a count change and settings that touch no node", () => {
    expect(why(state(), { ...inputsOf(state()), count: 4, readyTimeoutSeconds: 60 })).toBe(
      "update: count 2 -> 4: creates 2 node(s); settings that touch no node: readyTimeoutSeconds 1800 -> 60",
    );
  });

  it("says what a changed adoptExisting adopts, not that no node is touched", () => {
    expect(
      why(state(), {
        ...inputsOf(state()),
        adoptExisting: { requestId: "outside-1" },
        onDelete: "deallocate",
      }),
    ).toBe(
      'update: adoptExisting: adopts the nodes of request "outside-1"; settings that touch no node: onDelete "terminate" -> "deallocate"',
    );
    expect(
      why(state(), {
        ...inputsOf(state()),
        adoptExisting: { requestId: "pcc-0123456789abcdef01234567-0", orphaned: true },
      }),
    ).toBe(
      'update: adoptExisting: adopts the nodes of request "pcc-0123456789abcdef01234567-0" (orphaned: you assert that no stack holds them)',
    );
    expect(why(state(), { ...inputsOf(state()), adoptExisting: { nodeIds: ["n-1", "n-2"] } })).toBe(
      "update: adoptExisting: adopts node(s) n-1, n-2",
    );
    const adopting = { ...state(), adoptExisting: { requestId: "outside-1" } } as NodeSetState;
    expect(why(adopting, inputsOf(state()))).toBe(
      "update: adoptExisting removed (the set keeps the nodes it adopted)",
    );
  });

  it("names a replacement, its cause and its order", () => {
    expect(why(state(), { ...inputsOf(state()), machineType: "Standard_Fs32_v2" })).toBe(
      'replace: machineType "Standard_Hc44rs" -> "Standard_Fs32_v2"; 2 new node(s) are created, then the old 2 terminated',
    );
    expect(
      why(state(), { ...inputsOf(state()), machineType: "Standard_Fs32_v2", deleteBeforeReplace: true }),
    ).toBe(
      'replace: machineType "Standard_Hc44rs" -> "Standard_Fs32_v2"; the old 2 node(s) are terminated first, then 2 new one(s) are created',
    );
  });
});
