/**
 * The tightly coupled case through the engine (examples/mpi-placement-group): the program reads
 * the cluster status with getClusterStatus, checks InfiniBand and capacity itself, then declares
 * 4 x Standard_Hc44rs in placement group pg0.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import {
  emulatorNodes,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  outputsOf,
  startE2eEmulator,
  Workspace,
} from "./harness";

/** The seed's Standard_Hc44rs bucket. */
const HC44RS_BUCKET = "d81e001a-abcd-1234-9754-79815cb7b225";

let emulator: RunningEmulator;
let ws: Workspace;

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "mpi-placement-group", label: "mpi" });
  await ws.init(emulator);
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("the MPI placement group example through the Pulumi engine", () => {
  it("creates 4 Ready Standard_Hc44rs nodes on InfiniBand in placement group pg0", async () => {
    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain(
      "preflight: hpc/ondemand Standard_Hc44rs in placement group 'pg0': +4 requested, 11 available (binding limit: bucket availableCount) - fits",
    );
    const nodes = await liveNodes(emulator);
    const base = (await ws.nodeSet()).id ?? "";
    expect(
      nodes.map((n) => ({
        name: n.record.Name,
        status: n.record.Status,
        machineType: n.record.MachineType,
        placementGroup: n.record.PlacementGroupId,
        infiniband: n.record.Infiniband,
        requestId: n.requestId,
      })),
    ).toEqual(
      Array.from({ length: 4 }, (_, i) => ({
        name: `ondemand-${i + 1}`,
        status: "Ready",
        machineType: "Standard_Hc44rs",
        placementGroup: "pg0",
        infiniband: true,
        requestId: `${base}-0`,
      })),
    );
    const { hostnames, privateIps } = outputsOf(nodes);
    expect(await ws.outputs()).toEqual({ hostnames, privateIps, bucketId: HC44RS_BUCKET });
  });

  it("plans no change on a second preview: the program counts the group's nodes as its own", async () => {
    const before = await mutatingRequests(emulator);

    const preview = expectSuccess(await ws.pulumi(["preview", "--expect-no-changes"]));

    expect(preview.stdout).toContain(
      "preflight: hpc/ondemand Standard_Hc44rs in placement group 'pg0': +0 requested, 7 available (binding limit: bucket availableCount) - fits",
    );
    expect(await mutatingRequests(emulator)).toBe(before);
  });

  it("terminates the four nodes on destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere([ws]);
  });
});
