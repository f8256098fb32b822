/**
 * Issue 14 through the real engine: API calls of a stack of several sets on one cluster, counted by
 * the emulator. `pulumi up` reads the cluster status once (the checks of the run share it; the
 * creates, done as planned, do not make it stale); `pulumi destroy` lists each set twice when its
 * nodes go at once (the probe for an interrupted create, and the listing that confirms).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { EmulatorConfig, RunningEmulator } from "../../emulator";
import { expectSuccess, liveNodes, Workspace } from "./harness";

const SETS = 6;

const CONFIG: EmulatorConfig = {
  clusters: [
    {
      name: "hpc",
      maxCount: 1000,
      maxCoreCount: 100000,
      nodearrays: [
        {
          name: "ondemand",
          maxCount: 1000,
          maxCoreCount: 100000,
          buckets: [{ machineType: "Standard_F2s_v2", vcpuCount: 2, memory: 4, maxCount: 1000 }],
        },
      ],
    },
  ],
};

let emulator: RunningEmulator;
let ws: Workspace;

beforeAll(async () => {
  // Nodes go at once on terminate; provisioning takes a little, so the creates poll.
  emulator = await startEmulator({
    port: 0,
    timing: { acquiringMs: 200, preparingMs: 200, terminatingMs: 0 },
    config: CONFIG,
  });
  ws = await Workspace.create({ example: "preflight", label: "api-calls" });
  await ws.init(emulator, { count: "2" });
  await ws.writeProgram(`
import { CycleCloudNodeSet } from "pulumi-cyclecloud";
for (let i = 0; i < ${SETS}; i++) {
  new CycleCloudNodeSet(\`workers-\${i}\`, { cluster: "hpc", nodearray: "ondemand", machineType: "Standard_F2s_v2", count: 2, preflight: "enforce" });
}
`);
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("API calls of a stack of several sets, through the Pulumi engine", () => {
  it("reads the cluster status once in `pulumi preview` and once in `pulumi up`", async () => {
    emulator.reset();
    expectSuccess(await ws.pulumi(["preview"]));
    expect(emulator.counters().status).toBe(1);

    // `up` without --skip-preview runs its own preview first, in another provider process (one read
    // there too): the update alone is measured here.
    emulator.reset();
    expectSuccess(await ws.up(["--skip-preview"]));
    expect(emulator.counters()).toMatchObject({ status: 1, create: SETS });
    expect(await liveNodes(emulator)).toHaveLength(SETS * 2);
  });

  it("lists each set at most twice in `pulumi destroy` when its nodes go at once", async () => {
    const before = emulator.counters();
    expectSuccess(await ws.destroy());
    const after = emulator.counters();
    expect(after.nodes - before.nodes).toBe(2 * SETS);
    expect(after.terminate - before.terminate).toBe(SETS);
    expect(after.status - before.status).toBe(0);
    expect(await liveNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});
