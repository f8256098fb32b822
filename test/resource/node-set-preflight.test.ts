/** Preflight with injected sources: the nodes `adoptExisting` names count as existing, not new. */
import { describe, expect, it, vi } from "vitest";
import type { NodeSetInputs } from "../../provider/core/inputs";
import { withDefaults } from "../../provider/core/inputs-pick";
import { UNKNOWN } from "../../provider/core/inputs-unknown";
import type { PreflightSources } from "../../provider/core/node-set-preflight";
import { RunPlan } from "../../provider/core/run-plan";
import type { ClusterStatus } from "../../wire/schemas";
import { seedStatus, seedStatusWithBucket } from "./fixtures";
import { checkPreflight } from "./fixtures";

/** The seed's status with the `Standard_Hc44rs` bucket full. */
function fullHc44rs(): ClusterStatus {
  return seedStatusWithBucket("Standard_Hc44rs", { availableCount: 0, availableCoreCount: 0 });
}

function sources(status: ClusterStatus, held: (inputs: NodeSetInputs) => Promise<number>) {
  const lines: string[] = [];
  const source: PreflightSources = {
    status: () => Promise.resolve({ status, cacheKey: "emu hpc" }),
    held: vi.fn(held),
    log: (_inputs, line) => lines.push(line),
    warn: (_inputs, text) => lines.push(`warning: ${text}`),
  };
  return { source, lines };
}

/** A new set in preview: identity and base request id unknown. */
function previewInputs(overrides: Record<string, unknown>): NodeSetInputs {
  return withDefaults(
    {
      identity: UNKNOWN,
      cluster: "hpc",
      nodearray: "ondemand",
      count: 1,
      machineType: "Standard_Hc44rs",
      ...overrides,
    },
    UNKNOWN,
  );
}

describe("preflight of a set that adopts", () => {
  it("counts the nodes it will adopt as existing, even when its base request id is unknown", async () => {
    const { source, lines } = sources(fullHc44rs(), () => Promise.resolve(1));
    const inputs = previewInputs({ adoptExisting: { requestId: "manual-1" } });
    expect(await checkPreflight({}, inputs, source, new RunPlan())).toEqual([]);
    expect(source.held).toHaveBeenCalledWith(inputs);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^preflight hpc\/ondemand Standard_Hc44rs: \+0 requested, 0 available/);
    expect(lines[0]).toMatch(/\(1 node\(s\) of this set already exist\)$/);
  });

  it("asks only for the nodes beyond those it adopts, and says how many fit", async () => {
    const { source } = sources(fullHc44rs(), () => Promise.resolve(1));
    const failures = await checkPreflight(
      {},
      previewInputs({ count: 3, adoptExisting: { requestId: "manual-1" } }),
      source,
      new RunPlan(),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]?.property).toBe("count");
    expect(failures[0]?.reason).toMatch(/\+2 requested, 0 available/);
    expect(failures[0]?.reason).toMatch(
      /\(1 node\(s\) of this set already exist\): lower `count` to at most 1,/,
    );
  });

  it("plans only the new nodes when the increase fits, so other sets of the plan are not charged twice", async () => {
    const { source } = sources(seedStatus(), () => Promise.resolve(2));
    const run = new RunPlan();
    const inputs = previewInputs({
      identity: "proj/stack/adopter",
      count: 3,
      adoptExisting: { nodeIds: ["a", "b"] },
    });
    expect(await checkPreflight({}, inputs, source, run)).toEqual([]);
    expect(run.plannedIncreases.get("proj/stack/adopter")?.nodes).toBe(1);
  });

  it("refuses, on `adoptExisting`, nodes the set cannot adopt", async () => {
    const { source } = sources(seedStatus(), () =>
      Promise.reject(new Error("`adoptExisting`: cannot adopt scheduler: it is not in a nodearray")),
    );
    const inputs = previewInputs({ adoptExisting: { nodeIds: ["scheduler-id"] } });
    expect(await checkPreflight({}, inputs, source, new RunPlan())).toEqual([
      {
        property: "adoptExisting",
        reason: "`adoptExisting`: cannot adopt scheduler: it is not in a nodearray",
      },
    ]);
  });

  it("does not ask for the holdings of a new set that adopts nothing (its base request id unknown)", async () => {
    const { source } = sources(fullHc44rs(), () => Promise.resolve(1));
    const failures = await checkPreflight({}, previewInputs({}), source, new RunPlan());
    expect(source.held).not.toHaveBeenCalled();
    expect(failures[0]?.reason).toMatch(/\+1 requested, 0 available .*lower `count` to at most 0,/);
  });
});
