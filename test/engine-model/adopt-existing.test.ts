/**
 * `adoptExisting` through the engine model (issue 12, item 5; moved from
 * test/e2e/adopt-existing.e2e.test.ts): nodes another tool made with a request id of its own are
 * adopted by the set without a create request, then grown, shrunk (the adopted nodes, the oldest,
 * are kept) and destroyed with the set. A set never adopts the nodes another set made: naming
 * another set's request id is refused in the preview and in up, and nothing is terminated. A set
 * that adopts another request later previews it as an adoption, also in a full bucket. Through the
 * real engine (test/e2e/adopt-existing.e2e.test.ts): the first adoption and its destroy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { admin, createOutside } from "../provider/harness";
import type { Declared, EngineModel } from "./engine";
import { declared, liveNodes, redeclared, stackFor } from "./helpers";

const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;
let stack: EngineModel;
/** The node ids of the nodes made outside Pulumi. */
let outside: string[];

const set = (name: string, inputs: Record<string, unknown>): Declared =>
  declared(name, { cluster: "hpc", nodearray: "ondemand", machineType: HC, ...inputs });

const stateNodeIds = (name: string) => [...stack.set(name).outputs.nodeIds].sort();
const messages = (result: { failures: { message: string }[] }) =>
  result.failures.map((f) => f.message).join("\n");

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  // Another tool creates two nodes with its own request id, as in the API how-to.
  await createOutside(emulator, "outside-1", 2, HC);
  outside = liveNodes(emulator)
    .map((n) => n.record.NodeId)
    .sort();
  expect(outside).toHaveLength(2);
  stack = stackFor(emulator);
});

afterAll(async () => {
  await emulator?.close();
});

describe("adoptExisting through the engine model", () => {
  let workers: Declared;

  it("adopts the two nodes of request outside-1 without sending a create request", async () => {
    workers = set("workers", { count: 2, adoptExisting: { requestId: "outside-1" } });

    const up = await stack.up([workers]);

    expect(up.failures).toEqual([]);
    expect(up.info.join("\n")).toContain("adopted 2 existing node(s)");
    expect(emulator.counters().create).toBe(1); // the other tool's
    expect(stateNodeIds("workers")).toEqual(outside);
    expect(stack.set("workers").outputs.requestIds).toEqual(["outside-1"]);
    expect(
      liveNodes(emulator)
        .map((n) => n.record.NodeId)
        .sort(),
    ).toEqual(outside);
  });

  it("grows with a request id of its own, keeping the adopted nodes", async () => {
    workers = redeclared(workers, { count: 4 });

    expect((await stack.up([workers])).failures).toEqual([]);

    const nodes = liveNodes(emulator);
    expect(nodes).toHaveLength(4);
    expect(nodes.every((n) => n.record.Status === "Ready")).toBe(true);
    const base = stack.set("workers").id;
    expect(stack.set("workers").outputs.requestIds).toEqual(["outside-1", `${base}-0`]);
    expect(stateNodeIds("workers")).toEqual(nodes.map((n) => n.record.NodeId).sort());
    expect(stateNodeIds("workers")).toEqual(expect.arrayContaining(outside));
    expect(emulator.counters().create).toBe(2);
  });

  it("shrinks by terminating its newest nodes: the adopted ones stay", async () => {
    workers = redeclared(workers, { count: 2 });

    expect((await stack.up([workers])).failures).toEqual([]);

    expect(
      liveNodes(emulator)
        .map((n) => n.record.NodeId)
        .sort(),
    ).toEqual(outside);
    expect(stateNodeIds("workers")).toEqual(outside);
  });

  it("plans no change on a second preview", async () => {
    const preview = await stack.preview([workers]);

    expect(preview.failures).toEqual([]);
    expect(preview.steps).toEqual({ workers: "same" });
  });

  it("terminates the adopted nodes on destroy", async () => {
    expect((await stack.destroy()).failures).toEqual([]);

    expect(liveNodes(emulator)).toEqual([]);
    expect(stack.state).toEqual([]);
  });
});

describe("adoptExisting never takes another set's nodes (through the engine model)", () => {
  let owner: Declared;
  let taker: Declared;

  it("refuses, in the preview and in up, the request id another set of the stack made; nothing is terminated", async () => {
    await createOutside(emulator, "outside-2", 1, HC);
    owner = set("owner", { count: 2 });
    taker = set("taker", { count: 1, adoptExisting: { requestId: "outside-2" } });
    expect((await stack.up([owner, taker])).failures).toEqual([]);
    const [ownerRequest] = stack.set("owner").outputs.requestIds;
    expect(ownerRequest).toMatch(/^pcc-[0-9a-f]{24}-0$/);
    const before = liveNodes(emulator)
      .map((n) => n.record.NodeId)
      .sort();
    expect(before).toHaveLength(3);
    const terminates = emulator.counters().terminate;

    const program = [owner, redeclared(taker, { adoptExisting: { requestId: ownerRequest } })];
    // One owner per node: the owner's diff claims its request in the same run, so the taker's
    // adoption is refused naming both sets (before the library-made-request refusal is reached).
    const refusal =
      `refusing to let two node sets of this stack hold the nodes of request '${ownerRequest}': ` +
      "cyclecloud owner holds them and cyclecloud taker adopts them";
    const preview = await stack.preview(program);
    expect(preview.ok).toBe(false);
    expect(messages(preview)).toContain(refusal);
    expect(messages(preview)).toContain("adoptExisting");
    const up = await stack.up(program);
    expect(up.ok).toBe(false);
    expect(messages(up)).toContain(refusal);
    expect([...up.info, messages(up)].join("\n")).not.toContain("adopted");

    expect(
      liveNodes(emulator)
        .map((n) => n.record.NodeId)
        .sort(),
    ).toEqual(before);
    expect(emulator.counters().terminate).toBe(terminates);
  });

  it("previews a change of adoptExisting as adopting the nodes it names", async () => {
    await createOutside(emulator, "outside-3", 1, HC);
    const preview = await stack.preview([
      owner,
      redeclared(taker, { adoptExisting: { requestId: "outside-3" } }),
    ]);
    expect(preview.failures).toEqual([]);
    expect(preview.info.join("\n")).toContain(
      'taker: update: adoptExisting: adopts the nodes of request "outside-3"',
    );
    expect(preview.info.join("\n")).not.toContain("settings that touch no node");
  });

  it("destroys both sets", async () => {
    expect((await stack.destroy()).failures).toEqual([]);
    // outside-3 was only previewed: its node is no set's and stays.
    expect(liveNodes(emulator)).toHaveLength(1);
  });
});

describe("a set that adopts another request later (through the engine model)", () => {
  let taker: Declared;

  it("previews a new set's adoption, with the `orphaned` assertion, then adopts in up", async () => {
    await createOutside(emulator, "ext-0", 1, HC);
    taker = set("taker", { count: 2, adoptExisting: { requestId: "ext-0", orphaned: true } });

    const preview = await stack.preview([taker]);
    expect(preview.failures).toEqual([]);
    expect(preview.info).toContain(
      'cyclecloud taker: create: adoptExisting: adopts the nodes of request "ext-0" (orphaned: you assert that no stack holds them)',
    );
    const up = await stack.up([taker]);
    expect(up.failures).toEqual([]);
    expect(up.info.join("\n")).toContain("adopted 1 existing node(s)");
    expect(stateNodeIds("taker")).toHaveLength(2);
  });

  it("previews and applies a change of `adoptExisting` with a larger `count` in a full bucket: the adopted node fits", async () => {
    await createOutside(emulator, "ext-1", 1, HC);
    // The bucket is full: every live node is a Standard_Hc44rs node of nodearray ondemand.
    const live = liveNodes(emulator);
    await admin(emulator, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: HC,
      maxCount: live.length,
    });
    taker = redeclared(taker, { count: 3, adoptExisting: { requestId: "ext-1" } });
    const creates = emulator.counters().create;

    const preview = await stack.preview([taker]);
    expect(preview.failures).toEqual([]);
    const previewText = preview.info.join("\n");
    expect(previewText).toMatch(
      /\+0 requested, 0 available .*fits \(3 node\(s\) of this set already exist\)/,
    );
    expect(previewText).not.toContain("+1 requested");
    expect(previewText).toContain('taker: update: adoptExisting: adopts the nodes of request "ext-1"');
    expect(previewText).not.toContain("create: adoptExisting");
    const up = await stack.up([taker]);
    expect(up.failures).toEqual([]);
    expect(up.info.join("\n")).toContain("adopted 1 existing node(s)");

    expect(emulator.counters().create).toBe(creates);
    expect(stateNodeIds("taker")).toHaveLength(3);
    expect(stack.set("taker").outputs.requestIds).toEqual(expect.arrayContaining(["ext-0", "ext-1"]));
  });

  it("destroys the set with the nodes it adopted", async () => {
    const held = stateNodeIds("taker");
    expect((await stack.destroy()).failures).toEqual([]);
    const left = liveNodes(emulator).map((n) => n.record.NodeId);
    expect(left.filter((id) => held.includes(id))).toEqual([]);
  });
});
