/**
 * Partial failures through the engine: a node that fails during create or update makes `pulumi up`
 * fail, yet the set must be recorded in state with every node it holds (the engine's "created but
 * failed to initialise"), stay refreshable and destroyable, and the next `up` must heal it. Unit
 * tests can only show the provider throwing the right error object; these show what the engine
 * does with it.
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

describe("a node that fails while the set grows to the bucket's full capacity", () => {
  // The seed's Standard_Fs32_v2 bucket holds 3 nodes: a third node that fails leaves no room.
  let ws: Workspace;
  let kept: string[];

  beforeAll(async () => {
    ws = await freshStack("partial-grow");
    expectSuccess(await ws.up());
    kept = ids(await liveNodes(emulator));
  });

  it("fails the up, yet keeps all three nodes in state", async () => {
    await ws.setConfig({ count: "3" });

    const failed = await upWithAFailingNode(ws, "ondemand-3");

    expect(ids(await liveNodes(emulator)).sort()).toEqual([...kept, failed.record.NodeId].sort());
    expect((await ws.nodeSet()).outputs["count"]).toBe(3);
  });

  it("heals to three Ready nodes on the next up", async () => {
    expectSuccess(await ws.up());

    expect(statuses(await emulatorNodes(emulator))).toEqual(["Ready", "Ready", "Ready"]);
    expect((await ws.nodeSet()).initErrors).toBeUndefined();
    expect(await ws.outputs()).toEqual({ ...outputsOf(await liveNodes(emulator)), readyCount: 3 });
  });
});

describe("a node that fails while a set of the bucket's full capacity is created", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await freshStack("partial-full", { count: "3" });
  });

  it("fails the up, yet records the set with its three nodes", async () => {
    await upWithAFailingNode(ws, "ondemand-1");

    expect(statuses(await liveNodes(emulator)).sort()).toEqual(["Failed", "Ready", "Ready"]);
  });

  it("heals to three Ready nodes on the next up", async () => {
    expectSuccess(await ws.up());

    expect(statuses(await emulatorNodes(emulator))).toEqual(["Ready", "Ready", "Ready"]);
    expect((await ws.nodeSet()).initErrors).toBeUndefined();
  });
});

describe("a node that failed before the lost answer of its create was looked up", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await freshStack("partial-lost-answer");
  });

  it("terminates the failed node it adopted and replaces it, ending with `count` Ready nodes", async () => {
    expect(await adminPost(emulator, "/fail-next-nodes", { count: 1 })).toEqual({ pending: 1 });
    // Applied, then held until the failing node has failed (E2E_TIMING: 400 ms), then reset.
    emulator.injectFault({ route: "create", reset: "after", delayMs: 1000 });
    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain("was applied although its answer was lost: adopting its 2 node(s)");
    expect(up.stdout).toContain("cyclecloud workers: replacing 1 failed node(s): ondemand-1");
    const all = await emulatorNodes(emulator);
    expect(statuses(all)).toEqual(["Ready", "Ready"]);
    const set = await ws.nodeSet();
    expect(stateStatuses(set.outputs)).toEqual(emulatorStatuses(all));
    expect(set.outputs["failedCount"]).toBe(0);
    expect(await ws.outputs()).toEqual({ ...outputsOf(await liveNodes(emulator)), readyCount: 2 });
  });

  it("terminates both nodes on destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
  });
});

describe("a create CycleCloud adds fewer nodes for than preflight found room for", () => {
  // Another deployment or the autoscaler took the room between check and create: a `maxAdded` fault.
  let ws: Workspace;

  beforeAll(async () => {
    ws = await freshStack("partial-add");
  });

  it("fails the up naming the set, what state records, the likely cause and what the next up does", async () => {
    emulator.injectFault({ route: "create", maxAdded: 1 });
    const up = expectFailure(await ws.up());

    const reason =
      "CycleCloud added 1 of 2 requested node(s): Added 1 of 2 requested nodes: insufficient capacity (injected by the emulator); " +
      "set workers is recorded in state as a partial failure with the 1 node(s) it holds. " +
      "Preflight had found room for 2 when it checked the cluster: the room was taken since, likely by another deployment " +
      "or the cluster's autoscaler adding nodes to the same bucket at the same time. " +
      "The next `pulumi up` asks for the 1 missing node(s) again; `pulumi preview` shows first whether they fit now";
    expect(output(up)).toContain(reason);
    const set = await ws.nodeSet();
    expect(set.initErrors).toEqual([reason]);
    expect(stateStatuses(set.outputs)).toEqual(emulatorStatuses(await liveNodes(emulator)));
    expect((await liveNodes(emulator)).map((n) => n.record.Name)).toEqual(["ondemand-1"]);
  });

  it("asks for the missing node on the next up, as the message said", async () => {
    expectSuccess(await ws.up());

    expect(statuses(await emulatorNodes(emulator))).toEqual(["Ready", "Ready"]);
    expect((await ws.nodeSet()).initErrors).toBeUndefined();
  });
});

describe("credentials", () => {
  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere(workspaces);
  });
});
