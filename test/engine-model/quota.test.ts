/**
 * A family quota refusal through the engine model (moved from test/e2e/quota.e2e.test.ts): the
 * emulator's Standard_Hc44rs buckets (44 vCPU) belong to the VM family standardHCSFamily, whose
 * quota (352 cores, 88 of them used outside the cluster) holds 6 nodes where the bucket itself
 * holds 11. A set of 8 fails the preview naming the family quota, its numbers and the fix, before
 * any request that changes the cluster; a set of 6 passes, `up` creates the 6 and `destroy` removes
 * them. Two sets in two nodearrays of the same family, each fitting alone but not together, fail
 * the preview naming the same quota. (The engine's diagnostic line for a failed check is shown
 * through the real engine in test/e2e/tls.e2e.test.ts and preflight.e2e.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { EmulatorConfig, RunningEmulator } from "../../emulator";
import type { EngineModel } from "./engine";
import { declared, liveNodes, mutations, stackFor } from "./helpers";

const hc44rs = {
  machineType: "Standard_Hc44rs",
  vcpuCount: 44,
  memory: 327.83,
  infiniband: true,
  maxCount: 11,
};

const CONFIG: EmulatorConfig = {
  clusters: [
    {
      name: "hpc",
      maxCount: 100,
      maxCoreCount: 10000,
      quotas: { families: { standardHCSFamily: { coreCount: 352, consumedCoreCount: 88 } } },
      nodearrays: [
        {
          name: "ondemand",
          maxCount: 100,
          maxCoreCount: 1000,
          buckets: [{ ...hc44rs, family: "standardHCSFamily" }],
        },
        {
          name: "burst",
          maxCount: 100,
          maxCoreCount: 1000,
          buckets: [{ ...hc44rs, family: "standardHCSFamily" }],
        },
      ],
    },
  ],
};

const FIX =
  "raise the subscription's standardHCSFamily vCPU quota in westus2 (familyQuotaCoreCount 352, familyConsumedCoreCount";

const REFUSAL =
  "preflight hpc/ondemand Standard_Hc44rs: +8 requested, 6 available (binding limit: family quota standardHCSFamily, " +
  "264 of 352 cores free, 0 free after 6 nodes) - does not fit: lower `count` to at most 6, " +
  `${FIX} 88; Azure portal > Quotas > Compute), or set \`preflight: "warn"\` to try anyway`;

/** examples/preflight's set, with `count` from stack config. */
const solvers = (count: number) =>
  declared("solvers", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: "Standard_Hc44rs",
    count,
    preflight: "enforce",
  });

let emulator: RunningEmulator;
let stack: EngineModel;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 },
    config: CONFIG,
  });
  stack = stackFor(emulator);
});

afterAll(async () => {
  await emulator?.close();
});

describe("a family quota smaller than the bucket, through the engine model", () => {
  it("fails the preview naming the family quota, its numbers and the fix, and creates nothing", async () => {
    const preview = await stack.preview([solvers(8)]);

    expect(preview.failures).toEqual([{ name: "solvers", op: "check", message: `count: ${REFUSAL}` }]);
    expect(liveNodes(emulator)).toEqual([]);
    expect(mutations(emulator)).toBe(0);
  });

  it("creates exactly the nodes that fit once `count` does, and destroys them", async () => {
    const up = await stack.up([solvers(6)]);

    expect(up.failures).toEqual([]);
    expect(up.info).toContain(
      "cyclecloud solvers: preflight hpc/ondemand Standard_Hc44rs: +6 requested, 6 available (binding limit: family quota standardHCSFamily, 264 of 352 cores free, 0 free after 6 nodes) - fits",
    );
    expect(liveNodes(emulator).map((n) => n.record.Name)).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `ondemand-${i}`),
    );

    const destroy = await stack.destroy();
    expect(destroy.failures).toEqual([]);
    expect(liveNodes(emulator)).toEqual([]);
    expect(stack.state).toEqual([]);
  });

  it("refuses two sets that each fit alone but not together, naming the shared family quota", async () => {
    const before = mutations(emulator);
    const sets = ["ondemand", "burst"].map((nodearray) =>
      declared(nodearray, {
        cluster: "hpc",
        nodearray,
        machineType: "Standard_Hc44rs",
        count: 4,
        preflight: "enforce",
      }),
    );

    const preview = await stack.preview(sets);

    // The engine checks both sets in program order: the second gets what the first left.
    expect(preview.failures).toEqual([
      {
        name: "burst",
        op: "check",
        message:
          "count: preflight hpc/burst Standard_Hc44rs: +4 requested, 2 available (binding limit: family quota standardHCSFamily, " +
          "88 of 352 cores free, 0 free after 2 nodes) - does not fit (after 4 node(s) for other sets of this plan: 4 for ondemand): " +
          `lower \`count\` to at most 2, ${FIX} 88 + 176 planned for other sets of this plan; Azure portal > Quotas > Compute), ` +
          'or set `preflight: "warn"` to try anyway',
      },
    ]);
    expect(liveNodes(emulator)).toEqual([]);
    expect(mutations(emulator)).toBe(before);
  });
});
