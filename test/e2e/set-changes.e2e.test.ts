/**
 * What users hit when they drive a set hard through the engine (issue 15): a replacement in a
 * cluster too full to hold the old and the new nodes at once, why a set will change when no
 * property did, a set that lets an autoscaler remove its nodes, and the messages of a sustained
 * outage. Each program is written by the test (a variant of the quickstart). The autoscaler's set
 * (`externalRemovals: "forget"`) and the outage's messages are the provider's logic alone: they run
 * through the engine model, test/engine-model/set-changes.test.ts.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import {
  adminPost,
  expectFailure,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  output,
  startE2eEmulator,
  Workspace,
} from "./harness";

const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;
const workspaces: Workspace[] = [];

const ids = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.NodeId).sort();
const names = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.Name).sort();

/** A quickstart stack on a reset emulator. */
async function freshStack(label: string): Promise<Workspace> {
  emulator.reset();
  const ws = await Workspace.create({ example: "quickstart", label });
  workspaces.push(ws);
  await ws.init(emulator);
  return ws;
}

/** Replaces the program with one set `workers` of `args` (TypeScript object text) and `opts`. */
async function program(ws: Workspace, args: string, opts = "{}"): Promise<void> {
  const text = [
    'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
    `const workers = new CycleCloudNodeSet("workers", { cluster: "hpc", nodearray: "ondemand", ${args} }, ${opts});`,
    "export const nodeIds = workers.nodeIds;",
    "export const forgottenCount = workers.forgottenCount;",
    "",
  ].join("\n");
  await writeFile(join(ws.programDir, "index.ts"), text);
}

/** The node ids the set holds in state. */
async function stateNodeIds(ws: Workspace): Promise<string[]> {
  return [...((await ws.nodeSet()).outputs["nodeIds"] as string[])].sort();
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
});

afterAll(async () => {
  for (const ws of workspaces) await ws.dispose();
  await emulator?.close();
});

describe("a replacement in a cluster that cannot hold the old and the new set at once", () => {
  let ws: Workspace;
  let old: string[];

  beforeAll(async () => {
    ws = await freshStack("delete-first");
    await adminPost(emulator, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: HC,
      maxCount: 4,
    });
    await program(ws, `count: 3, machineType: "${HC}", nodeAttributes: { Tags: { v: "1" } }`);
    expectSuccess(await ws.up());
    const live = await liveNodes(emulator);
    old = ids(live);
    expect(names(live)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3"]);
  });

  it("refuses the create-first replacement in preview, saying it is a replacement and how to fix it", async () => {
    await program(ws, `count: 3, machineType: "${HC}", nodeAttributes: { Tags: { v: "2" } }`);
    const before = await mutatingRequests(emulator);

    const preview = expectFailure(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain(
      `preflight hpc/ondemand ${HC}: +3 requested, 1 available (binding limit: bucket availableCount) - does not fit; ` +
        "this is a replacement (`nodeAttributes` changed): its 3 new node(s) are created before the 3 old one(s) are terminated. " +
        "Set `deleteBeforeReplace: true` (the input or the resource option) to terminate the old nodes first",
    );
    expect(await mutatingRequests(emulator)).toBe(before);
  });

  it("previews and runs the replacement with the deleteBeforeReplace resource option, old nodes first", async () => {
    await program(
      ws,
      `count: 3, machineType: "${HC}", nodeAttributes: { Tags: { v: "2" } }`,
      "{ deleteBeforeReplace: true }",
    );

    expect(expectSuccess(await ws.preview()).steps.map((s) => s.op)).toEqual(["replace"]);
    const preview = expectSuccess(await ws.pulumi(["preview"]));
    expect(output(preview)).toContain(
      `+3 requested, 4 available (binding limit: bucket availableCount) - fits (after the replaced set's 3 node(s) are terminated first)`,
    );
    expect(output(preview)).toContain(
      'cyclecloud workers: replace: nodeAttributes {"Tags":{"v":"1"}} -> {"Tags":{"v":"2"}}; the old 3 node(s) are terminated first, then 3 new one(s) are created',
    );

    expectSuccess(await ws.up());
    const now = await liveNodes(emulator);
    expect(now.map((n) => n.record.Status)).toEqual(["Ready", "Ready", "Ready"]);
    expect(ids(now).filter((id) => old.includes(id))).toEqual([]);
    expect(await stateNodeIds(ws)).toEqual(ids(now));
  });

  it("destroys only what it holds", async () => {
    expectSuccess(await ws.destroy());
    expect(await liveNodes(emulator)).toEqual([]);
  });
});

describe("why a set will change when no property did", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await freshStack("reasons");
    await program(ws, `count: 3, machineType: "${HC}"`);
    expectSuccess(await ws.up());
  });

  it("names the failed and the missing nodes in preview, and that count did not change", async () => {
    const live = await liveNodes(emulator);
    expect(names(live)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3"]);
    const [first, second] = live;
    if (!first || !second) throw new Error("expected 3 nodes");
    await adminPost(emulator, "/fail-nodes", { names: [first.record.Name] });
    await adminPost(emulator, "/remove-nodes", { names: [second.record.Name] });
    expectSuccess(await ws.refresh());

    const preview = expectSuccess(await ws.pulumi(["preview", "--diff"]));

    expect(output(preview)).toContain(
      `cyclecloud workers: update: 1 failed (${first.record.Name}), 1 missing; count 3 unchanged`,
    );
    // Only the engine's own view of the inputs: no internal input shows as changed.
    expect(output(preview)).not.toMatch(/[~+-] (identity|name|baseRequestId):/);
  });

  it("heals them on up and shows no change afterwards", async () => {
    expectSuccess(await ws.up());
    expect((await liveNodes(emulator)).map((n) => n.record.Status)).toEqual(["Ready", "Ready", "Ready"]);
    const preview = expectSuccess(await ws.preview());
    expect(preview.changeSummary).toEqual({ same: 3 });
    expect(output(preview)).not.toContain("cyclecloud workers: update");
  });
});

describe("secrets", () => {
  it("no command printed the password and no state file holds it", async () => {
    await expectNoPasswordAnywhere(workspaces);
  });
});
