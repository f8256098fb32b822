/**
 * Capacity behaviours through the engine (issue 12): the warm pool (`scaleDown: "deallocate"`:
 * a shrink deallocates and keeps the nodes, a grow starts them again with no create request), a
 * destroy with `onDelete: "deallocate"` that also removes the warm pool, `minReady` with a failing
 * node and the healing `up`, and a create that fails fast with its reasons instead of waiting for
 * `readyTimeoutSeconds`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import {
  adminPost,
  expectFailure,
  expectSuccess,
  liveNodes,
  NODE_SET_TYPE,
  output,
  startE2eEmulator,
  Workspace,
} from "./harness";

let emulator: RunningEmulator;
const workspaces: Workspace[] = [];

/** The quickstart's set, with the inputs of this file read from stack config. */
const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet } from "pulumi-cyclecloud";

const config = new pulumi.Config();
const workers = new CycleCloudNodeSet("workers", {
  cluster: "hpc",
  nodearray: "ondemand",
  machineType: "Standard_Fs32_v2",
  count: config.requireNumber("count"),
  scaleDown: config.get("scaleDown") as "terminate" | "deallocate" | undefined,
  minReady: config.getNumber("minReady"),
  onDelete: config.get("onDelete") as "terminate" | "deallocate" | undefined,
  readyTimeoutSeconds: config.getNumber("readyTimeoutSeconds") ?? 1800,
});

export const nodes = workers.nodes;
export const readyCount = workers.readyCount;
export const failedCount = workers.failedCount;
export const deallocatedCount = workers.deallocatedCount;
`;

async function freshStack(label: string, config: Record<string, string>): Promise<Workspace> {
  emulator.reset();
  const ws = await Workspace.create({ example: "quickstart", label });
  workspaces.push(ws);
  await ws.writeProgram(PROGRAM);
  await ws.init(emulator, config);
  return ws;
}

/**
 * The lines of the Diagnostics section of `pulumi up` under a node set's heading
 * (`  pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet (workers):`), indentation cut. The engine
 * prints a warning diagnostic as `warning: <message>`, an info one as the message alone.
 */
function diagnosticsOf(stdout: string, name: string): string[] {
  const lines = stdout.split("\n");
  const section = lines.indexOf("Diagnostics:");
  const heading = lines.findIndex((line, i) => i > section && line === `  ${NODE_SET_TYPE} (${name}):`);
  if (section < 0 || heading < 0) return [];
  const end = lines.findIndex((line, i) => i > heading && !line.startsWith("    "));
  return lines.slice(heading + 1, end < 0 ? undefined : end).map((line) => line.trim());
}

const byId = (nodes: readonly AdminNodeView[]): Record<string, string> =>
  Object.fromEntries(nodes.map((n) => [n.record.NodeId, n.record.Status]));

function stateById(outputs: Record<string, unknown>): Record<string, string> {
  const nodes = outputs["nodes"] as { id: string; status: string }[];
  return Object.fromEntries(nodes.map((n) => [n.id, n.status]));
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
});

afterAll(async () => {
  for (const ws of workspaces) await ws.dispose();
  await emulator?.close();
});

describe("a warm pool (scaleDown: deallocate)", () => {
  let ws: Workspace;
  let ids: string[];

  beforeAll(async () => {
    ws = await freshStack("warm-pool", { count: "3", scaleDown: "deallocate", onDelete: "deallocate" });
  });

  it("shrinks by deallocating: 1 Ready and 2 Deallocated, all in state", async () => {
    expectSuccess(await ws.up());
    ids = (await liveNodes(emulator)).map((n) => n.record.NodeId);
    expect(ids).toHaveLength(3);

    await ws.setConfig({ count: "1" });
    const shrink = expectSuccess(await ws.up());
    // The preview (and the up) says the shrink deallocates, and which nodes.
    expect(output(shrink)).toContain(
      "cyclecloud workers: update: count 3 -> 1: deallocates 2 node(s) (ondemand-3, ondemand-2), " +
        'kept as the set\'s warm pool (scaleDown: "deallocate")',
    );
    const live = await liveNodes(emulator);
    expect(live.map((n) => n.record.NodeId).sort()).toEqual([...ids].sort());
    expect(Object.values(byId(live)).sort()).toEqual(["Deallocated", "Deallocated", "Ready"]);
    const outputs = await ws.outputs();
    expect(outputs["readyCount"]).toBe(1);
    expect(outputs["deallocatedCount"]).toBe(2);
    expect(stateById((await ws.nodeSet()).outputs)).toEqual(byId(live));
  });

  it("keeps the deallocated nodes as the set's on refresh, and previews no change", async () => {
    expectSuccess(await ws.refresh());
    expect(stateById((await ws.nodeSet()).outputs)).toEqual(byId(await liveNodes(emulator)));
    const preview = await ws.preview();
    // The warm pool is no change: no step for the set, every resource the same.
    expect(preview.steps).toEqual([]);
    expect(preview.changeSummary).toEqual({ same: 3 });
  });

  it("grows by starting the same nodes again, with no create request", async () => {
    const before = emulator.counters();
    await ws.setConfig({ count: "3" });
    expectSuccess(await ws.up());
    const after = emulator.counters();
    expect(after.create - before.create).toBe(0);
    expect(after.start - before.start).toBe(1);
    const live = await liveNodes(emulator);
    expect(byId(live)).toEqual(Object.fromEntries(ids.map((id) => [id, "Ready"])));
    expect((await ws.outputs())["deallocatedCount"]).toBe(0);
  });

  it("on destroy terminates the warm pool and deallocates the rest (onDelete: deallocate)", async () => {
    await ws.setConfig({ count: "1" });
    expectSuccess(await ws.up());
    const pool = (await liveNodes(emulator)).filter((n) => n.record.Status === "Deallocated");
    expect(pool).toHaveLength(2);

    expectSuccess(await ws.destroy());
    const live = await liveNodes(emulator);
    // The one active node is deallocated and left (onDelete); the warm pool is gone.
    expect(live.map((n) => n.record.Status)).toEqual(["Deallocated"]);
    expect(pool.map((n) => n.record.NodeId)).not.toContain(live[0]?.record.NodeId);
    expect(ids).toContain(live[0]?.record.NodeId);
    expect(await ws.nodeSets()).toEqual([]);
  });
});

describe("minReady", () => {
  let ws: Workspace;
  let failedId: string;

  beforeAll(async () => {
    ws = await freshStack("min-ready", { count: "3", minReady: "2" });
  });

  it("succeeds with 2 of 3 Ready, warns with the failed node's reason and keeps it in state", async () => {
    await adminPost(emulator, "/fail-next-nodes", {
      count: 1,
      message: "Node software installation failed: cluster-init script exited with code 1",
    });
    const up = expectSuccess(await ws.up());
    const failed = (await liveNodes(emulator)).filter((n) => n.record.Status === "Failed");
    expect(failed.map((n) => n.record.Name)).toEqual(["ondemand-1"]);
    failedId = failed[0]?.record.NodeId ?? "";
    // A Pulumi warning of the set (an engine diagnostic of severity warning), not a line of its output.
    const text =
      "cyclecloud workers: 2/3 ready, at least `minReady` 2: 1 failed: Node software installation failed: " +
      "cluster-init script exited with code 1 (ondemand-1); the next `pulumi up` replaces them";
    expect(diagnosticsOf(up.stdout, "workers"), up.stdout).toContain(`warning: ${text}`);
    expect(up.stdout).not.toContain("cyclecloud workers: warning:");
    const outputs = await ws.outputs();
    expect(outputs["readyCount"]).toBe(2);
    expect(outputs["failedCount"]).toBe(1);
    expect(stateById((await ws.nodeSet()).outputs)).toEqual(byId(await liveNodes(emulator)));
  });

  it("heals on the next up: the failed node is replaced", async () => {
    expectSuccess(await ws.up());
    const live = await liveNodes(emulator);
    expect(Object.values(byId(live))).toEqual(["Ready", "Ready", "Ready"]);
    expect(live.map((n) => n.record.NodeId)).not.toContain(failedId);
    const outputs = await ws.outputs();
    expect(outputs["readyCount"]).toBe(3);
    expect(outputs["failedCount"]).toBe(0);
  });

  it("fails as a partial failure below minReady", async () => {
    // One node fails out of band; its replacement fails too: 2 of 3 ready, below minReady 3.
    await ws.setConfig({ minReady: "3" });
    const [victim] = await liveNodes(emulator);
    await adminPost(emulator, "/fail-nodes", { ids: [victim?.record.NodeId] });
    await adminPost(emulator, "/fail-next-nodes", { count: 1 });
    const up = expectFailure(await ws.up());
    expect(output(up)).toContain("2/3 ready");
    // The set is recorded with its nodes, the failed replacement among them.
    const set = await ws.nodeSet();
    expect(set.outputs["failedCount"]).toBe(1);
    expect(stateById(set.outputs)).toEqual(byId(await liveNodes(emulator)));
  });
});

describe("fail fast with reasons", () => {
  it("stops waiting when allocation failed, naming each reason once with its nodes", async () => {
    // A wait for the stuck node would last the hour of readyTimeoutSeconds (beyond the test's timeout).
    const ws = await freshStack("fail-fast", { count: "3", readyTimeoutSeconds: "3600" });
    const allocation =
      "AllocationFailed: Allocation failed. We do not have sufficient capacity for the requested VM size in this region";
    await adminPost(emulator, "/fail-next-nodes", {
      count: 2,
      phase: "acquiring",
      message: `${allocation}.`,
    });
    await adminPost(emulator, "/fail-next-nodes", { count: 1, phase: "stuck" });

    const up = expectFailure(await ws.up());
    expect(output(up)).toContain(`2 failed: ${allocation} (ondemand-1, ondemand-2)`);
    expect(output(up)).toContain(
      "1 acquiring after an allocation failure of their request, not waited for (ondemand-3)",
    );
    // Every node is in state (a partial failure), the stuck one as Acquiring.
    const set = await ws.nodeSet();
    expect(stateById(set.outputs)).toEqual(byId(await liveNodes(emulator)));
    expect(Object.values(stateById(set.outputs)).sort()).toEqual(["Acquiring", "Failed", "Failed"]);

    // The next up replaces the node it did not wait for (a wait for it would last the hour).
    const stuckId = Object.entries(stateById(set.outputs)).find(([, status]) => status === "Acquiring")?.[0];
    const healed = expectSuccess(await ws.up());
    expect(output(healed)).toContain(
      "replacing 3 failed node(s) (1 acquiring after an allocation failure of their request): " +
        "ondemand-1, ondemand-2, ondemand-3",
    );
    const live = await liveNodes(emulator);
    expect(Object.values(byId(live))).toEqual(["Ready", "Ready", "Ready"]);
    expect(live.map((n) => n.record.NodeId)).not.toContain(stuckId);
    expect(stateById((await ws.nodeSet()).outputs)).toEqual(byId(live));
  });
});
