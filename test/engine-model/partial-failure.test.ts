/**
 * Partial failures of the provider's own making, through the engine model (moved from
 * test/e2e/partial-failure.e2e.test.ts, assertions kept): a node that fails while a set grows to
 * its bucket's full capacity or is created at it, a node that failed before the lost answer of its
 * create was looked up, and a create CycleCloud adds fewer nodes for than preflight found room for.
 * What the provider decides is the same whatever engine hosts it; the engine's part (it records the
 * set with its nodes and the reason, refreshes and destroys it, the next `up` heals it) stays shown
 * through the real engine in test/e2e/partial-failure.e2e.test.ts and sdk-surface.e2e.test.ts.
 *
 * The emulator keeps the e2e suite's timing (provisioning 200 + 200 ms, termination 100 ms): the
 * lost answer's scenario needs the failing node to fail while the create's answer is held.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import type { NodeSetState } from "../../provider/core/node-set-state";
import { admin } from "../provider/harness";
import type { CommandResult, Declared, EngineModel } from "./engine";
import { declared, liveNodes, redeclared, stackFor } from "./helpers";

let emulator: RunningEmulator;

/** The quickstart's set (examples/quickstart), `count` from its config (default 2). */
const workers = (count = 2): Declared =>
  declared("workers", {
    cluster: "hpc",
    nodearray: "ondemand",
    count,
    machineType: "Standard_Fs32_v2",
    readyTimeoutSeconds: 1800,
  });

const ids = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.NodeId);
const statuses = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.Status);
const failureReason = (node: AdminNodeView) =>
  `1 failed: ${node.record.StatusMessage ?? "?"} (${node.record.Name}); the next \`pulumi up\` replaces them`;
/** Every node the emulator holds (terminating ones too), sorted by name. */
const allNodes = () =>
  emulator.nodes().sort((a, b) => a.record.Name.localeCompare(b.record.Name, "en", { numeric: true }));

/** What the engine prints of a command: the provider's lines, warnings and failure messages. */
const output = (result: CommandResult): string =>
  [...result.info, ...result.error, ...result.warnings, ...result.failures.map((f) => f.message)].join("\n");

/** The set's nodes in state, as status by node id. */
function stateStatuses(outputs: NodeSetState): Record<string, string> {
  return Object.fromEntries(outputs.nodes.map((n) => [n.id, n.status]));
}

function emulatorStatuses(nodes: readonly AdminNodeView[]): Record<string, string> {
  return Object.fromEntries(nodes.map((n) => [n.record.NodeId, n.record.Status]));
}

/** The stack outputs the quickstart exports, from the set's state. */
function stackOutputs(stack: EngineModel) {
  const { hostnames, privateIps, nodeIds, readyCount } = stack.set("workers").outputs;
  return { hostnames, privateIps, nodeIds, readyCount };
}

/** test/e2e/harness.ts's outputsOf: what the stack outputs should be, from the emulator's nodes. */
function outputsOf(nodes: readonly AdminNodeView[]) {
  return {
    hostnames: nodes.map((n) => n.record.Hostname ?? "(none)"),
    nodeIds: nodes.map((n) => n.record.NodeId),
    privateIps: nodes.map((n) => n.record.PrivateIp ?? "(none)"),
  };
}

function freshStack(): EngineModel {
  emulator.reset();
  return stackFor(emulator);
}

/** The one failed node the emulator holds, which must be the one named `name`. */
function theFailedNode(name: string): AdminNodeView {
  const failed = liveNodes(emulator).filter((n) => n.record.Status === "Failed");
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
async function upWithAFailingNode(stack: EngineModel, set: Declared, name: string): Promise<AdminNodeView> {
  expect(await admin(emulator, "/fail-next-nodes", { count: 1 })).toEqual({ pending: 1 });
  const up = await stack.up([set]);
  expect(up.ok).toBe(false);
  const failed = theFailedNode(name);
  expect(output(up)).toContain(failureReason(failed));
  const stored = stack.set("workers");
  expect(stored.name).toBe("workers");
  expect(stored.initErrors).toEqual([failureReason(failed)]);
  expect(stateStatuses(stored.outputs)).toEqual(emulatorStatuses(liveNodes(emulator)));
  expect(stored.outputs.failedCount).toBe(1);
  return failed;
}

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    timing: { acquiringMs: 200, preparingMs: 200, terminatingMs: 100 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe("a node that fails while the set grows to the bucket's full capacity", () => {
  // The seed's Standard_Fs32_v2 bucket holds 3 nodes: a third node that fails leaves no room.
  let stack: EngineModel;
  let set: Declared;
  let kept: string[];

  beforeAll(async () => {
    stack = freshStack();
    set = workers();
    expect((await stack.up([set])).failures).toEqual([]);
    kept = ids(liveNodes(emulator));
  });

  it("fails the up, yet keeps all three nodes in state", async () => {
    set = redeclared(set, { count: 3 });

    const failed = await upWithAFailingNode(stack, set, "ondemand-3");

    expect(ids(liveNodes(emulator)).sort()).toEqual([...kept, failed.record.NodeId].sort());
    expect(stack.set("workers").outputs.count).toBe(3);
  });

  it("heals to three Ready nodes on the next up", async () => {
    expect((await stack.up([set])).failures).toEqual([]);

    expect(statuses(allNodes())).toEqual(["Ready", "Ready", "Ready"]);
    expect(stack.set("workers").initErrors).toEqual([]);
    expect(stackOutputs(stack)).toEqual({ ...outputsOf(liveNodes(emulator)), readyCount: 3 });
  });
});

describe("a node that fails while a set of the bucket's full capacity is created", () => {
  let stack: EngineModel;
  let set: Declared;

  beforeAll(() => {
    stack = freshStack();
    set = workers(3);
  });

  it("fails the up, yet records the set with its three nodes", async () => {
    await upWithAFailingNode(stack, set, "ondemand-1");

    expect(statuses(liveNodes(emulator)).sort()).toEqual(["Failed", "Ready", "Ready"]);
  });

  it("heals to three Ready nodes on the next up", async () => {
    expect((await stack.up([set])).failures).toEqual([]);

    expect(statuses(allNodes())).toEqual(["Ready", "Ready", "Ready"]);
    expect(stack.set("workers").initErrors).toEqual([]);
  });
});

describe("a node that failed before the lost answer of its create was looked up", () => {
  let stack: EngineModel;

  beforeAll(() => {
    stack = freshStack();
  });

  it("terminates the failed node it adopted and replaces it, ending with `count` Ready nodes", async () => {
    expect(await admin(emulator, "/fail-next-nodes", { count: 1 })).toEqual({ pending: 1 });
    // Applied, then held until the failing node has failed (400 ms), then reset.
    emulator.injectFault({ route: "create", reset: "after", delayMs: 1000 });
    const up = await stack.up([workers()]);
    expect(up.failures).toEqual([]);

    expect(output(up)).toContain("was applied although its answer was lost: adopting its 2 node(s)");
    expect(output(up)).toContain("cyclecloud workers: replacing 1 failed node(s): ondemand-1");
    const all = allNodes();
    expect(statuses(all)).toEqual(["Ready", "Ready"]);
    const stored = stack.set("workers");
    expect(stateStatuses(stored.outputs)).toEqual(emulatorStatuses(all));
    expect(stored.outputs.failedCount).toBe(0);
    expect(stackOutputs(stack)).toEqual({ ...outputsOf(liveNodes(emulator)), readyCount: 2 });
  });

  it("terminates both nodes on destroy", async () => {
    expect((await stack.destroy()).failures).toEqual([]);

    expect(allNodes()).toEqual([]);
  });
});

describe("a create CycleCloud adds fewer nodes for than preflight found room for", () => {
  // Another deployment or the autoscaler took the room between check and create: a `maxAdded` fault.
  let stack: EngineModel;
  const set = workers();

  beforeAll(() => {
    stack = freshStack();
  });

  it("fails the up naming the set, what state records, the likely cause and what the next up does", async () => {
    emulator.injectFault({ route: "create", maxAdded: 1 });
    const up = await stack.up([set]);
    expect(up.ok).toBe(false);

    const reason =
      "CycleCloud added 1 of 2 requested node(s): Added 1 of 2 requested nodes: insufficient capacity (injected by the emulator); " +
      "set workers is recorded in state as a partial failure with the 1 node(s) it holds. " +
      "Preflight had found room for 2 when it checked the cluster: the room was taken since, likely by another deployment " +
      "or the cluster's autoscaler adding nodes to the same bucket at the same time. " +
      "The next `pulumi up` asks for the 1 missing node(s) again; `pulumi preview` shows first whether they fit now";
    // The engine prints a partial failure's reasons (the e2e test found this text in the up's
    // output); here they are the reasons it records: the create of `workers` failed with them.
    expect(up.failures.map((f) => `${f.op} ${f.name}`)).toEqual(["create workers"]);
    const stored = stack.set("workers");
    expect(stored.initErrors).toEqual([reason]);
    expect(stateStatuses(stored.outputs)).toEqual(emulatorStatuses(liveNodes(emulator)));
    expect(liveNodes(emulator).map((n) => n.record.Name)).toEqual(["ondemand-1"]);
  });

  it("asks for the missing node on the next up, as the message said", async () => {
    expect((await stack.up([set])).failures).toEqual([]);

    expect(statuses(allNodes())).toEqual(["Ready", "Ready"]);
    expect(stack.set("workers").initErrors).toEqual([]);
  });
});
