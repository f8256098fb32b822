/**
 * Placement-group sizing through the engine model (issue 12, items 4 and 7; moved from
 * test/e2e/placement-groups.e2e.test.ts): a `placementGroupId` set larger than one group is refused
 * in preview with both numbers; a set spread with `placementGroups` over three groups grows across
 * them and shrinks from the last; a prefix change plans a replacement, one that does not fit the
 * set's own old nodes' group is refused until `deleteBeforeReplace`; a misspelt input key or
 * connection setting is refused in preview, while the key the engine adds to a dynamic resource's
 * inputs (`__provider`) passes every check of this file. Through the real engine
 * (test/e2e/placement-groups.e2e.test.ts): the spread and its `placementGroupCounts` as stack outputs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import { admin } from "../provider/harness";
import type { Declared, EngineModel } from "./engine";
import { declared, liveNodes, mutations, stackFor } from "./helpers";

const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;
let stack: EngineModel;
/** The program's one set `workers` of Standard_Hc44rs nodes; `program()` replaces its inputs. */
let workers: Declared;

function program(inputs: Record<string, unknown>): Declared[] {
  const { identity, name } = workers.inputs;
  workers = {
    name: "workers",
    inputs: { identity, name, cluster: "hpc", nodearray: "ondemand", machineType: HC, ...inputs },
  };
  return [workers];
}

/** Live nodes of the emulator per placement group. */
function perGroup(nodes: readonly AdminNodeView[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of nodes) {
    const group = node.record.PlacementGroupId ?? "(none)";
    counts[group] = (counts[group] ?? 0) + 1;
  }
  return counts;
}

const messages = (result: { failures: { message: string }[] }) =>
  result.failures.map((f) => f.message).join("\n");

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  // One placement group of Standard_Hc44rs holds at most 2 nodes in this cluster.
  await admin(emulator, "/capacity", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: HC,
    maxPlacementGroupSize: 2,
  });
  stack = stackFor(emulator);
  workers = declared("workers", {});
});

afterAll(async () => {
  await emulator?.close();
});

describe("placement-group sizing through the engine model", () => {
  it("refuses in preview a placementGroupId set larger than one group, with both numbers", async () => {
    const before = mutations(emulator);

    const preview = await stack.preview(program({ count: 3, placementGroupId: "pg0" }));

    expect(preview.failures.map((f) => [f.name, f.op])).toEqual([["workers", "check"]]);
    expect(messages(preview)).toContain(
      "`count` 3 exceeds what one placement group of Standard_Hc44rs holds: 2 node(s) (maxPlacementGroupSize 2, maxPlacementGroupCoreSize 1760 = 40 node(s) of 44 cores)",
    );
    expect(messages(preview)).toContain('`placementGroups: { prefix: "pg0-" }`');
    expect(mutations(emulator)).toBe(before);
  });

  it("refuses placementGroupId and placementGroups together, naming both", async () => {
    const preview = await stack.preview(
      program({ count: 3, placementGroupId: "pg0", placementGroups: { prefix: "pg" } }),
    );

    expect(messages(preview)).toContain("`placementGroupId` and `placementGroups` are exclusive");
  });

  it("spreads 5 nodes over pg0, pg1, pg2 (the bucket's group size 2), one create request per group", async () => {
    const up = await stack.up(program({ count: 5, placementGroups: { prefix: "pg" } }));

    expect(up.failures).toEqual([]);
    expect(up.info.join("\n")).toContain(
      "preflight placement groups of 2 node(s): 'pg0' +2 (2 available), 'pg1' +2 (2 available), 'pg2' +1 (2 available) - fits",
    );
    const nodes = liveNodes(emulator);
    expect(perGroup(nodes)).toEqual({ pg0: 2, pg1: 2, pg2: 1 });
    expect(nodes.every((n) => n.record.Status === "Ready")).toBe(true);
    const set = stack.set("workers");
    const base = set.id;
    expect(new Set(nodes.map((n) => n.requestId))).toEqual(
      new Set([`${base}.pg0-0`, `${base}.pg1-0`, `${base}.pg2-0`]),
    );
    expect(emulator.counters().create).toBe(3);
    expect(set.outputs.placementGroupCounts).toEqual({ pg0: 2, pg1: 2, pg2: 1 });
    expect(set.outputs.requestIds).toEqual([`${base}.pg0-0`, `${base}.pg1-0`, `${base}.pg2-0`]);
    expect([...set.outputs.nodeIds].sort()).toEqual(nodes.map((n) => n.record.NodeId).sort());
  });

  it("grows by filling the last group, touching no full group", async () => {
    const before = liveNodes(emulator).map((n) => n.record.NodeId);

    expect((await stack.up(program({ count: 6, placementGroups: { prefix: "pg" } }))).failures).toEqual([]);

    const nodes = liveNodes(emulator);
    expect(perGroup(nodes)).toEqual({ pg0: 2, pg1: 2, pg2: 2 });
    expect(nodes.map((n) => n.record.NodeId)).toEqual(expect.arrayContaining(before));
    expect(stack.set("workers").outputs.placementGroupCounts).toEqual({ pg0: 2, pg1: 2, pg2: 2 });
  });

  it("shrinks from the last group", async () => {
    const before = liveNodes(emulator);

    expect((await stack.up(program({ count: 3, placementGroups: { prefix: "pg" } }))).failures).toEqual([]);

    const nodes = liveNodes(emulator);
    expect(perGroup(nodes)).toEqual({ pg0: 2, pg1: 1 });
    // The kept nodes are the ones that were there: pg0's both, one of pg1's.
    const kept = before.filter((n) => n.record.PlacementGroupId === "pg0").map((n) => n.record.NodeId);
    expect(nodes.map((n) => n.record.NodeId)).toEqual(expect.arrayContaining(kept));
    expect(stack.set("workers").outputs.placementGroupCounts).toEqual({ pg0: 2, pg1: 1 });
  });

  it("plans a replacement when the prefix changes", async () => {
    const preview = await stack.preview(program({ count: 3, placementGroups: { prefix: "mpi" } }));

    expect(preview.failures).toEqual([]);
    expect(preview.steps).toEqual({ workers: "replace" });
    expect(preview.replaceReasons).toEqual({ workers: ["placementGroups"] });
  });

  it("names the set's own old nodes when a replacement does not fit their group, and passes with deleteBeforeReplace", async () => {
    // Size 1 replaces the set: its new pg0 node is created while the old set's 2 still fill pg0.
    const before = mutations(emulator);

    const refused = await stack.preview(program({ count: 3, placementGroups: { prefix: "pg", size: 1 } }));

    expect(messages(refused)).toContain(
      "placement group(s) 'pg0' +1 requested, 0 available (maxPlacementGroupSize 2, maxPlacementGroupCoreSize 1760 = 40 node(s) of 44 cores; " +
        "2 node(s) there are this set's own old ones: a replacement creates the new nodes before it terminates the old ones): " +
        "set `deleteBeforeReplace: true`",
    );
    expect(messages(refused)).not.toContain("nodes of other sets");

    const preview = await stack.preview(
      program({ count: 3, placementGroups: { prefix: "pg", size: 1 }, deleteBeforeReplace: true }),
    );

    expect(preview.failures).toEqual([]);
    expect(preview.steps).toEqual({ workers: "replace" });
    expect(preview.replaceReasons).toEqual({ workers: ["placementGroups"] });
    expect(preview.info.join("\n")).toContain("'pg0' +1 (2 available)");
    expect(mutations(emulator)).toBe(before);
  });

  it("refuses a misspelt input key in preview, naming the nearest known key", async () => {
    // Arguments spread from elsewhere get no compiler check: `countt` reaches the provider.
    const before = mutations(emulator);

    const preview = await stack.preview(program({ count: 3, placementGroups: { prefix: "pg" }, countt: 4 }));

    expect(messages(preview)).toContain("`countt` is not an input of a node set: did you mean `count`?");
    expect(mutations(emulator)).toBe(before);
  });

  it("refuses a misspelt connection setting in preview instead of dropping it", async () => {
    const before = mutations(emulator);

    const preview = await stack.preview(
      program({ count: 3, placementGroups: { prefix: "pg" }, connection: { usrname: "admin" } }),
    );

    expect(messages(preview)).toContain(
      "`connection.usrname` is not a connection setting: did you mean `username`?",
    );
    expect(mutations(emulator)).toBe(before);
  });

  it("terminates every group's nodes on destroy", async () => {
    expect((await stack.destroy()).failures).toEqual([]);

    expect(liveNodes(emulator)).toEqual([]);
    expect(stack.state).toEqual([]);
  });
});
