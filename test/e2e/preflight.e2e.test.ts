/**
 * The capacity preflight through the engine (examples/preflight): the program asks for 12
 * Standard_Hc44rs nodes where the seed's bucket holds 11, so `check` fails during preview and up,
 * before any request that changes the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import {
  emulatorNodes,
  expectFailure,
  expectNoPasswordAnywhere,
  expectSuccess,
  mutatingRequests,
  output,
  startE2eEmulator,
  Workspace,
} from "./harness";

const REFUSAL =
  "preflight hpc/ondemand Standard_Hc44rs: +12 requested, 11 available (binding limit: bucket availableCount) - does not fit: " +
  'lower `count` to at most 11, free capacity in the cluster, or set `preflight: "warn"` to try anyway';

let emulator: RunningEmulator;
let ws: Workspace;

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "preflight" });
  await ws.init(emulator);
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("a capacity increase the cluster cannot hold, through the Pulumi engine", () => {
  it("fails the preview with the capacity message and creates nothing", async () => {
    const preview = expectFailure(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain(REFUSAL);
    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await mutatingRequests(emulator)).toBe(0);
  });

  it("fails an up of the same program before any change, leaving nothing in state", async () => {
    const up = expectFailure(await ws.up());

    expect(output(up)).toContain(REFUSAL);
    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await mutatingRequests(emulator)).toBe(0);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("passes the preview once `count` fits", async () => {
    await ws.setConfig({ count: "8" });

    const preview = expectSuccess(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain(
      "cyclecloud solvers: preflight hpc/ondemand Standard_Hc44rs: +8 requested, 11 available (binding limit: bucket availableCount) - fits",
    );
    expect(preview.stdout).toMatch(/Resources:\n\s+\+ 3 to create\n/);
    expect(await mutatingRequests(emulator)).toBe(0);
  });

  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere([ws]);
  });
});
