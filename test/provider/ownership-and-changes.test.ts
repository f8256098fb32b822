/**
 * Issue 15 at the provider level: identities keep sets apart, state of 0.1.0 keeps its request ids,
 * a delete-first replacement is counted by preflight, and `externalRemovals: "forget"`.
 */
import { describe, expect, it } from "vitest";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  admin,
  checked,
  createSet,
  declare,
  liveNodes,
  mutations,
  provider,
  output,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();

describe("identities", () => {
  it("gives two sets of the same name but different identities their own nodes", async () => {
    const first = await createSet(
      declare({ identity: "urn:a::workers#aaaa", name: "workers", machineType: "Standard_Hc44rs" }),
    );
    const second = await createSet(
      declare({ identity: "urn:b::workers#bbbb", name: "workers", machineType: "Standard_Hc44rs" }),
    );
    expect(second.id).not.toBe(first.id);
    expect(env.emu.counters().create).toBe(2);
    expect(second.state.nodeIds.filter((id) => first.state.nodeIds.includes(id))).toEqual([]);
    expect(
      liveNodes(env.emu, [...first.state.requestIds, ...second.state.requestIds]).map(
        (node) => node.record.Name,
      ),
    ).toEqual(["ondemand-1", "ondemand-2", "ondemand-3", "ondemand-4"]);
  });

  it("keeps the base request id of state written by 0.1.0 (identity `project/stack/name`) under a new identity", async () => {
    const { id, state } = await createSet(declare({ identity: "proj/stack/workers" }));
    const news = { ...declare({ identity: "urn:pulumi:stack::proj::t::workers#cccc", name: "workers" }) };
    delete news["identity"];
    const inputs = await checked({ ...news, identity: "urn:pulumi:stack::proj::t::workers#cccc" }, state);
    expect(inputs["baseRequestId"]).toBe(id);
    expect(await provider.diff(id, state, inputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});

describe("a delete-first replacement in a full bucket", () => {
  it("is refused create-first as a replacement, and fits once the old nodes count as freed", async () => {
    await admin(env.emu, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      maxCount: 4,
    });
    const { state } = await createSet(
      declare({ count: 3, machineType: "Standard_Hc44rs", nodeAttributes: { Tags: { v: "1" } } }),
    );
    const before = mutations(env.emu);
    const news = {
      ...declare({ count: 3, machineType: "Standard_Hc44rs", nodeAttributes: { Tags: { v: "2" } } }),
      identity: state.identity,
    };

    const olds = state as unknown as Record<string, unknown>;
    const refused = await provider.check(olds, news);
    expect(refused.failures).toEqual([
      {
        property: "nodeAttributes",
        reason:
          "preflight hpc/ondemand Standard_Hc44rs: +3 requested, 1 available (binding limit: bucket availableCount) - does not fit; " +
          "this is a replacement (`nodeAttributes` changed): its 3 new node(s) are created before the 3 old one(s) are terminated. " +
          "Set `deleteBeforeReplace: true` (the input or the resource option) to terminate the old nodes first, free capacity in the cluster, " +
          'or set `preflight: "warn"` to try anyway',
      },
    ]);

    const deleteFirst = { ...news, deleteBeforeReplace: true };
    expect((await provider.check(olds, deleteFirst)).failures).toEqual([]);
    // The engine's second check of a replacement has no old inputs: it sees the freed room too.
    expect((await provider.check({}, deleteFirst)).failures).toEqual([]);
    expect(mutations(env.emu)).toBe(before);
  });
});

describe('externalRemovals: "forget"', () => {
  it("forgets a node removed outside Pulumi on refresh and does not re-create it on update", async () => {
    const { id, state } = await createSet(
      declare({ count: 3, machineType: "Standard_Hc44rs", externalRemovals: "forget" }),
    );
    const [gone] = state.nodes;
    if (!gone) throw new Error("no node");
    await admin(env.emu, "/remove-nodes", { ids: [gone.id] });

    const read = await provider.read(id, state);
    const refreshed = read.props as NodeSetState;
    expect(refreshed.forgottenCount).toBe(1);
    expect(refreshed.nodeIds).toEqual(state.nodeIds.slice(1));
    expect(refreshed.nodes.map((node) => node.name)).toEqual(["ondemand-2", "ondemand-3"]);
    const inputs = read.inputs as Record<string, unknown>;
    expect((await provider.diff(id, refreshed, inputs)).changes).toBe(false);

    const creates = env.emu.counters().create;
    const updated = (await provider.update(id, refreshed, { ...inputs, readyTimeoutSeconds: 60 }))
      .outs as NodeSetState;
    expect(env.emu.counters().create).toBe(creates);
    expect(updated.nodeIds).toEqual(refreshed.nodeIds);
    expect(updated.forgottenCount).toBe(1);

    // Preflight counts the increase from what the set holds (2), not from its old count (3).
    output.info.length = 0;
    const logs = output.info;
    const grow = await provider.check(inputs, { ...inputs, count: 4 });
    expect(grow.failures).toEqual([]);
    expect(logs.find((l) => l.includes("preflight"))).toMatch(
      /: preflight hpc\/ondemand Standard_Hc44rs: \+2 requested, \d+ available \(binding limit: bucket availableCount\) - fits \(the set holds 2 node\(s\): the others were removed outside Pulumi\)$/,
    );
    const grown = (await provider.update(id, updated, grow.inputs as Record<string, unknown>))
      .outs as NodeSetState;
    expect(grown.nodeIds).toHaveLength(4);
    expect(grown.nodes.map((node) => node.name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
      "ondemand-4",
    ]);
    expect(grown.forgottenCount).toBeUndefined();
  });

  it('re-creates it with the default "replace"', async () => {
    const { id, state } = await createSet(declare({ count: 2 }));
    const [gone] = state.nodes;
    if (!gone) throw new Error("no node");
    await admin(env.emu, "/remove-nodes", { ids: [gone.id] });
    const read = await provider.read(id, state);
    const refreshed = read.props as NodeSetState;
    expect(refreshed.forgottenCount).toBeUndefined();
    output.info.length = 0;
    const logs = output.info;
    expect((await provider.diff(id, refreshed, read.inputs as Record<string, unknown>)).changes).toBe(true);
    expect(logs).toContainEqual(
      expect.stringMatching(/^cyclecloud set\d+-\d+: update: 1 missing; count 2 unchanged$/),
    );
  });
});

describe("messages of an update that changed nothing", () => {
  it("names the set, the grow, the cause and the next step when a set of 0 nodes cannot grow", async () => {
    const { id, state } = await createSet(declare({ count: 0, name: "empty" }));
    await admin(env.emu, "/faults", { route: "create", status: 500, count: 50 });
    const inputs = await checked(
      { ...declare({ count: 2, name: "empty" }), identity: state.identity },
      state,
    );
    const error = await provider.update(id, state, inputs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      /^empty: grow from 0 to 2 nodes failed: create request pcc-[0-9a-f]{24}-0 was sent 4 times and never applied \(CycleCloud does not know it\), so it created no node; last answer: CycleCloud answered 500 to POST \/clusters\/hpc\/nodes\/create: .*; no node was changed and the state still lists the set's 0 node\(s\)\. CycleCloud is unavailable or overloaded: run `pulumi up` again later$/,
    );
    expect(liveNodes(env.emu, [`${id}-0`])).toEqual([]);
  });
});
