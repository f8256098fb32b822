/** The update's preflight counts the nodes an `up` re-creates with `count` unchanged (from the state). */
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../provider/core/inputs-pick";
import type { NodeInfo, NodeSetState } from "../../provider/core/node-set-state";
import { RunPlan } from "../../provider/core/run-plan";
import type { NodeSetInputs } from "../../provider/core/inputs";
import type { PreflightSources } from "../../provider/core/node-set-preflight";
import { preflight } from "../../provider/core/node-set-preflight";
import { priorOf } from "../../provider/core/set-change";
import type { ClusterStatus } from "../../wire/schemas";
import { seedStatus, seedStatusWithBucket } from "./fixtures";

/** `diff`'s preflight of an update from `state` to `inputs` (as the engine adapter calls it): the refusal's reason. */
function updatePreflight(
  state: NodeSetState,
  inputs: NodeSetInputs,
  sources: PreflightSources,
  run: RunPlan,
  now: number,
): Promise<string | undefined> {
  const change = { kind: "update", inputs, prior: priorOf({ ...state }), state } as const;
  return preflight(change, sources, run, now).then(([refused]) => refused?.reason);
}

const NOW = Date.parse("2026-01-01T01:00:00Z");
const IDENTITY = "proj/stack/workers";

function inputsOf(overrides: Record<string, unknown> = {}) {
  return withDefaults(
    {
      identity: IDENTITY,
      name: "workers",
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      count: 3,
      ...overrides,
    },
    "pcc-base",
  );
}

const node = (name: string, status: string): NodeInfo => ({
  id: `id-${name}`,
  name,
  status,
  ...(status === "Ready" ? { privateIp: "10.0.0.1" } : {}),
});

function stateOf(nodes: NodeInfo[], overrides: Partial<NodeSetState> = {}): NodeSetState {
  return { ...inputsOf(), nodes, readyCount: 0, failedCount: 0, ...overrides } as NodeSetState;
}

function run(status: ClusterStatus, state: NodeSetState, inputs = inputsOf(), plan = new RunPlan()) {
  const lines: string[] = [];
  const sources = {
    status: () => Promise.resolve({ status, cacheKey: "k" }),
    log: (_inputs: unknown, line: string) => void lines.push(line),
    warn: (_inputs: unknown, text: string) => void lines.push(`warning: ${text}`),
  };
  return updatePreflight(state, inputs, sources, plan, NOW).then((refused) => ({ refused, lines, plan }));
}

const MISSING_2 =
  'preflight hpc/ondemand Standard_Hc44rs: +2 requested, 0 available (binding limit: bucket availableCount) - does not fit; the update creates 2 node(s) with `count` 3 unchanged: 2 replacing node(s) missing from the set (not made by an earlier `up`, or removed outside Pulumi: see `externalRemovals`): free capacity in the cluster, lower `count` to at most 1, or set `preflight: "warn"` to try anyway';

/** The seed's Standard_Hc44rs bucket with `free` nodes left. */
const hc44rsWith = (free: number) =>
  seedStatusWithBucket("Standard_Hc44rs", { availableCount: free, availableCoreCount: free * 44 });

describe("the update's preflight (count unchanged)", () => {
  it("refuses replacements of nodes missing from the set in a full bucket, naming them and the fix", async () => {
    const { refused } = await run(hc44rsWith(0), stateOf([node("ondemand-1", "Ready")]));
    expect(refused).toBe(MISSING_2);
  });

  it("passes a failed node's replacement in a full bucket: its room is reused once it is terminated", async () => {
    const state = stateOf([
      node("ondemand-1", "Failed"),
      node("ondemand-2", "Ready"),
      node("ondemand-3", "Ready"),
    ]);
    const { refused, lines } = await run(hc44rsWith(0), state);
    expect(refused).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it("refuses a failed node and a missing node when only the failed node's room is free", async () => {
    const state = stateOf([node("ondemand-1", "Failed"), node("ondemand-2", "Ready")]);
    const { refused } = await run(hc44rsWith(0), state);
    expect(refused).toBe(
      'preflight hpc/ondemand Standard_Hc44rs: +1 requested, 0 available (binding limit: bucket availableCount) - does not fit; the update creates 2 node(s) with `count` 3 unchanged: 1 replacing failed ondemand-1 (its room is reused once terminated), 1 replacing node(s) missing from the set (not made by an earlier `up`, or removed outside Pulumi: see `externalRemovals`): free capacity in the cluster, lower `count` to at most 2, or set `preflight: "warn"` to try anyway',
    );
  });

  it("passes with enough room, logs the fit and plans the new nodes for the other sets of the run", async () => {
    const { refused, lines, plan } = await run(hc44rsWith(5), stateOf([node("ondemand-1", "Ready")]));
    expect(refused).toBeUndefined();
    expect(lines).toEqual([
      "preflight hpc/ondemand Standard_Hc44rs: +2 requested, 5 available (binding limit: bucket availableCount) - fits; the update creates 2 node(s) with `count` 3 unchanged: 2 replacing node(s) missing from the set (not made by an earlier `up`, or removed outside Pulumi: see `externalRemovals`)",
    ]);
    expect(plan.plannedIncreases.get(IDENTITY)).toEqual({
      cacheKey: "k",
      set: "workers",
      spec: { nodearray: "ondemand", machineType: "Standard_Hc44rs", placementGroupId: undefined },
      nodes: 2,
    });
  });

  it("counts what check planned for a larger count once", async () => {
    const plan = new RunPlan();
    const spec = { nodearray: "ondemand", machineType: "Standard_Hc44rs" };
    plan.plannedIncreases.set(IDENTITY, { cacheKey: "k", set: "workers", spec, nodes: 1 });
    // count 2 -> 3 with one node missing: check planned +1, the update creates 2.
    const state = stateOf([node("ondemand-1", "Ready")], { count: 2 });
    const { refused } = await run(hc44rsWith(1), state, inputsOf({ count: 3 }), plan);
    expect(refused).toBe(
      'preflight hpc/ondemand Standard_Hc44rs: +1 requested, 0 available (binding limit: bucket availableCount) - does not fit; the update creates 2 node(s) with `count` 2 -> 3: 1 replacing node(s) missing from the set (not made by an earlier `up`, or removed outside Pulumi: see `externalRemovals`), 1 for the larger `count`: free capacity in the cluster, lower `count` to at most 2, or set `preflight: "warn"` to try anyway',
    );
    const { refused: fits } = await run(hc44rsWith(2), state, inputsOf({ count: 3 }), new RunPlan());
    expect(fits).toBeUndefined();
  });

  it('with preflight "warn" warns instead of refusing; "off" reads nothing', async () => {
    const state = stateOf([node("ondemand-1", "Ready")]);
    const warned = await run(hc44rsWith(0), state, inputsOf({ preflight: "warn" }));
    expect(warned.refused).toBeUndefined();
    // The warning does not advise `preflight: "warn"`, which is already set.
    expect(warned.lines).toEqual([
      `warning: ${MISSING_2.replace(', or set `preflight: "warn"` to try anyway', "")}`,
    ]);
    expect(warned.lines[0]).toMatch(/lower `count` to at most 1$/);
    const off = await run(hc44rsWith(0), state, inputsOf({ preflight: "off" }));
    expect([off.refused, off.lines]).toEqual([undefined, []]);
  });

  it("refuses starting the warm pool beyond the nodearray's room", async () => {
    const status = seedStatus();
    const state = stateOf([node("ondemand-1", "Ready"), node("ondemand-2", "Deallocated")], { count: 2 });
    const full = structuredClone(status);
    const nodearray = full.nodearrays.find((n) => n.name === "ondemand");
    if (nodearray) nodearray.maxCount = nodearray.buckets.reduce((sum, b) => sum + b.activeCount, 0);
    const { refused } = await run(full, state, inputsOf({ count: 2 }));
    expect(refused).toBe(
      'preflight hpc/ondemand: the update starts 1 deallocated node(s) of its warm pool (ondemand-2) with `count` 2 unchanged, which needs room for 1 node(s) but the nodearray maxCount 0 leaves 0 (CycleCloud does not check it when starting deallocated nodes; the set does): raise the nodearray\'s limit, lower `count` to at most 1, or set `preflight: "warn"` to try anyway',
    );
    expect((await run(status, state, inputsOf({ count: 2 }))).refused).toBeUndefined();
  });

  it("reads no status when the update creates nothing beyond count", async () => {
    const state = stateOf([
      node("ondemand-1", "Ready"),
      node("ondemand-2", "Ready"),
      node("ondemand-3", "Ready"),
    ]);
    let reads = 0;
    const sources = {
      status: () => {
        reads++;
        return Promise.resolve({ status: hc44rsWith(0), cacheKey: "k" });
      },
      log: () => undefined,
      warn: () => undefined,
    };
    expect(await updatePreflight(state, inputsOf(), sources, new RunPlan(), NOW)).toBeUndefined();
    expect(reads).toBe(0);
  });
});

describe("the update's preflight when `adoptExisting` changes", () => {
  const twoReady = () => [node("ondemand-1", "Ready"), node("ondemand-2", "Ready")];

  it("stays silent: the adopted nodes are not created (check's preflight decides)", async () => {
    const state = stateOf(twoReady(), { count: 2, adoptExisting: { requestId: "ext-0" } });
    const inputs = inputsOf({ adoptExisting: { requestId: "ext-1" } });
    for (const free of [0, 5]) {
      const { refused, lines, plan } = await run(hc44rsWith(free), state, inputs);
      expect(refused).toBeUndefined();
      expect(lines).toEqual([]);
      expect(plan.plannedIncreases.size).toBe(0);
    }
  });

  it("still counts the larger `count` when `adoptExisting` is unchanged", async () => {
    const state = stateOf(twoReady(), { count: 2, adoptExisting: { requestId: "ext-0" } });
    const inputs = inputsOf({ adoptExisting: { requestId: "ext-0" } });
    const { refused } = await run(hc44rsWith(0), state, inputs);
    expect(refused).toMatch(
      /\+1 requested, 0 available .*the update creates 1 node\(s\) with `count` 2 -> 3/,
    );
  });
});

describe("the update's preflight in report mode (the plan's preview)", () => {
  function reporting(status: ClusterStatus, state: NodeSetState) {
    const lines: string[] = [];
    const reports: unknown[] = [];
    const sources = {
      status: () => Promise.resolve({ status, cacheKey: "k" }),
      log: (_inputs: unknown, line: string) => void lines.push(line),
      warn: (_inputs: unknown, text: string) => void lines.push(`warning: ${text}`),
      report: (_inputs: unknown, report: unknown) => void reports.push(report),
    };
    return updatePreflight(state, inputsOf(), sources, new RunPlan(), NOW).then((refused) => ({
      refused,
      lines,
      reports,
    }));
  }

  it("a refusal is reported with its numbers and the refusal's text, and not returned", async () => {
    const { refused, lines, reports } = await reporting(
      hc44rsWith(0),
      stateOf([node("ondemand-1", "Ready")]),
    );
    expect(refused).toBeUndefined();
    expect(lines).toEqual([]);
    expect(reports).toEqual([
      {
        phase: "diff",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: "Standard_Hc44rs",
        availableNow: 0,
        requested: 2,
        availableAfter: -2,
        bindingLimit: "bucket availableCount",
        fits: false,
        line: MISSING_2,
      },
    ]);
  });

  it("a fit is reported with the line it logs", async () => {
    const { refused, lines, reports } = await reporting(
      hc44rsWith(5),
      stateOf([node("ondemand-1", "Ready")]),
    );
    expect(refused).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(reports).toEqual([
      expect.objectContaining({
        phase: "diff",
        availableNow: 5,
        requested: 2,
        availableAfter: 3,
        fits: true,
        line: lines[0],
      }),
    ]);
  });
});

describe("the update's preflight after an interrupted grow", () => {
  // `count` 4 -> 6 was killed after CycleCloud made the 2 new nodes: the state still lists 4, and
  // check's preflight listed 6 and planned no increase ("6 node(s) of this set already exist").
  const grown = () => {
    const nodes = ["ondemand-1", "ondemand-2", "ondemand-3", "ondemand-4"].map((n) => node(n, "Ready"));
    return stateOf(nodes, { count: 4 });
  };
  const checkedHolding = (held: number | undefined) => {
    const plan = new RunPlan();
    const spec = { nodearray: "ondemand", machineType: "Standard_Hc44rs" };
    plan.plannedIncreases.set(IDENTITY, {
      cacheKey: "k",
      set: "workers",
      spec,
      nodes: 0,
      ...(held === undefined ? {} : { held }),
    });
    return plan;
  };

  it("does not count the nodes check found beyond the state as nodes to create, in a full bucket", async () => {
    const { refused, lines } = await run(hc44rsWith(0), grown(), inputsOf({ count: 6 }), checkedHolding(6));
    expect(refused).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it("still refuses when check listed no more nodes than the state holds", async () => {
    const { refused } = await run(hc44rsWith(0), grown(), inputsOf({ count: 6 }), checkedHolding(4));
    expect(refused).toMatch(/^preflight hpc\/ondemand Standard_Hc44rs: \+2 requested, 0 available /);
  });
});
