/**
 * Defects the fault-injection campaign (test/reliability/campaign.js) found, each reduced to the
 * smallest sequence of engine calls that shows it. Named after the defect.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { NodeSetPartialFailure } from "../../provider/engine/node-set-provider";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  admin,
  captureProviderOutput,
  configureProvider,
  fastProviderTiming,
  provider,
  stackConfigFor,
  startReliabilityEmulator,
} from "./helpers";

let emu: RunningEmulator;
let serial = 0;

beforeAll(async () => {
  fastProviderTiming(2);
  emu = await startReliabilityEmulator();
});

afterAll(async () => {
  await emu.close();
});

beforeEach(async () => {
  emu.reset();
  captureProviderOutput();
  await configureProvider(stackConfigFor(emu));
});

function declare(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return {
    identity: `reliability/regressions/set${serial}-${Date.now()}`,
    cluster: "hpc",
    nodearray: "ondemand",
    count: 2,
    machineType: "Standard_Fs32_v2",
    ...overrides,
  };
}

async function checked(
  news: Record<string, unknown>,
  olds: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const result = await provider.check(olds, news);
  expect(result.failures).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

const liveNodes = () => emu.nodes().filter((n) => !["Terminating", "Terminated"].includes(n.record.Status));
const liveIds = () =>
  liveNodes()
    .map((n) => n.record.NodeId)
    .sort();
const liveNames = () =>
  liveNodes()
    .map((n) => n.record.Name)
    .sort();

describe("regressions found by the reliability campaign", () => {
  // Campaign seed 6, step 2: a create the server committed lost its answer, the listing that would
  // have found its nodes failed (503 on every retry), and create threw a plain error, so the engine
  // recorded nothing. Three Ready nodes belonged to no set: a `pulumi destroy`, or a change of the
  // program before the next `up` (seed 6, step 35: a machine type change), leaves them running.
  it("records the set when a create's answer is lost and the follow-up listing fails, so no node is orphaned", async () => {
    emu.injectFault({ route: "create", reset: "after" });
    emu.injectFault({ route: "nodes", count: 3, status: 503 });
    const inputs = await checked(declare({ count: 2 }));
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(liveNames()).toEqual(["ondemand-1", "ondemand-2"]);

    // A partial failure is what makes the engine record the set (with whatever it knows).
    expect(error).toBeInstanceOf(NodeSetPartialFailure);
    const failure = error as NodeSetPartialFailure;
    expect(failure.id).toBe(inputs["baseRequestId"]);
    expect(failure.message).toContain("503");

    // `pulumi refresh` finds the nodes...
    const refreshed = (await provider.read(failure.id, failure.properties)).props as NodeSetState;
    expect([...refreshed.nodeIds].sort()).toEqual(liveIds());
    // ...and `pulumi destroy` straight from the recorded state terminates them.
    await provider.delete(failure.id, failure.properties);
    expect(liveIds()).toEqual([]);
  });

  // Campaign seed 6, step 3 (and in every seed): one 429 on the create route fails the deployment.
  // A throttled create was not applied, and the request id makes re-sending it safe.
  it("retries a create that CycleCloud throttled (429) with the same request id", async () => {
    emu.injectFault({ route: "create", status: 429 });
    const inputs = await checked(declare({ count: 2 }));
    const outs = (await provider.create(inputs)).outs as NodeSetState;
    expect(outs.requestIds).toEqual([`${String(inputs["baseRequestId"])}-0`]);
    expect(outs.readyCount).toBe(2);
    expect(liveIds()).toEqual([...outs.nodeIds].sort());
    expect(emu.counters().create).toBe(2);
  });

  // Campaign seed 1, step 36 (every seed, once a set with an explicit `requestId` changes
  // `nodeAttributes` or `nameFormat`): the replacement keeps the base request id, its create gets
  // 409 for `<requestId>-0`, finds the old set's live nodes "of this spec" (only the machine type and
  // placement group are compared) and adopts them; the engine then deletes the old set, which
  // terminates those very nodes. The new set reports `count` nodes, the cluster has none, and the
  // new attributes were never applied.
  it("replaces a set with an explicit requestId by new nodes of the new spec, not by adopting the old set's nodes", async () => {
    const news = declare({ count: 2, machineType: "Standard_Hc44rs", requestId: `explicit-${serial}` });
    const inputs = await checked(news);
    const old = await provider.create(inputs);
    const oldIds = (old.outs as NodeSetState).nodeIds;

    const changed = { ...news, nodeAttributes: { Tags: { team: "cfd" } } };
    const next = await checked(changed, inputs);
    expect((await provider.diff(old.id, old.outs as NodeSetState, next)).replaces).toEqual([
      "nodeAttributes",
    ]);
    // Create before delete, as the engine replaces.
    const replacement = await provider.create(next);
    await provider.delete(old.id, old.outs as NodeSetState);

    const outs = replacement.outs as NodeSetState;
    expect(outs.nodeIds.filter((id) => oldIds.includes(id))).toEqual([]);
    expect(liveIds()).toEqual([...outs.nodeIds].sort());
    expect(outs.readyCount).toBe(2);
    const tags = emu
      .nodes()
      .filter((n) => outs.nodeIds.includes(n.record.NodeId))
      .map((n) => n.record.Tags);
    expect(tags).toEqual([{ team: "cfd" }, { team: "cfd" }]);
  });

  // The same adoption with derived request ids: X (Hc44rs) is replaced by Y (Fs32), X's delete
  // fails so the engine keeps X "pending delete", then the program goes back to Hc44rs. The new set
  // derives X's base again, its create gets 409 for X-0 and adopts X's live nodes; at the end of
  // that deployment the engine deletes Y and the pending X, terminating the nodes the new set holds.
  it("does not adopt the nodes of an earlier set of the same name and spec that is still pending deletion", async () => {
    const hc = declare({ count: 2, machineType: "Standard_Hc44rs" });
    const fs = { ...hc, machineType: "Standard_Fs32_v2" };
    const xInputs = await checked(hc);
    const x = await provider.create(xInputs);
    await configureProvider(stackConfigFor(emu));
    const yInputs = await checked(fs, xInputs);
    const y = await provider.create(yInputs);
    emu.injectFault({ route: "terminate", count: 3, status: 503 });
    await expect(provider.delete(x.id, x.outs as NodeSetState)).rejects.toThrow(/503/);
    const xIds = (x.outs as NodeSetState).nodeIds;

    // Back to Hc44rs: a replacement of Y, while X is still in state, pending deletion.
    await configureProvider(stackConfigFor(emu));
    const back = await checked(hc, yInputs);
    expect((await provider.diff(y.id, y.outs as NodeSetState, back)).replaces).toEqual(["machineType"]);
    const replacement = await provider.create(back);
    await provider.delete(y.id, y.outs as NodeSetState);
    await provider.delete(x.id, x.outs as NodeSetState);

    const outs = replacement.outs as NodeSetState;
    expect(outs.nodeIds.filter((id) => xIds.includes(id))).toEqual([]);
    expect(outs.readyCount).toBe(2);
    expect(liveIds()).toEqual([...outs.nodeIds].sort());
  });

  // Campaign seed 1, heal after step 50 (and seed 3): a node that never leaves Acquiring is counted
  // as healthy forever. Every later `pulumi up` waits readyTimeoutSeconds for it again and fails
  // with "raise `readyTimeoutSeconds` or run `pulumi up` again", which never helps.
  it("replaces a node stuck in provisioning past readyTimeoutSeconds on the next up", async () => {
    await admin(emu, "/fail-next-nodes", { count: 1, phase: "stuck" });
    const news = declare({ count: 2, readyTimeoutSeconds: 0.5 });
    const inputs = await checked(news);
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeSetPartialFailure);
    const failure = error as NodeSetPartialFailure;
    expect(failure.properties.nodes.map((n) => n.status).sort()).toEqual(["Acquiring", "Ready"]);
    const stuck = failure.properties.nodes.find((n) => n.status === "Acquiring");
    if (!stuck) throw new Error("no node stuck in Acquiring");

    // The next `pulumi up`: the engine updates a resource that failed to initialise.
    const next = await checked(news, inputs);
    const healed = (await provider.update(failure.id, failure.properties, next)).outs as NodeSetState;
    expect(healed.readyCount).toBe(2);
    expect(healed.nodeIds).not.toContain(stuck.id);
    expect(liveIds()).toEqual([...healed.nodeIds].sort());
  });
});
