/**
 * A set spread over placement groups, against the emulator: one create request per group, each
 * with its group's request id sequence; growing fills groups in order, shrinking empties the last;
 * a lost answer to a group's create is resolved by listing that group's request id.
 */
import { describe, expect, it } from "vitest";
import type { NodeSetState } from "../../provider/core/node-set-state";
import { admin, checked, configureFor, declare, output, provider, useProviderEmulator } from "./harness";

const env = useProviderEmulator();

/** Live nodes of the emulator per placement group. */
function emulatorGroups(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of env.emu.nodes()) {
    if (["Terminating", "Terminated"].includes(node.record.Status)) continue;
    const group = node.record.PlacementGroupId ?? "(none)";
    counts[group] = (counts[group] ?? 0) + 1;
  }
  return counts;
}

/** Creates 2 Standard_Hc44rs nodes in `group` with `requestId`, as a create whose answer was lost. */
async function createInGroup(requestId: string, group: string): Promise<void> {
  const response = await fetch(`${env.emu.url}/clusters/hpc/nodes/create`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${env.emu.username}:${env.emu.password}`).toString("base64")}`,
    },
    body: JSON.stringify({
      requestId,
      sets: [
        {
          count: 2,
          nodearray: "ondemand",
          placementGroupId: group,
          definition: { machineType: "Standard_Hc44rs" },
        },
      ],
    }),
  });
  expect(response.status).toBe(202);
}

/** Placement groups of Standard_Hc44rs hold at most 3 nodes. */
async function groupsOf3(): Promise<void> {
  await admin(env.emu, "/capacity", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: "Standard_Hc44rs",
    maxPlacementGroupSize: 3,
  });
}

const spread = (count: number) =>
  declare({ count, machineType: "Standard_Hc44rs", placementGroups: { prefix: "pg", size: 2 } });

describe("a set spread over placement groups", () => {
  it("creates one request per group, grows into the next group and shrinks from the last", async () => {
    const news = spread(5);
    const inputs = await checked(news);
    const base = String(inputs["baseRequestId"]);
    const { id, outs } = await provider.create(inputs);
    let state = outs as NodeSetState;
    expect(state.requestIds).toEqual([`${base}.pg0-0`, `${base}.pg1-0`, `${base}.pg2-0`]);
    expect(state.placementGroupCounts).toEqual({ pg0: 2, pg1: 2, pg2: 1 });
    expect(emulatorGroups()).toEqual({ pg0: 2, pg1: 2, pg2: 1 });
    expect(env.emu.counters().create).toBe(3);

    const grown = await checked({ ...news, count: 7 }, state);
    state = (await provider.update(id, state, grown)).outs as NodeSetState;
    expect(state.requestIds.slice(3)).toEqual([`${base}.pg2-1`, `${base}.pg3-0`]);
    expect(state.placementGroupCounts).toEqual({ pg0: 2, pg1: 2, pg2: 2, pg3: 1 });
    expect(emulatorGroups()).toEqual({ pg0: 2, pg1: 2, pg2: 2, pg3: 1 });

    const shrunk = await checked({ ...news, count: 3 }, state);
    state = (await provider.update(id, state, shrunk)).outs as NodeSetState;
    expect(state.placementGroupCounts).toEqual({ pg0: 2, pg1: 1 });
    expect(emulatorGroups()).toEqual({ pg0: 2, pg1: 1 });

    // Refresh finds every group's nodes again from the request ids.
    const refreshed = (await provider.read(id, state)).props as NodeSetState;
    expect(refreshed.placementGroupCounts).toEqual({ pg0: 2, pg1: 1 });

    await provider.delete(id, refreshed);
    expect(emulatorGroups()).toEqual({});
  });

  it("adopts the nodes of a group create whose answer was lost, creating nothing twice", async () => {
    const news = spread(2);
    const inputs = await checked(news);
    const base = String(inputs["baseRequestId"]);
    const { id, outs } = await provider.create(inputs);
    const state = outs as NodeSetState;
    expect(state.placementGroupCounts).toEqual({ pg0: 2 });

    // The next create (group pg1's) is applied, then its connection is reset without an answer.
    env.emu.injectFault({ route: "create", reset: "after" });
    const grown = await checked({ ...news, count: 4 }, state);
    const after = (await provider.update(id, state, grown)).outs as NodeSetState;
    expect(output.info).toContainEqual(
      expect.stringContaining(
        `create request ${base}.pg1-0 was applied although its answer was lost: adopting its 2 node(s)`,
      ),
    );
    expect(after.requestIds).toEqual([`${base}.pg0-0`, `${base}.pg1-0`]);
    expect(after.placementGroupCounts).toEqual({ pg0: 2, pg1: 2 });
    expect(emulatorGroups()).toEqual({ pg0: 2, pg1: 2 });
    expect(env.emu.counters().create).toBe(2);
  });

  it("finds a group's nodes left by a create whose answer never came (crash before state was written)", async () => {
    const news = spread(3);
    const inputs = await checked(news);
    const base = String(inputs["baseRequestId"]);
    // The first create (pg0) is applied but its answer lost, and every listing fails: the create
    // fails with the request id uncertain, and the engine records nothing.
    env.emu.injectFault({ route: "create", reset: "after" });
    env.emu.injectFault({ route: "nodes", count: 3, status: 503 });
    await expect(provider.create(inputs)).rejects.toThrow();
    expect(emulatorGroups()).toEqual({ pg0: 2 });

    // The next `up` creates again with the same inputs: pg0's request is found and adopted.
    const retried = (await provider.create(await checked(news))).outs as NodeSetState;
    expect(retried.requestIds).toEqual([`${base}.pg0-0`, `${base}.pg1-0`]);
    expect(retried.placementGroupCounts).toEqual({ pg0: 2, pg1: 1 });
    expect(emulatorGroups()).toEqual({ pg0: 2, pg1: 1 });
  });

  it("without size, fills each group up to the bucket's maxPlacementGroupSize", async () => {
    await groupsOf3();
    const inputs = await checked(
      declare({ count: 5, machineType: "Standard_Hc44rs", placementGroups: { prefix: "mpi-" } }),
    );
    const state = (await provider.create(inputs)).outs as NodeSetState;
    expect(state.placementGroupCounts).toEqual({ "mpi-0": 3, "mpi-1": 2 });
    expect(emulatorGroups()).toEqual({ "mpi-0": 3, "mpi-1": 2 });
  });

  it("counts the nodes an interrupted grow left in its groups as the set's own in preflight", async () => {
    await groupsOf3();
    const news = spread(4);
    const inputs = await checked(news);
    const base = String(inputs["baseRequestId"]);
    const state = (await provider.create(inputs)).outs as NodeSetState;
    expect(state.placementGroupCounts).toEqual({ pg0: 2, pg1: 2 });

    // A grow to 8 interrupted after groups pg2 and pg3 were created (their answers lost): the
    // engine kept the old state, the cluster holds the set's nodes in pg2 and pg3.
    for (const group of ["pg2", "pg3"]) {
      await createInGroup(`${base}.${group}-0`, group);
    }
    // Another set's nodes in pg4: they count against it.
    await createInGroup("pcc-other.pg4-0", "pg4");
    expect(emulatorGroups()).toEqual({ pg0: 2, pg1: 2, pg2: 2, pg3: 2, pg4: 2 });
    await configureFor(env.emu); // the next `up`: a new provider process reads the status afresh
    const grown = await provider.check(state as unknown as Record<string, unknown>, { ...news, count: 8 });
    expect(grown.failures).toEqual([]);

    const larger = await provider.check(state as unknown as Record<string, unknown>, { ...news, count: 10 });
    expect(larger.failures).toEqual([
      {
        property: "placementGroups",
        reason: expect.stringMatching(
          /^placement group\(s\) 'pg4' \+2 requested, 1 available \(maxPlacementGroupSize 3, .*; nodes of other sets already in a group count\)/,
        ),
      },
    ]);
  });

  it("replaces the set when prefix or size changes", async () => {
    const olds = await checked(spread(2));
    const state = { ...olds, requestIds: [], nodes: [] } as unknown as NodeSetState;
    for (const placementGroups of [{ prefix: "mpi", size: 2 }, { prefix: "pg", size: 3 }, { prefix: "pg" }]) {
      const news = await checked({ ...olds, placementGroups }, olds);
      const diff = await provider.diff(String(olds["baseRequestId"]), state, news);
      expect(diff.replaces).toEqual(["placementGroups"]);
    }
  });
});
