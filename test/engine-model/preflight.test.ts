/**
 * The capacity preflight through the engine model (moved from the first scenarios of
 * test/e2e/preflight.e2e.test.ts): examples/preflight asks for 12 Standard_Hc44rs nodes where the
 * seed's bucket holds 11, so `check` fails during preview and up, before any request that changes
 * the cluster; with `count` 8 the preview passes. Through the real engine (test/e2e/preflight.e2e.test.ts):
 * the refusal of an update as the engine prints a diff's error, and lines naming component parents.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import type { Declared, EngineModel } from "./engine";
import { declared, liveNodes, mutations, redeclared, stackFor } from "./helpers";

const REFUSAL =
  "preflight hpc/ondemand Standard_Hc44rs: +12 requested, 11 available (binding limit: bucket availableCount) - does not fit: " +
  'lower `count` to at most 11, free capacity in the cluster, or set `preflight: "warn"` to try anyway';

let emulator: RunningEmulator;
let stack: EngineModel;
/** examples/preflight's set (count 12 unless stack config says otherwise). */
let solvers: Declared;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  stack = stackFor(emulator);
  solvers = declared("solvers", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: "Standard_Hc44rs",
    count: 12,
    preflight: "enforce",
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe("a capacity increase the cluster cannot hold, through the engine model", () => {
  it("fails the preview with the capacity message and creates nothing", async () => {
    const preview = await stack.preview([solvers]);

    expect(preview.failures).toEqual([{ name: "solvers", op: "check", message: `count: ${REFUSAL}` }]);
    expect(emulator.nodes()).toEqual([]);
    expect(mutations(emulator)).toBe(0);
  });

  it("fails an up of the same program before any change, leaving nothing in state", async () => {
    const up = await stack.up([solvers]);

    expect(up.failures).toEqual([{ name: "solvers", op: "check", message: `count: ${REFUSAL}` }]);
    expect(emulator.nodes()).toEqual([]);
    expect(mutations(emulator)).toBe(0);
    expect(stack.state).toEqual([]);
  });

  it("passes the preview once `count` fits", async () => {
    solvers = redeclared(solvers, { count: 8 });

    const preview = await stack.preview([solvers]);

    expect(preview.failures).toEqual([]);
    expect(preview.info).toContain(
      "cyclecloud solvers: preflight hpc/ondemand Standard_Hc44rs: +8 requested, 11 available (binding limit: bucket availableCount) - fits",
    );
    expect(preview.steps).toEqual({ solvers: "create" });
    expect(liveNodes(emulator)).toEqual([]);
    expect(mutations(emulator)).toBe(0);
  });
});
