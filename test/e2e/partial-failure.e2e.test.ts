/**
 * Partial failures through the engine: a node that fails during create or update makes `pulumi up`
 * fail, yet the set must be recorded in state with every node it holds (the engine's "created but
 * failed to initialise"), stay refreshable and destroyable, and the next `up` must heal it. Unit
 * tests can only show the provider throwing the right error object; these show what the engine
 * does with it. The provider's own partial failures (a grow or a create at the bucket's full
 * capacity, a failed node behind a lost create answer, a create CycleCloud adds fewer nodes for)
 * run through the engine model: test/engine-model/partial-failure.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import {
  adminPost,
  emulatorNodes,
  expectFailure,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  output,
  outputsOf,
  startE2eEmulator,
  Workspace,
} from "./harness";

const PROJECT = "cyclecloud-quickstart";

let emulator: RunningEmulator;
const workspaces: Workspace[] = [];

const ids = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.NodeId);
const statuses = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.Status);
const failureReason = (node: AdminNodeView) =>
  `1 failed: ${node.record.StatusMessage ?? "?"} (${node.record.Name}); the next \`pulumi up\` replaces them`;

/** The set's nodes in state, as status by node id. */
function stateStatuses(outputs: Record<string, unknown>): Record<string, string> {
  const nodes = outputs["nodes"] as { id: string; status: string }[];
  return Object.fromEntries(nodes.map((n) => [n.id, n.status]));
}

function emulatorStatuses(nodes: readonly AdminNodeView[]): Record<string, string> {
  return Object.fromEntries(nodes.map((n) => [n.record.NodeId, n.record.Status]));
}

/** A fresh stack of the quickstart on a reset emulator. */
async function freshStack(label: string, config: Record<string, string> = {}): Promise<Workspace> {
  emulator.reset();
  const ws = await Workspace.create({ example: "quickstart", label });
  workspaces.push(ws);
  await ws.init(emulator, config);
  return ws;
}

/** The one failed node the emulator holds, which must be the one named `name`. */
async function theFailedNode(name: string): Promise<AdminNodeView> {
  const failed = (await liveNodes(emulator)).filter((n) => n.record.Status === "Failed");
  expect(failed.map((n) => n.record.Name)).toEqual([name]);
  const [node] = failed;
  if (!node) throw new Error("no failed node");
  return node;
}

/**
 * Makes the next created node (named `name`: the first the up creates) fail, runs `up`, and checks
 * the partial failure: the up failed with the node's reason, and the set is in state with every
 * node the emulator holds.
 */
async function upWithAFailingNode(ws: Workspace, name: string): Promise<AdminNodeView> {
  expect(await adminPost(emulator, "/fail-next-nodes", { count: 1 })).toEqual({ pending: 1 });
  const up = expectFailure(await ws.up());
  const failed = await theFailedNode(name);
  expect(output(up)).toContain(failureReason(failed));
  const set = await ws.nodeSet();
  expect(set.urn).toBe(ws.urn(PROJECT, "workers"));
  expect(set.initErrors).toEqual([failureReason(failed)]);
  expect(stateStatuses(set.outputs)).toEqual(emulatorStatuses(await liveNodes(emulator)));
  expect(set.outputs["failedCount"]).toBe(1);
  return failed;
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
});

afterAll(async () => {
  for (const ws of workspaces) await ws.dispose();
  await emulator?.close();
});

describe("a node that fails while the set is created", () => {
  let ws: Workspace;
  let failed: AdminNodeView;

  beforeAll(async () => {
    ws = await freshStack("partial-create");
  });

  it("fails the up, yet records the set in state with both nodes and the failure reason", async () => {
    failed = await upWithAFailingNode(ws, "ondemand-1");

    expect(statuses(await liveNodes(emulator)).sort()).toEqual(["Failed", "Ready"]);
    expect((await ws.nodeSet()).outputs["readyCount"]).toBe(1);
  });

  it("reads the set back on a refresh right after the failed up", async () => {
    expectSuccess(await ws.refresh());

    const set = await ws.nodeSet();
    expect(stateStatuses(set.outputs)).toEqual(emulatorStatuses(await liveNodes(emulator)));
  });

  it("replaces the failed node on the next up and converges to `count` Ready nodes", async () => {
    const ready = (await liveNodes(emulator)).find((n) => n.record.Status === "Ready");

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "update", urn: ws.urn(PROJECT, "workers") }]);
    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain(`cyclecloud workers: replacing 1 failed node(s): ${failed.record.Name}`);
    const all = await emulatorNodes(emulator);
    expect(statuses(all)).toEqual(["Ready", "Ready"]);
    expect(ids(all)).toContain(ready?.record.NodeId);
    expect(ids(all)).not.toContain(failed.record.NodeId);
    const set = await ws.nodeSet();
    expect(set.initErrors).toBeUndefined();
    expect(set.outputs["failedCount"]).toBe(0);
    expect(await ws.outputs()).toEqual({ ...outputsOf(await liveNodes(emulator)), readyCount: 2 });
  });

  it("terminates both nodes on destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});

describe("destroy right after a partial failure", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await freshStack("partial-destroy");
    await upWithAFailingNode(ws, "ondemand-1");
  });

  it("terminates every node of a set whose last up failed", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});

describe("credentials", () => {
  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere(workspaces);
  });
});
