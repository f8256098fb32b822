/**
 * Issue 14 item 3: destroy (terminate) lists a set's nodes at most twice when they go at once (the
 * probe for an interrupted create, then one listing that confirms the terminate and finds any node
 * the state lacked), and still leaves no node behind.
 */
import { describe, expect, it } from "vitest";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  createOutside,
  createSet,
  declare,
  liveNodes,
  output,
  provider,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();

/** The calls of `fn`, by route, from the emulator's counters. */
async function callsOf(
  fn: () => Promise<unknown>,
): Promise<{ nodes: number; terminate: number; total: number }> {
  const before = env.emu.counters();
  await fn();
  const after = env.emu.counters();
  return {
    nodes: after.nodes - before.nodes,
    terminate: after.terminate - before.terminate,
    total: after.total - before.total,
  };
}

describe("destroy", () => {
  it("lists a one-request set twice and terminates it with one request", async () => {
    const { id, state } = await createSet(declare({ machineType: "Standard_Hc44rs", count: 3 }));
    expect(await callsOf(() => provider.delete(id, state))).toEqual({ nodes: 2, terminate: 1, total: 3 });
    expect(env.emu.nodes().filter((n) => state.requestIds.includes(n.requestId ?? ""))).toEqual([]);
  });

  it("terminates the nodes of a recorded request that the state lacks (a partial failure's state)", async () => {
    const { id, state } = await createSet(declare({ machineType: "Standard_Hc44rs", count: 3 }));
    const partial: NodeSetState = {
      ...state,
      nodes: state.nodes.slice(0, 1),
      nodeIds: state.nodeIds.slice(0, 1),
    };
    // Probe, terminate the one node named, list (finds the other two live), terminate them, confirm.
    expect(await callsOf(() => provider.delete(id, partial))).toEqual({ nodes: 3, terminate: 2, total: 5 });
    expect(liveNodes(env.emu, state.requestIds)).toEqual([]);
    expect(env.emu.nodes().filter((n) => state.requestIds.includes(n.requestId ?? ""))).toEqual([]);
  });

  it("terminates the nodes of a create interrupted after the server committed it (a request the state does not name)", async () => {
    const { id, state } = await createSet(declare({ machineType: "Standard_Hc44rs", count: 2 }));
    // The next request id of the set, committed on the server but never recorded in state.
    await createOutside(env.emu, `${id}-1`, 2, "Standard_Hc44rs");
    // Probe -1 (found), probe -2 (unknown), then one listing each of -0 and -1.
    output.info.length = 0;
    expect(await callsOf(() => provider.delete(id, state))).toEqual({ nodes: 4, terminate: 1, total: 5 });
    expect(
      env.emu.nodes().filter((n) => [...state.requestIds, `${id}-1`].includes(n.requestId ?? "")),
    ).toEqual([]);
    // The delete says what it does with them: not "keeping them".
    expect(output.info.join("\n")).toContain(
      `found 2 node(s) of request ${id}-1, made by an interrupted operation: terminating them with the set`,
    );
    expect(output.info.join("\n")).not.toContain("keeping them");
  });

  it('says that a delete with `onDelete: "deallocate"` deallocates the nodes of an interrupted create with the set', async () => {
    const { id, state } = await createSet(
      declare({ machineType: "Standard_Hc44rs", count: 1, onDelete: "deallocate" }),
    );
    await createOutside(env.emu, `${id}-1`, 1, "Standard_Hc44rs");
    output.info.length = 0;
    await provider.delete(id, state);
    expect(output.info.join("\n")).toContain(
      `found 1 node(s) of request ${id}-1, made by an interrupted operation: deallocating them with the set`,
    );
    expect(
      env.emu
        .nodes()
        .filter((n) => n.requestId === `${id}-1`)
        .map((n) => n.record.Status),
    ).toEqual(["Deallocated"]);
  });

  it("says that a refresh keeps the nodes of an interrupted create", async () => {
    const { id, state } = await createSet(declare({ machineType: "Standard_Hc44rs", count: 2 }));
    await createOutside(env.emu, `${id}-1`, 1, "Standard_Hc44rs");
    output.info.length = 0;
    await provider.read(id, state);
    expect(output.info.join("\n")).toContain(
      `found 1 node(s) of request ${id}-1, made by an interrupted operation: keeping them`,
    );
  });

  it("leaves alone the nodes of another request in the cluster", async () => {
    await createOutside(env.emu, "someone-else-0", 2, "Standard_Hc44rs");
    const { id, state } = await createSet(declare({ machineType: "Standard_Hc44rs", count: 2 }));
    await provider.delete(id, state);
    expect(liveNodes(env.emu, ["someone-else-0"]).map((n) => n.record.Status)).toEqual(["Ready", "Ready"]);
  });
});
