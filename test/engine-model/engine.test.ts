/**
 * The engine model itself: the provider calls a command makes, in the engine's order, and what the
 * state records. A replacement creates the new set before it deletes the old one, or deletes first
 * with `deleteBeforeReplace`; a create that fails after its nodes exist (a partial failure) is in
 * state with its reasons, and the next `up` updates it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { admin } from "../provider/harness";
import type { EngineModel } from "./engine";
import { declared, liveNodes, redeclared, stackFor } from "./helpers";

let emulator: RunningEmulator;
let stack: EngineModel;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.reset();
  stack = stackFor(emulator);
});

const workers = (deleteBeforeReplace?: boolean) =>
  declared(
    "workers",
    { cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Fs32_v2", count: 1 },
    deleteBeforeReplace,
  );

describe("the engine model", () => {
  it("creates the replacement before it deletes the old set, re-checking with no olds first", async () => {
    const set = workers();
    expect((await stack.up([set])).calls).toEqual(["check workers", "create workers"]);
    const oldId = stack.set("workers").id;

    const up = await stack.up([redeclared(set, { machineType: "Standard_Hc44rs" })]);

    expect(up.failures).toEqual([]);
    expect(up.steps).toEqual({ workers: "replace" });
    expect(up.replaceReasons).toEqual({ workers: ["machineType"] });
    expect(up.calls).toEqual([
      "check workers",
      "diff workers",
      "check workers",
      "create workers",
      "delete workers",
    ]);
    expect(stack.state.map((r) => r.name)).toEqual(["workers"]);
    expect(stack.set("workers").id).not.toBe(oldId);
    expect(liveNodes(emulator).map((n) => n.record.MachineType)).toEqual(["Standard_Hc44rs"]);
  });

  it("deletes the old set first with the deleteBeforeReplace resource option", async () => {
    const set = workers(true);
    await stack.up([set]);

    const up = await stack.up([redeclared(set, { machineType: "Standard_Hc44rs" })]);

    expect(up.failures).toEqual([]);
    expect(up.calls).toEqual([
      "check workers",
      "diff workers",
      "delete workers",
      "check workers",
      "create workers",
    ]);
    expect(liveNodes(emulator).map((n) => n.record.MachineType)).toEqual(["Standard_Hc44rs"]);
  });

  it("records a partial failure of a create in state with its reasons, and updates the set on the next up", async () => {
    const set = redeclared(workers(), { readyTimeoutSeconds: 3600 });
    await admin(emulator, "/fail-next-nodes", { count: 1, message: "Node software installation failed" });

    const up = await stack.up([set]);

    expect(up.failures.map((f) => [f.name, f.op])).toEqual([["workers", "create"]]);
    const stored = stack.set("workers");
    expect(stored.outputs.failedCount).toBe(1);
    expect(stored.initErrors).toHaveLength(1);
    const next = await stack.up([set]);
    expect(next.failures).toEqual([]);
    expect(next.steps).toEqual({ workers: "update" });
    expect(next.calls).toEqual(["check workers", "diff workers", "update workers"]);
    expect(stack.set("workers").initErrors).toEqual([]);
    expect(liveNodes(emulator).map((n) => n.record.Status)).toEqual(["Ready"]);
  });

  it("deletes a set the program no longer declares, and destroy deletes the rest", async () => {
    const a = declared("a", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Fs32_v2",
      count: 1,
    });
    const b = declared("b", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Fs32_v2",
      count: 1,
    });
    await stack.up([a, b]);

    const up = await stack.up([a]);

    expect(up.steps).toEqual({ a: "same", b: "delete" });
    expect(up.calls).toEqual(["check a", "diff a", "delete b"]);
    expect(stack.state.map((r) => r.name)).toEqual(["a"]);
    expect((await stack.destroy()).calls).toEqual(["delete a"]);
    expect(liveNodes(emulator)).toEqual([]);
  });
});
