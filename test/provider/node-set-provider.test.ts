import { describe, expect, it } from "vitest";
import { NodeSetPartialFailure } from "../../provider/engine/node-set-provider";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  admin,
  checked,
  configureFor,
  createSet,
  declare,
  liveNodes,
  mutations,
  output,
  provider,
  startTestEmulator,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();

describe("create", () => {
  it("creates count nodes with a deterministic request id and waits until they are ready", async () => {
    const { id, state } = await createSet(declare({ count: 2 }));
    expect(id).toMatch(/^pcc-[0-9a-f]{24}$/);
    expect(state.requestIds).toEqual([`${id}-0`]);
    expect(state.nodes.map((n) => n.status)).toEqual(["Ready", "Ready"]);
    expect(state.readyCount).toBe(2);
    expect(state.failedCount).toBe(0);
    expect(state.hostnames).toEqual(["ip-0A010004", "ip-0A010005"]);
    expect(state.privateIps).toEqual(["10.1.0.4", "10.1.0.5"]);
    expect(state.bucketId).toBe("cd56af52-abcd-1234-a4e7-e6a91ca519a2");
    const live = liveNodes(env.emu, state.requestIds);
    expect(live.map((n) => n.record.NodeId).sort()).toEqual([...state.nodeIds].sort());
    expect(live.map((n) => n.record.MachineType)).toEqual(["Standard_Fs32_v2", "Standard_Fs32_v2"]);
    expect(env.emu.counters().create).toBe(1);
  });

  it("creates the seed's 4 x Standard_Hc44rs in placement group pg0", async () => {
    const { state } = await createSet(
      declare({ count: 4, machineType: "Standard_Hc44rs", placementGroupId: "pg0" }),
    );
    expect(state.nodes.map((node) => node.name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
      "ondemand-4",
    ]);
    expect(state.nodes.map((n) => [n.placementGroupId, n.machineType])).toEqual(
      Array(4).fill(["pg0", "Standard_Hc44rs"]),
    );
    expect(liveNodes(env.emu, state.requestIds).map((n) => n.record.PlacementGroupId)).toEqual(
      Array(4).fill("pg0"),
    );
  });

  it("waits through Acquiring and Preparing, logging progress", async () => {
    const slow = await startTestEmulator({ acquiringMs: 60, preparingMs: 60, terminatingMs: 0 });
    try {
      await configureFor(slow);
      const logs = output.info;
      const { state } = await createSet(declare({ count: 2 }));
      expect(state.readyCount).toBe(2);
      expect(logs).toContainEqual(expect.stringMatching(/: 0\/2 ready, 2 acquiring \(\d+s\)$/));
      expect(logs.at(-1)).toMatch(/: 2\/2 ready$/);
    } finally {
      await slow.close();
    }
  });

  it("adopts the nodes of a create whose answer was lost after the server committed it", async () => {
    env.emu.injectFault({ route: "create", reset: "after" });
    const { state } = await createSet(declare({ count: 2 }));
    expect(state.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(liveNodes(env.emu, state.requestIds).map((node) => node.record.Name)).toEqual([
      "ondemand-1",
      "ondemand-2",
    ]);
    expect(env.emu.nodes().map((node) => node.record.Name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(env.emu.counters().create).toBe(1);
  });

  it("terminates a failed node of a create whose answer was lost when it replaces it, ending with count nodes", async () => {
    // The lost create's first node fails at once: the listing that finds the request shows it Failed.
    await admin(env.emu, "/fail-next-nodes", { count: 1 });
    env.emu.injectFault({ route: "create", reset: "after" });
    const { state } = await createSet(declare({ count: 2 }));
    expect(output.info).toContainEqual(expect.stringMatching(/replacing 1 failed node\(s\): ondemand-1$/));
    // The replacement is named after the terminated node (the emulator reuses a freed name).
    expect(state.nodes.map((node) => [node.name, node.status])).toEqual([
      ["ondemand-1", "Ready"],
      ["ondemand-2", "Ready"],
    ]);
    expect(state.readyCount).toBe(2);
    expect(state.failedCount).toBe(0);
    expect(state.requestIds).toHaveLength(2);
    const cluster = env.emu.nodes();
    expect(cluster.map((node) => node.record.Status)).toEqual(["Ready", "Ready"]);
    expect(cluster.map((node) => node.record.NodeId).sort()).toEqual([...state.nodeIds].sort());
    expect(env.emu.counters().create).toBe(2);
  });

  it("re-sends a create that was not applied (connection reset before commit) with the same request id", async () => {
    env.emu.injectFault({ route: "create", reset: "before" });
    const { id, state } = await createSet(declare({ count: 2 }));
    expect(state.requestIds).toEqual([`${id}-0`]);
    expect(env.emu.nodes().map((node) => node.record.Name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(env.emu.counters().create).toBe(2);
  });

  it("ends with exactly count nodes when a second create retries one that failed after the server committed it", async () => {
    const news = declare({ count: 3 });
    env.emu.injectFault({ route: "create", reset: "after" });
    // Fails every attempt of the listing that would have found the committed nodes.
    env.emu.injectFault({ route: "nodes", count: 3, status: 503 });
    const inputs = await checked(news);
    await expect(provider.create(inputs)).rejects.toThrow(/503/);
    expect(env.emu.nodes().map((node) => node.record.Name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
    ]);

    // The engine recorded nothing; the next `pulumi up` creates again with the same inputs.
    const retried = await provider.create(await checked(news));
    const state = retried.outs as NodeSetState;
    expect(state.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3"]);
    expect(env.emu.nodes().map((node) => node.record.Name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
    ]);
    expect(env.emu.counters().create).toBe(2);
  });

  it("records a partial add (capacity ran out) as a partial failure carrying the nodes", async () => {
    const inputs = await checked(declare({ count: 5, preflight: "off" }));
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeSetPartialFailure);
    const failure = error as NodeSetPartialFailure;
    expect(failure.id).toBe(inputs["baseRequestId"]);
    expect(failure.properties.nodes.map((node) => node.name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
    ]);
    expect(failure.reasons).toEqual([
      expect.stringMatching(/^CycleCloud added 3 of 5 requested node\(s\): /),
    ]);
    expect(liveNodes(env.emu, failure.properties.requestIds).map((node) => node.record.Name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
    ]);
  });

  it("fails with CycleCloud's message and records nothing when no node could be added", async () => {
    const inputs = await checked(declare({ count: 1, machineType: "Standard_HC44rs", preflight: "off" }));
    await expect(provider.create(inputs)).rejects.toThrow(/Standard_HC44rs/);
    await expect(provider.create(inputs)).rejects.not.toBeInstanceOf(NodeSetPartialFailure);
    expect(env.emu.nodes().map((node) => node.record.Name)).toEqual([]);
  });

  it("records a node that failed to provision as a partial failure", async () => {
    await admin(env.emu, "/fail-next-nodes", { count: 1 });
    const inputs = await checked(declare({ count: 2 }));
    const error = (await provider.create(inputs).catch((e: unknown) => e)) as NodeSetPartialFailure;
    expect(error).toBeInstanceOf(NodeSetPartialFailure);
    expect(error.properties.failedCount).toBe(1);
    expect(error.properties.readyCount).toBe(1);
    expect(error.reasons).toEqual([
      expect.stringMatching(
        /^1 failed: Node software configuration failed \(injected by the emulator\) \(ondemand-\d+\); the next `pulumi up` replaces them$/,
      ),
    ]);
  });

  it("advances past a request id whose nodes are all gone (an earlier generation)", async () => {
    const news = declare({ count: 1 });
    const first = await createSet(news);
    await provider.delete(first.id, first.state);
    const second = await createSet(news);
    expect(second.id).toBe(first.id);
    expect(second.state.requestIds).toEqual([`${first.id}-1`]);
    expect(liveNodes(env.emu, second.state.requestIds).map((node) => node.record.Name)).toEqual([
      "ondemand-1",
    ]);
  });
  it("finds the first free request id in a few listings after many generations", async () => {
    const news = declare({ count: 1 });
    for (let generation = 0; generation < 9; generation++) {
      const { id, state } = await createSet(news);
      await provider.delete(id, state);
    }
    const before = env.emu.counters();
    const { id, state } = await createSet(news);
    const after = env.emu.counters();
    expect(state.requestIds).toEqual([`${id}-9`]);
    expect(after.create - before.create).toBe(2);
    // The 409 at -0 lists -0; probes -1, -2, -4, -8, -16; bisects -12, -10, -9; lists -8 (the last
    // used id, for an interrupted create); then one listing of the new request: 11, not 2 per generation.
    expect(after.nodes - before.nodes).toBe(11);
  });
});

describe("update", () => {
  it("grows with the next request id of the sequence", async () => {
    const news = declare({ count: 1 });
    const { id, state } = await createSet(news);
    const inputs = await checked({ ...news, count: 3 }, state);
    const grown = (await provider.update(id, state, inputs)).outs as NodeSetState;
    expect(grown.requestIds).toEqual([`${id}-0`, `${id}-1`]);
    expect(grown.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3"]);
    expect(liveNodes(env.emu, grown.requestIds).map((node) => node.record.Name)).toEqual([
      "ondemand-1",
      "ondemand-2",
      "ondemand-3",
    ]);
  });

  it("shrinks by terminating the newest nodes", async () => {
    const news = declare({ count: 2 });
    const { id, state } = await createSet(news);
    const grown = (await provider.update(id, state, await checked({ ...news, count: 3 }, state)))
      .outs as NodeSetState;
    const newest = grown.nodes.find((n) => n.requestId === `${id}-1`);
    const shrunk = (await provider.update(id, grown, await checked({ ...news, count: 2 }, grown)))
      .outs as NodeSetState;
    expect(shrunk.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(shrunk.nodeIds).not.toContain(newest?.id);
    expect(
      liveNodes(env.emu, shrunk.requestIds)
        .map((n) => n.record.NodeId)
        .sort(),
    ).toEqual([...shrunk.nodeIds].sort());
  });

  it("heals after a node fails: terminates it and creates a replacement", async () => {
    const news = declare({ count: 2 });
    const { id, state } = await createSet(news);
    const victim = state.nodes[0];
    await admin(env.emu, "/fail-nodes", { ids: [victim?.id] });
    const refreshed = (await provider.read(id, state)).props as NodeSetState;
    expect(refreshed.failedCount).toBe(1);
    const diff = await provider.diff(id, refreshed, await checked(news, refreshed));
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const healed = (await provider.update(id, refreshed, await checked(news, refreshed)))
      .outs as NodeSetState;
    expect(healed.readyCount).toBe(2);
    expect(healed.failedCount).toBe(0);
    expect(healed.nodeIds).not.toContain(victim?.id);
    // The replacement gets the name its failed predecessor freed.
    expect(
      liveNodes(env.emu, healed.requestIds)
        .map((node) => node.record.Name)
        .sort(),
    ).toEqual(["ondemand-1", "ondemand-2"]);
  });

  it("says why a set changes once, though a preview with --refresh diffs it twice", async () => {
    const news = declare({ count: 2 });
    const { id, state } = await createSet(news);
    await admin(env.emu, "/fail-nodes", { ids: [state.nodes[0]?.id] });
    const refreshed = (await provider.read(id, state)).props as NodeSetState;
    const inputs = await checked(news, refreshed);
    const before = output.info.length;
    await provider.diff(id, refreshed, inputs);
    await provider.diff(id, refreshed, inputs);
    const said = output.info.slice(before).filter((line) => line.includes("failed"));
    expect(said).toHaveLength(1);
  });

  it("changes settings that touch no node without any mutating request", async () => {
    const news = declare({ count: 1 });
    const { id, state } = await createSet(news);
    const before = mutations(env.emu);
    const updated = (
      await provider.update(id, state, await checked({ ...news, readyTimeoutSeconds: 60 }, state))
    ).outs as NodeSetState;
    expect(updated.readyTimeoutSeconds).toBe(60);
    expect(mutations(env.emu)).toBe(before);
  });
});

describe("read", () => {
  it("sees nodes removed out of band, then keeps the set's id when every node is gone", async () => {
    const news = declare({ count: 3 });
    const { id, state } = await createSet(news);
    await admin(env.emu, "/remove-nodes", { ids: [state.nodeIds[0]] });
    const some = await provider.read(id, state);
    expect(some.id).toBe(id);
    expect((some.props as NodeSetState).nodes.map((node) => node.name)).toEqual(["ondemand-2", "ondemand-3"]);
    expect(some.inputs?.["count"]).toBe(3);

    await admin(env.emu, "/remove-nodes", { ids: state.nodeIds.slice(1) });
    const none = await provider.read(id, some.props as NodeSetState);
    expect(none.id).toBe(id);
    expect((none.props as NodeSetState).nodes).toEqual([]);
    // The next `pulumi up` is a new provider process: the cluster status its preflight of the
    // update reads is not the one this process cached (and charged with the 3 nodes) at create.
    await configureFor(env.emu);
    const diff = await provider.diff(id, none.props as NodeSetState, await checked(news, state));
    expect(diff.changes).toBe(true);
    expect(diff.replaces).toEqual([]);
  });

  it("runs the update's preflight in diff only for a set checked in this run: a refresh's diff never fails on capacity", async () => {
    const news = declare({ count: 2, machineType: "Standard_Hc44rs" });
    const { id, state } = await createSet(news);
    await admin(env.emu, "/remove-nodes", { ids: [state.nodeIds[1]] });
    const refreshed = (await provider.read(id, state)).props as NodeSetState;
    expect(refreshed.nodes).toHaveLength(1);
    // The bucket is full: re-creating the missing node does not fit.
    await admin(env.emu, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      maxCount: 1,
    });
    // `pulumi refresh`: a new process diffs the refreshed state against its inputs, with no check.
    await configureFor(env.emu);
    const stateInputs = { ...news, baseRequestId: id };
    await expect(provider.diff(id, refreshed, stateInputs)).resolves.toMatchObject({ changes: true });
    // `pulumi preview` / `up`: check first, then the diff refuses.
    await configureFor(env.emu);
    const inputs = await checked(news, state);
    await expect(provider.diff(id, refreshed, inputs)).rejects.toThrow(
      /preflight hpc\/ondemand Standard_Hc44rs: \+1 requested, 0 available .* does not fit; the update creates 1 node\(s\) with `count` 2 unchanged/,
    );
    expect(mutations(env.emu)).toBe(1); // the create only
  });

  it("finds the nodes of a grow interrupted after the server committed it", async () => {
    const news = declare({ count: 1 });
    const { id, state } = await createSet(news);
    // A grow request that reached the server, but whose result never reached state.
    await fetch(`${env.emu.url}/clusters/hpc/nodes/create`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(`${env.emu.username}:${env.emu.password}`).toString("base64")}`,
      },
      body: JSON.stringify({
        requestId: `${id}-1`,
        sets: [{ count: 1, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } }],
      }),
    });
    const refreshed = (await provider.read(id, state)).props as NodeSetState;
    expect(refreshed.requestIds).toEqual([`${id}-0`, `${id}-1`]);
    expect(refreshed.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2"]);
  });
});

describe("delete", () => {
  it("terminates every node of the set and waits until they are gone", async () => {
    const { id, state } = await createSet(declare({ count: 3 }));
    await provider.delete(id, state);
    expect(liveNodes(env.emu, state.requestIds)).toEqual([]);
    expect(env.emu.nodes()).toEqual([]);
  });

  it("treats nodes already gone as deleted", async () => {
    const { id, state } = await createSet(declare({ count: 2 }));
    await admin(env.emu, "/remove-nodes", { ids: [state.nodeIds[0]] });
    await provider.delete(id, state);
    expect(env.emu.nodes()).toEqual([]);
  });

  it("deallocates instead when onDelete is deallocate", async () => {
    const { id, state } = await createSet(declare({ count: 1, onDelete: "deallocate" }));
    await provider.delete(id, state);
    expect(env.emu.nodes().map((n) => n.record.Status)).toEqual(["Deallocated"]);
  });
});

describe("check and preflight", () => {
  it("refuses an increase the cluster cannot hold, naming the binding limit, before any node is touched", async () => {
    const result = await provider.check({}, declare({ count: 12, machineType: "Standard_Hc44rs" }));
    expect(result.failures).toEqual([
      {
        property: "count",
        reason:
          "preflight hpc/ondemand Standard_Hc44rs: +12 requested, 11 available (binding limit: bucket availableCount) - does not fit: " +
          'lower `count` to at most 11, free capacity in the cluster, or set `preflight: "warn"` to try anyway',
      },
    ]);
    expect(mutations(env.emu)).toBe(0);
  });

  it("checks only the increase of a grown set", async () => {
    const news = declare({ count: 2 });
    const { state } = await createSet(news);
    expect(state.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2"]);
    await expect(checked({ ...news, count: 3 }, state)).resolves.toMatchObject({ count: 3 });
    const result = await provider.check(state as unknown as Record<string, unknown>, { ...news, count: 4 });
    expect(result.failures).toEqual([
      {
        property: "count",
        reason:
          "preflight hpc/ondemand Standard_Fs32_v2: +2 requested, 1 available (binding limit: bucket availableCount) - does not fit: " +
          'lower `count` to at most 3, free capacity in the cluster, or set `preflight: "warn"` to try anyway',
      },
    ]);
  });

  it("lets an unchanged resource through without reading the cluster status", async () => {
    const news = declare({ count: 2 });
    const olds = await checked(news);
    const before = env.emu.counters().status;
    await checked(news, olds);
    await checked({ ...news, count: 1 }, olds);
    expect(env.emu.counters().status).toBe(before);
  });

  it("reads the cluster status once for many sets in one preview", async () => {
    for (let i = 0; i < 5; i++) await checked(declare({ count: 2, machineType: "Standard_Hc44rs" }));
    expect(env.emu.counters().status).toBe(1);
  });

  it("checks the sets of one plan against what the earlier sets left", async () => {
    await checked(declare({ name: "first", count: 2 }));
    const result = await provider.check({}, declare({ count: 2 }));
    expect(result.failures).toEqual([
      {
        property: "count",
        reason:
          "preflight hpc/ondemand Standard_Fs32_v2: +2 requested, 1 available (binding limit: bucket availableCount) - does not fit " +
          '(after 2 node(s) for other sets of this plan: 2 for first): lower `count` to at most 1, free capacity in the cluster, or set `preflight: "warn"` to try anyway',
      },
    ]);
    expect(env.emu.counters().status).toBe(1);
  });

  it("keeps the base request id unless a replace-triggering input changes", async () => {
    const news = declare({ count: 2 });
    const olds = await checked(news);
    expect((await checked({ ...news, count: 3 }, olds))["baseRequestId"]).toBe(olds["baseRequestId"]);
    expect((await checked({ ...news, machineType: "Standard_Hc44rs" }, olds))["baseRequestId"]).not.toBe(
      olds["baseRequestId"],
    );
  });

  it("derives the same chained base when the engine checks a replacement again without old inputs", async () => {
    const news = declare({ count: 1 });
    const olds = await checked(news);
    const replacement = { ...news, machineType: "Standard_Hc44rs" };
    const first = await checked(replacement, olds);
    const second = await checked(replacement, {});
    expect(first["baseRequestId"]).not.toBe(olds["baseRequestId"]);
    expect(second["baseRequestId"]).toBe(first["baseRequestId"]);
  });

  it("tolerates values unknown during preview and skips preflight for them", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const result = await provider.check({}, declare({ count: unknown, machineType: unknown }));
    expect(result.failures).toEqual([]);
    expect((result.inputs as Record<string, unknown>)["baseRequestId"]).toBe(unknown);
    expect(env.emu.counters().status).toBe(0);
  });

  it("names all three ways to configure a missing connection", async () => {
    // No stack config, and the harness's provider has an empty environment: no CYCLECLOUD_* variable.
    await provider.configure({ config: { get: () => undefined, require: () => "" } });
    const result = await provider.check({}, declare({ count: 1 }));
    expect(result.failures).toEqual([
      {
        // A connection failure names settings, on no property (the engine would print `connection`).
        property: "",
        reason:
          "preflight could not read the status of cluster 'hpc': CycleCloud connection is not configured: missing `url`, `username`, `password`. " +
          "Supply it in one of three ways: (1) the `connection` argument of the resource or function; " +
          "(2) stack config: `pulumi config set cyclecloud:url https://HOST:8443`, `pulumi config set cyclecloud:username USER`, " +
          "`pulumi config set --secret cyclecloud:password`; (3) environment variables CYCLECLOUD_URL, CYCLECLOUD_USERNAME and CYCLECLOUD_PASSWORD",
      },
    ]);
  });
});
