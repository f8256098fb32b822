/**
 * The set planner without I/O: which facts of the cluster it asks for, in which order and only
 * when a decision needs them; its verdict; and that planning charges nothing (preflight does, once
 * the mode is applied).
 */
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../provider/core/inputs-pick";
import type { NodeSetInputs } from "../../provider/core/inputs";
import type { ClusterView, Observation, SetPlan } from "../../provider/core/set-plan-types";
import { planSet } from "../../provider/core/plan-set";
import { RunPlan } from "../../provider/core/run-plan";
import type { SetChange } from "../../provider/core/set-change";
import { checkedChange, priorOf } from "../../provider/core/set-change";
import { seedStatus, seedStatusWithBucket } from "../resource/fixtures";

const CACHE_KEY = "emu hpc";

function inputs(overrides: Record<string, unknown> = {}): NodeSetInputs {
  return withDefaults(
    {
      identity: "p/s/mpi",
      cluster: "hpc",
      nodearray: "ondemand",
      count: 2,
      machineType: "Standard_Hc44rs",
      ...overrides,
    },
    "base",
  );
}

/** Plans with `facts`, answering each observation the planner asks for; returns the asks and the plan. */
function planWith(
  change: SetChange,
  facts: Required<Pick<ClusterView, "status">> & Omit<ClusterView, "status">,
  run = new RunPlan(),
): { asked: Observation[]; plan: SetPlan } {
  const asked: Observation[] = [];
  let view: ClusterView = {};
  let plan = planSet(change, view, { run, key: change.inputs.identity });
  while (plan.kind === "observe") {
    asked.push(plan.what);
    if (facts[plan.what] === undefined)
      throw new Error(`the planner asked for ${plan.what}, which this test does not give`);
    view = { ...view, [plan.what]: facts[plan.what] };
    plan = planSet(change, view, { run, key: change.inputs.identity });
  }
  return { asked, plan };
}

const roomy = { status: { status: seedStatus(), cacheKey: CACHE_KEY } };
const full = {
  status: {
    status: seedStatusWithBucket("Standard_Hc44rs", { availableCount: 0, availableCoreCount: 0 }),
    cacheKey: CACHE_KEY,
  },
};

describe("planSet", () => {
  it("asks for nothing when the set does not grow, and judges nothing", () => {
    const shrink = checkedChange({ ...inputs(), count: 3 }, inputs(), false);
    const { asked, plan } = planWith(shrink, roomy);
    expect(asked).toEqual([]);
    expect(plan).toMatchObject({ kind: "planned", stops: [] });
    expect(plan.kind === "planned" && plan.verdict).toBeUndefined();
  });

  it("asks for the status only, for a new set that fits, and its verdict carries the charge", () => {
    const run = new RunPlan();
    const { asked, plan } = planWith(checkedChange({}, inputs(), false), roomy, run);
    expect(asked).toEqual(["status"]);
    expect(plan.kind === "planned" && plan.verdict).toMatchObject({
      fits: true,
      line: "preflight hpc/ondemand Standard_Hc44rs: +2 requested, 11 available (binding limit: bucket availableCount) - fits",
      charge: {
        cacheKey: CACHE_KEY,
        set: "mpi",
        nodes: 2,
        spec: { nodearray: "ondemand", machineType: "Standard_Hc44rs" },
      },
    });
    // Planning is pure: the ledger is charged by preflight when it applies the verdict.
    expect(run.plannedIncreases.size).toBe(0);
    expect(planWith(checkedChange({}, inputs(), false), roomy, run)).toEqual({ asked, plan });
  });

  it("asks what the set holds before the status when it adopts, and counts those nodes as existing", () => {
    const adopting = inputs({ count: 3, adoptExisting: { requestId: "manual-1" } });
    const { asked, plan } = planWith(checkedChange({}, adopting, false), { ...full, held: 3, warmPool: 0 });
    expect(asked).toEqual(["held", "status", "warmPool"]);
    expect(plan.kind === "planned" && plan.verdict?.fits).toBe(true);
  });

  it("on a refusal, lists what the set holds, then the kept nodes, and refuses with the fix", () => {
    const { asked, plan } = planWith(checkedChange({}, inputs(), false), {
      ...full,
      held: 0,
      keptNodes: null,
    });
    expect(asked).toEqual(["status", "held", "keptNodes"]);
    expect(plan.kind === "planned" && !plan.verdict?.fits && plan.verdict?.refusal.failures).toEqual([
      {
        property: "count",
        reason:
          "preflight hpc/ondemand Standard_Hc44rs: +2 requested, 0 available (binding limit: bucket availableCount) - does not fit: " +
          'lower `count` to at most 0, free capacity in the cluster, or set `preflight: "warn"` to try anyway',
      },
    ]);
  });

  it("judges the increase after the run's earlier increases in the same status, naming those sets", () => {
    const run = new RunPlan();
    const hc = { nodearray: "ondemand", machineType: "Standard_Hc44rs" };
    run.plannedIncreases.set("p/s/first", { cacheKey: CACHE_KEY, set: "first", spec: hc, nodes: 6 });
    // Judged against another cluster's status: not counted, not named.
    run.plannedIncreases.set("p/s/elsewhere", {
      cacheKey: "other hpc",
      set: "elsewhere",
      spec: hc,
      nodes: 1,
    });
    run.plannedIncreases.set("p/s/second", { cacheKey: CACHE_KEY, set: "second", spec: hc, nodes: 4 });
    const { plan } = planWith(
      checkedChange({}, inputs(), false),
      { ...roomy, held: 0, keptNodes: null },
      run,
    );
    expect(
      plan.kind === "planned" && !plan.verdict?.fits && plan.verdict?.refusal.failures[0]?.reason,
    ).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+2 requested, 1 available .* \(after 10 node\(s\) for other sets of this plan: 6 for first, 4 for second\)/,
    );
  });

  it("plans an update's heal from the state (diff): a failed node is re-created, its room reused", () => {
    const state = {
      ...inputs({ count: 1 }),
      requestIds: ["base-0"],
      nodes: [{ id: "n1", name: "ondemand-1", status: "Failed" }],
      nodeIds: ["n1"],
      hostnames: [],
      privateIps: [],
      readyCount: 0,
      failedCount: 1,
      deallocatedCount: 0,
    };
    const change: SetChange = {
      kind: "update",
      inputs: inputs({ count: 1 }),
      prior: priorOf({ ...state }),
      state,
    };
    // Nothing to create beyond the failed node's own room: no status read.
    const healed = planWith(change, roomy);
    expect(healed.asked).toEqual([]);
    expect(healed.plan.kind === "planned" && healed.plan.verdict).toBeUndefined();
    const grown: SetChange = { ...change, inputs: inputs({ count: 2 }) };
    const { asked, plan } = planWith(grown, full);
    expect(asked).toEqual(["status"]);
    expect(
      plan.kind === "planned" && !plan.verdict?.fits && plan.verdict?.refusal.failures[0]?.reason,
    ).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+1 requested, 0 available .*; the update creates 2 node\(s\) with `count` 1 -> 2: 1 replacing failed ondemand-1/,
    );
  });
});
