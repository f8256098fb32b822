/**
 * Capacity behaviours through the engine (issue 12): what only the real engine shows, that the
 * `minReady` warning of a set reaches the engine as a diagnostic of severity warning under the
 * set's heading. The warm pool, the healing `up`, the partial failure below `minReady` and failing
 * fast with reasons test the provider's own logic: test/engine-model/warm-pool.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import { adminPost, expectSuccess, liveNodes, NODE_SET_TYPE, startE2eEmulator, Workspace } from "./harness";

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

describe("minReady", () => {
  let ws: Workspace;

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
});
