/**
 * One owner per node within a stack (trial issue 22): a second set that adopts what another set of
 * the stack holds is refused before any request that changes a node, in either order of the
 * engine's calls; a delete leaves the nodes another set holds; a deallocating delete says which
 * nodes it keeps and the `adoptExisting` that brings them back. Each "run" is a fresh provider
 * process, as the engine starts one per deployment.
 */
import { describe, expect, it } from "vitest";
import { DiffRefusalError } from "../../provider/core/errors";
import { UNKNOWN } from "../../provider/core/inputs-unknown";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  admin,
  checked,
  configureFor,
  createOutside,
  declare,
  liveNodes,
  mutations,
  output,
  provider,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();
const HC = "Standard_Hc44rs";

/** `adopted` holds the 2 nodes of `outside-1`, made outside Pulumi; returns its inputs and state. */
async function adoptedHolds(): Promise<{ news: Record<string, unknown>; id: string; state: NodeSetState }> {
  await createOutside(env.emu, "outside-1", 2, HC);
  const news = declare({
    name: "adopted",
    count: 2,
    machineType: HC,
    adoptExisting: { requestId: "outside-1" },
  });
  const result = await provider.create(await checked(news));
  return { news, id: result.id, state: result.outs as NodeSetState };
}

/** The engine's calls for `adopted`, unchanged, in a later run: check with its old inputs, then diff. */
async function adoptedUnchanged(held: { news: Record<string, unknown>; id: string; state: NodeSetState }) {
  const inputs = await checked(held.news, held.news);
  return provider.diff(held.id, held.state, inputs);
}

const HOLDS_THEN_ADOPTS =
  "`adoptExisting`: refusing to let two node sets of this stack hold the nodes of request 'outside-1': " +
  "cyclecloud adopted holds them and cyclecloud adopted2 adopts them. A node belongs to one set (removing either " +
  "set would terminate the nodes the other holds): remove `adoptExisting` from cyclecloud adopted2. " +
  "(To move nodes to another set, rename that set with `aliases`.)";

describe("two sets of a stack adopting the same nodes", () => {
  it("refuses the second set in the check of the preview and of the update, naming both, with no mutating request", async () => {
    const held = await adoptedHolds();
    const mutated = mutations(env.emu);
    const second = declare({
      name: "adopted2",
      count: 2,
      machineType: HC,
      adoptExisting: { requestId: "outside-1" },
    });
    for (const identity of [UNKNOWN, second["identity"]]) {
      await configureFor(env.emu); // a new run: the preview, then the update
      expect(await adoptedUnchanged(held)).toEqual({
        changes: false,
        replaces: [],
        deleteBeforeReplace: false,
      });
      const result = await provider.check({}, { ...second, identity });
      expect(result.failures).toEqual([{ property: "adoptExisting", reason: HOLDS_THEN_ADOPTS }]);
    }
    // By node id too, and create refuses on its own (before its adopt could change anything).
    await configureFor(env.emu);
    await adoptedUnchanged(held);
    const [node] = held.state.nodes;
    const byId = declare({
      name: "adopted2",
      count: 1,
      machineType: HC,
      adoptExisting: { nodeIds: [node?.id] },
    });
    const refused = await provider.check({}, byId);
    expect(refused.failures?.[0]?.reason).toContain(
      `hold the nodes of node ${node?.id}: cyclecloud adopted holds them and cyclecloud adopted2 adopts them`,
    );
    await expect(provider.create(refused.inputs as Record<string, unknown>)).rejects.toThrow(
      `create of 1 x ${HC} in nodearray 'ondemand' (cluster 'hpc') failed: \`adoptExisting\`: refusing to let two node sets`,
    );
    expect(mutations(env.emu)).toBe(mutated);
    expect(liveNodes(env.emu, ["outside-1"])).toHaveLength(2);
  });

  it("refuses the set that holds them when the new one comes first, in check (by request) or in diff (by node id)", async () => {
    const held = await adoptedHolds();
    const mutated = mutations(env.emu);
    await configureFor(env.emu);
    const second = declare({
      name: "adopted2",
      count: 2,
      machineType: HC,
      adoptExisting: { requestId: "outside-1" },
    });
    expect((await provider.check({}, second)).failures).toEqual([]);
    const first = await provider.check(held.news, held.news);
    expect(first.failures).toEqual([{ property: "adoptExisting", reason: HOLDS_THEN_ADOPTS }]);

    await configureFor(env.emu);
    const ids = held.state.nodes.map((n) => n.id);
    const byId = declare({ name: "adopted2", count: 2, machineType: HC, adoptExisting: { nodeIds: ids } });
    expect((await provider.check({}, byId)).failures).toEqual([]);
    // Its old inputs name the request, not the nodes: the diff, which reads the state, sees them.
    const inputs = await checked(held.news, held.news);
    const diff = provider.diff(held.id, held.state, inputs);
    await expect(diff).rejects.toThrow(DiffRefusalError);
    await expect(diff).rejects.toThrow(
      `cyclecloud adopted: \`adoptExisting\`: refusing to let two node sets of this stack hold the nodes of node ${ids[0]}: ` +
        "cyclecloud adopted holds them and cyclecloud adopted2 adopts them.",
    );
    expect(mutations(env.emu)).toBe(mutated);
  });

  it("still lets one set adopt in several runs, and its replacement (same identity) adopt again", async () => {
    const held = await adoptedHolds();
    await configureFor(env.emu);
    await adoptedUnchanged(held);
    const replaced = { ...held.news, nodeAttributes: { KeepAlive: true } };
    expect((await provider.check(held.news, replaced)).failures).toEqual([]);
    expect((await provider.check({}, replaced)).failures).toEqual([]);
  });
});

describe("a delete, when another set of the stack holds some of its nodes", () => {
  it("leaves them to that set (state from before the refusal: both hold them)", async () => {
    const held = await adoptedHolds();
    // The second set, made in an earlier run before the refusal existed.
    await configureFor(env.emu);
    const second = declare({
      name: "adopted2",
      count: 2,
      machineType: HC,
      adoptExisting: { requestId: "outside-1" },
    });
    const made = await provider.create(await checked(second));
    // This run: `adopted` is declared (check, diff), `adopted2` removed from the program (delete).
    await configureFor(env.emu);
    expect(await adoptedUnchanged(held)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const terminates = env.emu.counters().terminate;
    await provider.delete(made.id, made.outs as NodeSetState);
    expect(env.emu.counters().terminate).toBe(terminates);
    expect(
      liveNodes(env.emu, ["outside-1"])
        .map((n) => n.record.NodeId)
        .sort(),
    ).toEqual(held.state.nodes.map((n) => n.id).sort());
    // Once, though the terminate spares twice (the nodes in state, then those its listing finds).
    expect(output.info.filter((line) => line.includes("leaving"))).toEqual([
      "cyclecloud adopted2: warning: leaving 2 node(s) that cyclecloud adopted of this stack holds too " +
        "(ondemand-1, ondemand-2): a node belongs to one set, and the other set keeps them",
    ]);
  });
});

describe('a delete with onDelete: "deallocate"', () => {
  it("names the kept nodes, their request id and the adoptExisting that brings them back, which works", async () => {
    const news = declare({ name: "keeper", count: 2, machineType: HC, onDelete: "deallocate" });
    const made = await provider.create(await checked(news));
    const state = made.outs as NodeSetState;
    const request = state.requestIds[0] ?? "";
    output.info.length = 0;
    await provider.delete(made.id, state);
    expect(output.info).toContain(
      'cyclecloud keeper: warning: onDelete: "deallocate" keeps 2 deallocated node(s) that no node set holds any more: ' +
        `ondemand-1, ondemand-2 (request '${request}'). They keep their quota until they are terminated in CycleCloud. ` +
        `To bring them back, declare a node set of cluster 'hpc', nodearray 'ondemand', machineType '${HC}' with: ` +
        `adoptExisting: { requestId: "${request}", orphaned: true }, // ondemand-1, ondemand-2`,
    );
    // Without `orphaned`, the refusal does not claim another set owns them: the library cannot know.
    await configureFor(env.emu);
    const refused = await provider.check(
      {},
      declare({ count: 2, machineType: HC, adoptExisting: { requestId: request } }),
    );
    expect(refused.failures?.[0]?.reason).toContain(
      `refusing to adopt request '${request}': this library made it for another node set, so its nodes are not this ` +
        "set's (a set of this or another stack may hold them: the library cannot tell); ",
    );
    expect(refused.failures?.[0]?.reason).toContain(
      '(Only for nodes no stack holds any more, kept by a delete with `onDelete: "deallocate"` (its warning gave ' +
        "the `adoptExisting` to use) or left by a set destroyed while its create was pending, `orphaned: true`",
    );
    // The snippet, as given, takes them back in the next run, creating nothing.
    await configureFor(env.emu);
    const creates = env.emu.counters().create;
    const back = declare({
      count: 2,
      machineType: HC,
      adoptExisting: { requestId: request, orphaned: true },
    });
    const adopted = (await provider.create(await checked(back))).outs as NodeSetState;
    expect(adopted.nodeIds.sort()).toEqual(state.nodeIds.sort());
    expect(env.emu.counters().create).toBe(creates);
  });
});

describe("a preflight refusal bound by nodes a deallocating delete kept", () => {
  it("names them, their request id and the adoptExisting that takes them back", async () => {
    const news = declare({ name: "keeper", count: 2, machineType: HC, onDelete: "deallocate" });
    const made = await provider.create(await checked(news));
    const request = (made.outs as NodeSetState).requestIds[0] ?? "";
    await provider.delete(made.id, made.outs as NodeSetState);
    // The next run of the same program: a new set (the destroy removed the identity), refused by a
    // quota of one node (however the emulator counts the kept nodes against it).
    await admin(env.emu, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: HC,
      quotaCoreCount: 44,
    });
    await configureFor(env.emu);
    const mutated = mutations(env.emu);
    const result = await provider.check(
      {},
      declare({ name: "keeper", count: 2, machineType: HC, onDelete: "deallocate" }),
    );
    expect(result.failures?.map((f) => f.property)).toEqual(["count"]);
    expect(result.failures?.[0]?.reason).toContain(
      `. 2 deallocated node(s) of nodearray 'ondemand' that no node set seen in this run holds keep their quota: ` +
        `ondemand-1, ondemand-2 (request '${request}'). If a delete with \`onDelete: "deallocate"\` kept them, no set ` +
        `holds them: take them back with \`adoptExisting: { requestId: "${request}", orphaned: true }\` (they then count ` +
        "as this set's), or terminate them in CycleCloud (a set of another stack may hold them: the library cannot tell)",
    );
    expect(mutations(env.emu)).toBe(mutated);
  });
});
