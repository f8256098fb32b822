import { describe, expect, it } from "vitest";
import type { NodeSetState } from "../../provider/core/node-set-state";
import { UNKNOWN } from "../../provider/core/inputs-unknown";
import {
  checked,
  configureFor,
  declare,
  liveNodes,
  createOutside,
  output,
  provider,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();

describe("adoptExisting", () => {
  it("adopts the nodes of a request made outside Pulumi and creates only the missing ones", async () => {
    await createOutside(env.emu, "outside-1", 2, "Standard_Hc44rs");
    const inputs = await checked(
      declare({ count: 3, machineType: "Standard_Hc44rs", adoptExisting: { requestId: "outside-1" } }),
    );
    const state = (await provider.create(inputs)).outs as NodeSetState;
    expect(state.requestIds).toEqual(["outside-1", `${String(inputs["baseRequestId"])}-0`]);
    expect(state.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3"]);
    expect(env.emu.nodes().map((node) => node.record.Name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
    ]);
  });

  it("adopts nodes by id and keeps tracking them on refresh and delete", async () => {
    await createOutside(env.emu, "outside-2", 2, "Standard_Fs32_v2");
    const ids = env.emu.nodes().map((n) => n.record.NodeId);
    const inputs = await checked(declare({ count: 2, adoptExisting: { nodeIds: ids } }));
    const { id, outs } = await provider.create(inputs);
    const state = outs as NodeSetState;
    expect([...state.nodeIds].sort()).toEqual([...ids].sort());
    expect(state.adoptedNodeIds).toEqual(ids);
    expect(env.emu.counters().create).toBe(1);
    const refreshed = (await provider.read(id, state)).props as NodeSetState;
    expect(refreshed.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2"]);
    await provider.delete(id, refreshed);
    expect(liveNodes(env.emu, ["outside-2"])).toEqual([]);
  });

  it("refuses nodes that do not match the declared spec, before creating anything", async () => {
    await createOutside(env.emu, "outside-3", 1, "Standard_Fs32_v2");
    const result = await provider.check(
      {},
      declare({ count: 1, machineType: "Standard_Hc44rs", adoptExisting: { requestId: "outside-3" } }),
    );
    // Preflight counts the nodes to adopt, so the check already refuses them; so does create.
    expect(result.failures).toEqual([
      {
        property: "adoptExisting",
        reason:
          "refusing to adopt nodes that do not match the declared spec: ondemand-1 is Standard_Fs32_v2, not Standard_Hc44rs. Fix `adoptExisting` or the set's inputs",
      },
    ]);
    const inputs = result.inputs as Record<string, unknown>;
    await expect(provider.create(inputs)).rejects.toThrow(
      /^set\d+-\d+: create of 1 x Standard_Hc44rs in nodearray 'ondemand' \(cluster 'hpc'\) failed: refusing to adopt nodes that do not match the declared spec: ondemand-1 is Standard_Fs32_v2, not Standard_Hc44rs\. Fix `adoptExisting` or the set's inputs; nothing was created and nothing is recorded in state$/,
    );
    expect(env.emu.counters().create).toBe(1);
  });

  it("names node ids the cluster does not have", async () => {
    const result = await provider.check(
      {},
      declare({ count: 1, adoptExisting: { nodeIds: ["no-such-node"] } }),
    );
    expect(result.failures).toEqual([
      {
        property: "adoptExisting",
        reason: "`adoptExisting.nodeIds`: cluster 'hpc' has no node no-such-node: fix the list of node ids",
      },
    ]);
    const inputs = result.inputs as Record<string, unknown>;
    await expect(provider.create(inputs)).rejects.toThrow(
      "`adoptExisting.nodeIds`: cluster 'hpc' has no node no-such-node",
    );
  });
});

describe("the check of a new set that adopts", () => {
  const ORPHANED =
    'create: adoptExisting: adopts the nodes of request "outside-5" (orphaned: you assert that no stack holds them)';

  it("says what it adopts, with the `orphaned` assertion, in the preview (identity unknown) and in up", async () => {
    await createOutside(env.emu, "outside-5", 1, "Standard_Hc44rs");
    const news = declare({
      count: 1,
      machineType: "Standard_Hc44rs",
      adoptExisting: { requestId: "outside-5", orphaned: true },
    });
    for (const identity of [UNKNOWN, news["identity"]]) {
      await configureFor(env.emu); // the preview, then the update: a provider process each
      output.info.length = 0;
      const result = await provider.check({}, { ...news, identity, name: "taker" });
      expect(result.failures).toEqual([]);
      expect(output.info).toContain(`cyclecloud taker: ${ORPHANED}`);
    }
  });

  it("says it without `orphaned`, and not for a set in state nor for the engine's second check of a replacement", async () => {
    await createOutside(env.emu, "outside-6", 1, "Standard_Hc44rs");
    const news = declare({
      count: 1,
      machineType: "Standard_Hc44rs",
      adoptExisting: { requestId: "outside-6" },
    });
    output.info.length = 0;
    const olds = await checked(news);
    expect(output.info.filter((line) => line.includes("create: adoptExisting:"))).toEqual([
      expect.stringMatching(/: create: adoptExisting: adopts the nodes of request "outside-6"$/),
    ]);

    output.info.length = 0;
    await checked({ ...news, count: 2 }, olds);
    const replaced = { ...news, nameOffset: 5 };
    await checked(replaced, olds); // the engine's first check of the replacement
    await checked(replaced); // and its second, without old inputs
    expect(output.info.filter((line) => line.includes("create: adoptExisting:"))).toEqual([]);
  });
});

describe("an `adoptExisting.requestId` the server does not know", () => {
  const HINT =
    '`adoptExisting.requestId` "mpi.22572e0f" does not end in `-<n>`, as the request id of a create does ' +
    '(e.g. "mpi.22572e0f-0"): fix `adoptExisting.requestId`';

  it("hints at the `-<n>` ending when the id has none (a base request id), in check and in create", async () => {
    const news = declare({ count: 1, adoptExisting: { requestId: "mpi.22572e0f" } });
    const result = await provider.check({}, news);
    expect(result.failures).toHaveLength(1);
    expect(result.failures?.[0]?.property).toBe("adoptExisting");
    expect(result.failures?.[0]?.reason).toContain("404");
    expect(result.failures?.[0]?.reason).toContain(HINT);

    const inputs = await checked({ ...news, preflight: "off" });
    const creates = env.emu.counters().create;
    await expect(provider.create(inputs)).rejects.toThrow(HINT);
    expect(env.emu.counters().create).toBe(creates);
  });

  it("gives no such hint for an id that ends in `-<n>`", async () => {
    const result = await provider.check(
      {},
      declare({ count: 1, adoptExisting: { requestId: "mpi.22572e0f-0", orphaned: true } }),
    );
    expect(result.failures?.[0]?.reason).toContain("404");
    expect(result.failures?.[0]?.reason).not.toContain("does not end in");
  });
});
