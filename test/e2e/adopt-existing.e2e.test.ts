/**
 * `adoptExisting` through the engine (issue 12, item 5): nodes another tool made with a request id
 * of its own are adopted by the set without a create request, then grown, shrunk (the adopted
 * nodes, the oldest, are kept) and destroyed with the set. A set never adopts the nodes another set
 * made: naming another set's request id is refused in the preview, and nothing is terminated.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { adminPost, expectSuccess, liveNodes, output, startE2eEmulator, tail, Workspace } from "./harness";

const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;
let ws: Workspace;
/** The node ids of the nodes made outside Pulumi. */
let outside: string[];

async function counters(): Promise<Record<string, number>> {
  const response = await fetch(`${emulator.adminUrl}/counters`);
  return (await response.json()) as Record<string, number>;
}

/** Replaces the program with one set `workers` adopting request `outside-1`, of `count` nodes. */
async function program(count: number): Promise<void> {
  await ws.writeProgram(
    [
      'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
      `const workers = new CycleCloudNodeSet("workers", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", count: ${count}, adoptExisting: { requestId: "outside-1" } });`,
      "export const nodeIds = workers.nodeIds;",
      "export const requestIds = workers.requestIds;",
      "",
    ].join("\n"),
  );
}

/** Another tool creates `count` nodes with its own request id, as in the API how-to. */
async function createOutside(requestId: string, count: number): Promise<void> {
  const response = await fetch(`${emulator.url}/clusters/hpc/nodes/create`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${emulator.username}:${emulator.password}`).toString("base64")}`,
    },
    body: JSON.stringify({
      requestId,
      sets: [{ count, nodearray: "ondemand", definition: { machineType: HC } }],
    }),
  });
  expect(response.status).toBe(202);
}

/** Two sets: `owner` makes its own two nodes, `taker` adopts the nodes of request `adopts`. */
async function twoSets(adopts: string): Promise<void> {
  await ws.writeProgram(
    [
      'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
      `const owner = new CycleCloudNodeSet("owner", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", count: 2 });`,
      `new CycleCloudNodeSet("taker", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", count: 1, adoptExisting: { requestId: "${adopts}" } });`,
      "export const ownerRequestIds = owner.requestIds;",
      "",
    ].join("\n"),
  );
}

async function stateNodeIds(): Promise<string[]> {
  return [...((await ws.outputs())["nodeIds"] as string[])].sort();
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
  // Another tool creates two nodes with its own request id, as in the API how-to.
  await createOutside("outside-1", 2);
  outside = (await liveNodes(emulator)).map((n) => n.record.NodeId).sort();
  expect(outside).toHaveLength(2);
  ws = await Workspace.create({ example: "quickstart", label: "adopt" });
  await ws.init(emulator);
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("adoptExisting through the Pulumi engine", () => {
  it("adopts the two nodes of request outside-1 without sending a create request", async () => {
    await program(2);

    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain("adopted 2 existing node(s)");
    expect((await counters())["create"]).toBe(1); // the other tool's
    expect(await stateNodeIds()).toEqual(outside);
    expect((await ws.outputs())["requestIds"]).toEqual(["outside-1"]);
    expect((await liveNodes(emulator)).map((n) => n.record.NodeId).sort()).toEqual(outside);
  });

  it("grows with a request id of its own, keeping the adopted nodes", async () => {
    await program(4);

    expectSuccess(await ws.up());

    const nodes = await liveNodes(emulator);
    expect(nodes).toHaveLength(4);
    expect(nodes.every((n) => n.record.Status === "Ready")).toBe(true);
    const base = (await ws.nodeSet()).id ?? "";
    expect((await ws.outputs())["requestIds"]).toEqual(["outside-1", `${base}-0`]);
    expect(await stateNodeIds()).toEqual(nodes.map((n) => n.record.NodeId).sort());
    expect(await stateNodeIds()).toEqual(expect.arrayContaining(outside));
    expect((await counters())["create"]).toBe(2);
  });

  it("shrinks by terminating its newest nodes: the adopted ones stay", async () => {
    await program(2);

    expectSuccess(await ws.up());

    expect((await liveNodes(emulator)).map((n) => n.record.NodeId).sort()).toEqual(outside);
    expect(await stateNodeIds()).toEqual(outside);
  });

  it("plans no change on a second preview", async () => {
    expectSuccess(await ws.pulumi(["preview", "--expect-no-changes"]));
  });

  it("terminates the adopted nodes on destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(await liveNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});

describe("adoptExisting never takes another set's nodes (through the engine)", () => {
  it("refuses, in the preview and in up, the request id another set of the stack made; nothing is terminated", async () => {
    await createOutside("outside-2", 1);
    await twoSets("outside-2");
    expectSuccess(await ws.up());
    const [ownerRequest] = (await ws.outputs())["ownerRequestIds"] as string[];
    expect(ownerRequest).toMatch(/^pcc-[0-9a-f]{24}-0$/);
    const before = (await liveNodes(emulator)).map((n) => n.record.NodeId).sort();
    expect(before).toHaveLength(3);
    const terminates = (await counters())["terminate"];

    await twoSets(ownerRequest ?? "");
    const refusal = `refusing to adopt request '${ownerRequest}': this library made it for another node set`;
    const preview = await ws.pulumi(["preview"]);
    expect(preview.code, tail(preview)).not.toBe(0);
    expect(output(preview)).toContain(refusal);
    expect(output(preview)).toContain("adoptExisting");
    const up = await ws.up();
    expect(up.code, tail(up)).not.toBe(0);
    expect(output(up)).toContain(refusal);
    expect(output(up)).not.toContain("adopted");

    expect((await liveNodes(emulator)).map((n) => n.record.NodeId).sort()).toEqual(before);
    expect((await counters())["terminate"]).toBe(terminates);
  });

  it("previews a change of adoptExisting as adopting the nodes it names", async () => {
    await createOutside("outside-3", 1);
    await twoSets("outside-3");
    const preview = expectSuccess(await ws.pulumi(["preview"]));
    expect(output(preview)).toContain(
      'taker: update: adoptExisting: adopts the nodes of request "outside-3"',
    );
    expect(output(preview)).not.toContain("settings that touch no node");
  });

  it("destroys both sets", async () => {
    expectSuccess(await ws.destroy());
    const left = (await liveNodes(emulator)).map((n) => n.record.NodeId);
    // outside-3 was only previewed: its node is no set's and stays.
    expect(left).toHaveLength(1);
  });
});

/** One set `taker` of `count` nodes adopting request `adopts`. */
async function taker(count: number, adopts: string, orphaned = false): Promise<void> {
  await ws.writeProgram(
    [
      'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
      `const taker = new CycleCloudNodeSet("taker", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", count: ${count}, adoptExisting: { requestId: "${adopts}"${orphaned ? ", orphaned: true" : ""} } });`,
      "export const nodeIds = taker.nodeIds;",
      "export const requestIds = taker.requestIds;",
      "",
    ].join("\n"),
  );
}

describe("a set that adopts another request later (through the engine)", () => {
  it("previews a new set's adoption, with the `orphaned` assertion, then adopts in up", async () => {
    await createOutside("ext-0", 1);
    await taker(2, "ext-0", true);

    const preview = expectSuccess(await ws.pulumi(["preview"]));
    expect(output(preview)).toContain(
      'cyclecloud taker: create: adoptExisting: adopts the nodes of request "ext-0" (orphaned: you assert that no stack holds them)',
    );
    const up = expectSuccess(await ws.up());
    expect(output(up)).toContain("adopted 1 existing node(s)");
    expect(await stateNodeIds()).toHaveLength(2);
  });

  it("previews and applies a change of `adoptExisting` with a larger `count` in a full bucket: the adopted node fits", async () => {
    await createOutside("ext-1", 1);
    // The bucket is full: every live node is a Standard_Hc44rs node of nodearray ondemand.
    const live = await liveNodes(emulator);
    await adminPost(emulator, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: HC,
      maxCount: live.length,
    });
    await taker(3, "ext-1");
    const creates = (await counters())["create"];

    const preview = expectSuccess(await ws.pulumi(["preview"]));
    expect(output(preview)).toMatch(
      /\+0 requested, 0 available .*fits \(3 node\(s\) of this set already exist\)/,
    );
    expect(output(preview)).not.toContain("+1 requested");
    expect(output(preview)).toContain('taker: update: adoptExisting: adopts the nodes of request "ext-1"');
    expect(output(preview)).not.toContain("create: adoptExisting");
    const up = expectSuccess(await ws.up());
    expect(output(up)).toContain("adopted 1 existing node(s)");

    expect((await counters())["create"]).toBe(creates);
    expect(await stateNodeIds()).toHaveLength(3);
    expect((await ws.outputs())["requestIds"]).toEqual(expect.arrayContaining(["ext-0", "ext-1"]));
  });

  it("destroys the set with the nodes it adopted", async () => {
    const held = await stateNodeIds();
    expectSuccess(await ws.destroy());
    const left = (await liveNodes(emulator)).map((n) => n.record.NodeId);
    expect(left.filter((id) => held.includes(id))).toEqual([]);
  });
});
