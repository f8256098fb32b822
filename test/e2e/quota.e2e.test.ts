/**
 * A family quota refusal through the engine: the emulator's Standard_Hc44rs buckets (44 vCPU)
 * belong to the VM family standardHCSFamily, whose quota (352 cores, 88 of them used outside the
 * cluster) holds 6 nodes where the bucket itself holds 11. A set of 8 fails the preview naming the
 * family quota, its numbers and the fix, before any request that changes the cluster; a set of 6
 * passes, `up` creates the 6 and `destroy` removes them. Two sets in two nodearrays of the same
 * family, each fitting alone but not together, fail the preview naming the same quota.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { EmulatorConfig, RunningEmulator } from "../../emulator";
import {
  E2E_TIMING,
  expectFailure,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  NODE_SET_TYPE,
  output,
  Workspace,
} from "./harness";

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

let emulator: RunningEmulator;
let ws: Workspace;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: E2E_TIMING, config: CONFIG });
  ws = await Workspace.create({ example: "preflight", label: "quota" });
  await ws.init(emulator, { count: "8" });
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("a family quota smaller than the bucket, through the Pulumi engine", () => {
  it("fails the preview naming the family quota, its numbers and the fix, and creates nothing", async () => {
    const preview = expectFailure(await ws.pulumi(["preview"]));

    // The line under Diagnostics, as the engine prints the failure of `check`.
    expect(output(preview)).toContain(
      `error: ${NODE_SET_TYPE} resource 'solvers': property count value {8} has a problem: ${REFUSAL}\n`,
    );
    expect(await liveNodes(emulator)).toEqual([]);
    expect(await mutatingRequests(emulator)).toBe(0);
  });

  it("creates exactly the nodes that fit once `count` does, and destroys them", async () => {
    await ws.setConfig({ count: "6" });

    const up = expectSuccess(await ws.up());
    expect(output(up)).toContain(
      "preflight hpc/ondemand Standard_Hc44rs: +6 requested, 6 available (binding limit: family quota standardHCSFamily, 264 of 352 cores free, 0 free after 6 nodes) - fits",
    );
    expect((await liveNodes(emulator)).map((n) => n.record.Name)).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `ondemand-${i}`),
    );

    expectSuccess(await ws.destroy());
    expect(await liveNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("refuses two sets that each fit alone but not together, naming the shared family quota", async () => {
    await ws.writeProgram(`
import { CycleCloudNodeSet } from "pulumi-cyclecloud";
for (const nodearray of ["ondemand", "burst"]) {
  new CycleCloudNodeSet(nodearray, { cluster: "hpc", nodearray, machineType: "Standard_Hc44rs", count: 4, preflight: "enforce" });
}
`);
    const before = await mutatingRequests(emulator);

    const preview = expectFailure(await ws.pulumi(["preview"]));

    // The engine checks both sets; whichever comes second gets what the first left.
    expect(output(preview)).toMatch(
      new RegExp(
        "preflight hpc/(ondemand|burst) Standard_Hc44rs: \\+4 requested, 2 available \\(binding limit: family quota standardHCSFamily, " +
          "88 of 352 cores free, 0 free after 2 nodes\\) - does not fit \\(after 4 node\\(s\\) for other sets of this plan\\): " +
          "lower `count` to at most 2, " +
          FIX.replace(/[()]/g, "\\$&") +
          " 88 \\+ 176 planned for other sets of this plan; Azure portal > Quotas > Compute\\)",
      ),
    );
    expect(await liveNodes(emulator)).toEqual([]);
    expect(await mutatingRequests(emulator)).toBe(before);
  });
});
