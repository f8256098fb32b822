/**
 * Capacity behaviours through the engine model (issue 12; moved from test/e2e/warm-pool.e2e.test.ts):
 * the warm pool (`scaleDown: "deallocate"`: a shrink deallocates and keeps the nodes, a grow starts
 * them again with no create request), a destroy with `onDelete: "deallocate"` that also removes the
 * warm pool, `minReady` with a failing node and the healing `up`, and a create that fails fast with
 * its reasons instead of waiting for `readyTimeoutSeconds`. Through the real engine
 * (test/e2e/warm-pool.e2e.test.ts): the `minReady` warning is an engine diagnostic of severity warning.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import { admin } from "../provider/harness";
import type { Declared, EngineModel } from "./engine";
import { declared, liveNodes, redeclared, stackFor } from "./helpers";

let emulator: RunningEmulator;

/** The quickstart's set with this file's inputs (test/e2e/warm-pool.e2e.test.ts's PROGRAM). */
const workers = (inputs: Record<string, unknown>): Declared =>
  declared("workers", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: "Standard_Fs32_v2",
    readyTimeoutSeconds: 1800,
    ...inputs,
  });

function freshStack(): EngineModel {
  emulator.reset();
  return stackFor(emulator);
}

const byId = (nodes: readonly AdminNodeView[]): Record<string, string> =>
  Object.fromEntries(nodes.map((n) => [n.record.NodeId, n.record.Status]));

function stateById(stack: EngineModel): Record<string, string> {
  return Object.fromEntries(stack.set("workers").outputs.nodes.map((n) => [n.id, n.status]));
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
});

afterAll(async () => {
  await emulator?.close();
});

describe("a warm pool (scaleDown: deallocate), through the engine model", () => {
  let stack: EngineModel;
  let set: Declared;
  let ids: string[];

  beforeAll(() => {
    stack = freshStack();
    set = workers({ count: 3, scaleDown: "deallocate", onDelete: "deallocate" });
  });

  it("shrinks by deallocating: 1 Ready and 2 Deallocated, all in state", async () => {
    expect((await stack.up([set])).failures).toEqual([]);
    ids = liveNodes(emulator).map((n) => n.record.NodeId);
    expect(ids).toHaveLength(3);

    set = redeclared(set, { count: 1 });
    const shrink = await stack.up([set]);
    expect(shrink.failures).toEqual([]);
    expect(shrink.steps).toEqual({ workers: "update" });
    // The up says the shrink deallocates, and which nodes.
    expect(shrink.info).toContain(
      "cyclecloud workers: update: count 3 -> 1: deallocates 2 node(s) (ondemand-3, ondemand-2), " +
        'kept as the set\'s warm pool (scaleDown: "deallocate")',
    );
    const live = liveNodes(emulator);
    expect(live.map((n) => n.record.NodeId).sort()).toEqual([...ids].sort());
    expect(Object.values(byId(live)).sort()).toEqual(["Deallocated", "Deallocated", "Ready"]);
    expect(stack.set("workers").outputs.readyCount).toBe(1);
    expect(stack.set("workers").outputs.deallocatedCount).toBe(2);
    expect(stateById(stack)).toEqual(byId(live));
  });

  it("keeps the deallocated nodes as the set's on refresh, and previews no change", async () => {
    expect((await stack.refresh()).failures).toEqual([]);
    expect(stateById(stack)).toEqual(byId(liveNodes(emulator)));
    const preview = await stack.preview([set]);
    // The warm pool is no change: the set's step is "same".
    expect(preview.failures).toEqual([]);
    expect(preview.steps).toEqual({ workers: "same" });
  });

  it("grows by starting the same nodes again, with no create request", async () => {
    const before = emulator.counters();
    set = redeclared(set, { count: 3 });
    expect((await stack.up([set])).failures).toEqual([]);
    const after = emulator.counters();
    expect(after.create - before.create).toBe(0);
    expect(after.start - before.start).toBe(1);
    expect(byId(liveNodes(emulator))).toEqual(Object.fromEntries(ids.map((id) => [id, "Ready"])));
    expect(stack.set("workers").outputs.deallocatedCount).toBe(0);
  });

  it("on destroy terminates the warm pool and deallocates the rest (onDelete: deallocate)", async () => {
    set = redeclared(set, { count: 1 });
    expect((await stack.up([set])).failures).toEqual([]);
    const pool = liveNodes(emulator).filter((n) => n.record.Status === "Deallocated");
    expect(pool).toHaveLength(2);

    expect((await stack.destroy()).failures).toEqual([]);
    const live = liveNodes(emulator);
    // The one active node is deallocated and left (onDelete); the warm pool is gone.
    expect(live.map((n) => n.record.Status)).toEqual(["Deallocated"]);
    expect(pool.map((n) => n.record.NodeId)).not.toContain(live[0]?.record.NodeId);
    expect(ids).toContain(live[0]?.record.NodeId);
    expect(stack.state).toEqual([]);
  });
});

describe("minReady, through the engine model", () => {
  let stack: EngineModel;
  let set: Declared;
  let failedId: string;

  beforeAll(() => {
    stack = freshStack();
    set = workers({ count: 3, minReady: 2 });
  });

  it("succeeds with 2 of 3 Ready, warns with the failed node's reason and keeps it in state", async () => {
    await admin(emulator, "/fail-next-nodes", {
      count: 1,
      message: "Node software installation failed: cluster-init script exited with code 1",
    });
    const up = await stack.up([set]);
    expect(up.failures).toEqual([]);
    const failed = liveNodes(emulator).filter((n) => n.record.Status === "Failed");
    expect(failed.map((n) => n.record.Name)).toEqual(["ondemand-1"]);
    failedId = failed[0]?.record.NodeId ?? "";
    // A warning of the set (sent to the engine), not a line of its output.
    expect(up.warnings).toEqual([
      "cyclecloud workers: 2/3 ready, at least `minReady` 2: 1 failed: Node software installation failed: " +
        "cluster-init script exited with code 1 (ondemand-1); the next `pulumi up` replaces them",
    ]);
    expect(up.info.filter((line) => line.includes("warning:"))).toEqual([]);
    expect(stack.set("workers").outputs.readyCount).toBe(2);
    expect(stack.set("workers").outputs.failedCount).toBe(1);
    expect(stateById(stack)).toEqual(byId(liveNodes(emulator)));
  });

  it("heals on the next up: the failed node is replaced", async () => {
    const up = await stack.up([set]);
    expect(up.failures).toEqual([]);
    expect(up.steps).toEqual({ workers: "update" });
    const live = liveNodes(emulator);
    expect(Object.values(byId(live))).toEqual(["Ready", "Ready", "Ready"]);
    expect(live.map((n) => n.record.NodeId)).not.toContain(failedId);
    expect(stack.set("workers").outputs.readyCount).toBe(3);
    expect(stack.set("workers").outputs.failedCount).toBe(0);
  });

  it("fails as a partial failure below minReady", async () => {
    // One node fails out of band; its replacement fails too: 2 of 3 ready, below minReady 3.
    set = redeclared(set, { minReady: 3 });
    const [victim] = liveNodes(emulator);
    await admin(emulator, "/fail-nodes", { ids: [victim?.record.NodeId] });
    await admin(emulator, "/fail-next-nodes", { count: 1 });
    const up = await stack.up([set]);
    expect(up.failures).toHaveLength(1);
    expect(up.failures[0]).toMatchObject({ name: "workers", op: "update" });
    expect(up.failures[0]?.message).toContain("2/3 ready");
    // The set is recorded with its nodes, the failed replacement among them.
    expect(stack.set("workers").outputs.failedCount).toBe(1);
    expect(stack.set("workers").initErrors).not.toEqual([]);
    expect(stateById(stack)).toEqual(byId(liveNodes(emulator)));
  });
});

describe("fail fast with reasons, through the engine model", () => {
  it("stops waiting when allocation failed, naming each reason once with its nodes", async () => {
    // A wait for the stuck node would last the hour of readyTimeoutSeconds (beyond the test's timeout).
    const stack = freshStack();
    const set = workers({ count: 3, readyTimeoutSeconds: 3600 });
    const allocation =
      "AllocationFailed: Allocation failed. We do not have sufficient capacity for the requested VM size in this region";
    await admin(emulator, "/fail-next-nodes", { count: 2, phase: "acquiring", message: `${allocation}.` });
    await admin(emulator, "/fail-next-nodes", { count: 1, phase: "stuck" });

    const up = await stack.up([set]);
    expect(up.failures).toHaveLength(1);
    expect(up.failures[0]).toMatchObject({ name: "workers", op: "create" });
    expect(up.failures[0]?.message).toContain(`2 failed: ${allocation} (ondemand-1, ondemand-2)`);
    expect(up.failures[0]?.message).toContain(
      "1 acquiring after an allocation failure of their request, not waited for (ondemand-3)",
    );
    // Every node is in state (a partial failure), the stuck one as Acquiring.
    expect(stateById(stack)).toEqual(byId(liveNodes(emulator)));
    expect(Object.values(stateById(stack)).sort()).toEqual(["Acquiring", "Failed", "Failed"]);

    // The next up replaces the node it did not wait for (a wait for it would last the hour).
    const stuckId = Object.entries(stateById(stack)).find(([, status]) => status === "Acquiring")?.[0];
    const healed = await stack.up([set]);
    expect(healed.failures).toEqual([]);
    expect(healed.info.join("\n")).toContain(
      "replacing 3 failed node(s) (1 acquiring after an allocation failure of their request): " +
        "ondemand-1, ondemand-2, ondemand-3",
    );
    const live = liveNodes(emulator);
    expect(Object.values(byId(live))).toEqual(["Ready", "Ready", "Ready"]);
    expect(live.map((n) => n.record.NodeId)).not.toContain(stuckId);
    expect(stateById(stack)).toEqual(byId(live));
  });
});
