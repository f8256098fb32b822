/**
 * Issue 12 below the engine: the warm pool (`scaleDown: "deallocate"`), the nodearray limit the
 * set applies itself when starting deallocated nodes, `minReady`, and failing fast on allocation
 * failures with their reasons. (Through the engine: test/e2e/warm-pool.e2e.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { diffNodeSet } from "../../provider/core/diff-node-set";
import { describeFailures, isCapacityFailure } from "../../provider/core/failure-messages";
import { NodeSetPartialFailure } from "../../provider/engine/node-set-provider";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  admin,
  checked,
  configureFor,
  createSet,
  declare,
  liveNodes,
  output,
  provider,
  useProviderEmulator,
} from "./harness";
import { pickInputs as pickChecked } from "../../provider/core/inputs-pick";

/** The engine adapter reads the checked inputs from the property bag with `pickInputs`. */
const diffOf = (olds: NodeSetState, news: Record<string, unknown>, now?: number) =>
  diffNodeSet(olds, pickChecked(news), now);

const env = useProviderEmulator();

const ALLOCATION =
  "AllocationFailed: Allocation failed. We do not have sufficient capacity for the requested VM size in this region";

async function resize(id: string, state: NodeSetState, news: Record<string, unknown>, count: number) {
  const inputs = await checked({ ...news, count }, state);
  return (await provider.update(id, state, inputs)).outs as NodeSetState;
}

describe("scaleDown: deallocate", () => {
  it("shrinks by deallocating, keeps the nodes, and grows by starting them with no create", async () => {
    const news = declare({ count: 3, scaleDown: "deallocate" });
    const { id, state } = await createSet(news);
    const shrunk = await resize(id, state, news, 1);
    expect(shrunk.nodes.map((n) => n.status)).toEqual(["Ready", "Deallocated", "Deallocated"]);
    expect([...shrunk.nodeIds].sort()).toEqual([...state.nodeIds].sort());
    expect([shrunk.readyCount, shrunk.deallocatedCount]).toEqual([1, 2]);
    // The oldest node stays active; the newest go to the pool.
    expect(shrunk.nodes.find((n) => n.status === "Ready")?.name).toBe("ondemand-1");
    expect(env.emu.counters().deallocate).toBe(1);

    // The warm pool is no change to diff, and a refresh keeps it.
    expect(diffOf(shrunk, await checked({ ...news, count: 1 }, shrunk)).changes).toBe(false);
    const read = (await provider.read(id, shrunk)).props as NodeSetState;
    expect(read.nodeIds).toEqual(shrunk.nodeIds);
    expect(read.deallocatedCount).toBe(2);

    const creates = env.emu.counters().create;
    const grown = await resize(id, shrunk, news, 3);
    expect(env.emu.counters().create).toBe(creates);
    expect(env.emu.counters().start).toBe(1);
    expect(grown.nodeIds).toEqual(shrunk.nodeIds);
    expect(grown.nodes.map((n) => n.status)).toEqual(["Ready", "Ready", "Ready"]);
    expect(grown.deallocatedCount).toBe(0);
  });

  it("starts part of the pool and creates only the rest", async () => {
    const news = declare({ count: 2, scaleDown: "deallocate" });
    const { id, state } = await createSet(news);
    const shrunk = await resize(id, state, news, 1);
    const grown = await resize(id, shrunk, news, 3);
    expect(env.emu.counters().create).toBe(2);
    expect(grown.nodes.map((n) => n.status)).toEqual(["Ready", "Ready", "Ready"]);
    expect(grown.nodeIds).toEqual(expect.arrayContaining(state.nodeIds));
    expect(grown.requestIds).toHaveLength(2);
  });

  it("applies the nodearray limit itself before starting deallocated nodes", async () => {
    const news = declare({ count: 3, scaleDown: "deallocate" });
    const { id, state } = await createSet(news);
    const shrunk = await resize(id, state, news, 1);
    await admin(env.emu, "/capacity", { cluster: "hpc", nodearray: "ondemand", maxCount: 2 });
    const inputs = await checked({ ...news, count: 3, preflight: "off" }, shrunk);
    const error = (await provider
      .update(id, shrunk, inputs)
      .catch((e: unknown) => e)) as NodeSetPartialFailure;
    expect(error).toBeInstanceOf(NodeSetPartialFailure);
    expect(error.message).toContain(
      "the nodearray maxCount 2 leaves room to start 1 of 2 deallocated node(s) (CycleCloud does not check it when starting deallocated nodes; the set does)",
    );
    expect(error.properties.readyCount).toBe(2);
    expect(error.properties.deallocatedCount).toBe(1);
    expect(env.emu.counters().create).toBe(1);
  });

  it("preflight applies the nodearray limit to a grow from the warm pool", async () => {
    const news = declare({ count: 3, scaleDown: "deallocate" });
    const { id, state } = await createSet(news);
    const shrunk = await resize(id, state, news, 1);
    await admin(env.emu, "/capacity", { cluster: "hpc", nodearray: "ondemand", maxCount: 2 });
    const result = await provider.check(shrunk as unknown as Record<string, unknown>, { ...news, count: 3 });
    expect(result.failures?.map((f) => f.property)).toEqual(["count"]);
    expect(result.failures?.[0]?.reason).toBe(
      "preflight hpc/ondemand: starting 2 deallocated node(s) of the warm pool needs room for 2 but the nodearray maxCount 2 leaves 1 " +
        "(CycleCloud does not check it when starting deallocated nodes; the set does): " +
        'lower `count` to at most 2, raise the nodearray\'s limit, or set `preflight: "warn"` to try anyway',
    );
    // Within the nodearray's room the same grow passes the preflight (the pool keeps its quota).
    await admin(env.emu, "/capacity", { cluster: "hpc", nodearray: "ondemand", maxCount: 3 });
    await configureFor(env.emu);
    const fits = await provider.check(shrunk as unknown as Record<string, unknown>, { ...news, count: 3 });
    expect(fits.failures).toEqual([]);
    expect(env.emu.counters().start).toBe(0);
  });

  it("changing scaleDown touches no node; a terminate shrink keeps the pool", async () => {
    const news = declare({ count: 3, scaleDown: "deallocate" });
    const { id, state } = await createSet(news);
    const shrunk = await resize(id, state, news, 2);
    const before = env.emu.counters();
    const plain = { ...news, scaleDown: "terminate" };
    const same = await resize(id, shrunk, plain, 2);
    expect(env.emu.counters().terminate).toBe(before.terminate);
    expect(env.emu.counters().start).toBe(before.start);
    expect(same.nodeIds).toEqual(shrunk.nodeIds);
    const smaller = await resize(id, same, plain, 1);
    expect(smaller.nodes.map((n) => n.status)).toEqual(["Ready", "Deallocated"]);
  });

  it("destroy terminates the warm pool; onDelete decides for the rest", async () => {
    const news = declare({ count: 2, scaleDown: "deallocate", onDelete: "deallocate" });
    const { id, state } = await createSet(news);
    const shrunk = await resize(id, state, news, 1);
    const pooled = shrunk.nodes.find((n) => n.status === "Deallocated")?.id;
    await provider.delete(id, shrunk);
    const left = liveNodes(env.emu, shrunk.requestIds);
    expect(left.map((n) => n.record.Status)).toEqual(["Deallocated"]);
    expect(left[0]?.record.NodeId).not.toBe(pooled);
  });
});

describe("minReady", () => {
  it("is refused above count, naming the field", async () => {
    const result = await provider.check({}, declare({ count: 2, minReady: 3 }));
    expect(result.failures).toEqual([
      {
        property: "minReady",
        reason: "`minReady` (3) must not exceed `count` (2): lower `minReady` or omit it to wait for all 2",
      },
    ]);
    const empty = await provider.check({}, declare({ count: 0, minReady: 1 }));
    expect(empty.failures).toEqual([
      {
        property: "minReady",
        reason:
          "`minReady` (1) must not exceed `count` (0): omit `minReady` (a set of 0 nodes waits for none)",
      },
    ]);
    const zero = await provider.check({}, declare({ count: 2, minReady: 0 }));
    expect(zero.failures?.map((f) => f.property)).toEqual(["minReady"]);
  });

  it("succeeds with minReady nodes ready, warning with the failed node's reason and keeping it", async () => {
    await admin(env.emu, "/fail-next-nodes", { count: 1, message: "Node software installation failed" });
    // Nodes that take a moment, so the wait polls and prints its progress line.
    await admin(env.emu, "/timing", { acquiringMs: 30, preparingMs: 30 });
    const { state } = await createSet(declare({ count: 3, minReady: 2 }));
    expect([state.readyCount, state.failedCount]).toEqual([2, 1]);
    expect(state.nodes.find((n) => n.status === "Failed")?.statusMessage).toBe(
      "Node software installation failed",
    );
    expect(output.info.join("\n")).toContain(
      "warning: 2/3 ready, at least `minReady` 2: 1 failed: Node software installation failed (ondemand-1)",
    );
    // The wait's progress line says "failed" once, with the reason.
    expect(output.info.join("\n")).toContain(
      ": 2/3 ready; 1 failed: Node software installation failed (ondemand-1)",
    );
    expect(output.info.join("\n")).not.toMatch(/\d+ failed; \d+ failed/);
  });

  it("fails as a partial failure below minReady", async () => {
    await admin(env.emu, "/fail-next-nodes", { count: 2 });
    const inputs = await checked(declare({ count: 3, minReady: 2 }));
    const error = (await provider.create(inputs).catch((e: unknown) => e)) as NodeSetPartialFailure;
    expect(error).toBeInstanceOf(NodeSetPartialFailure);
    expect(error.properties.failedCount).toBe(2);
  });
});

describe("fail fast with reasons", () => {
  it("stops waiting for nodes of a request whose allocation failed, grouping reasons", async () => {
    await admin(env.emu, "/fail-next-nodes", { count: 2, phase: "acquiring", message: `${ALLOCATION}.` });
    await admin(env.emu, "/fail-next-nodes", { count: 1, phase: "stuck" });
    const inputs = await checked(declare({ count: 3, readyTimeoutSeconds: 3600 }));
    const error = (await provider.create(inputs).catch((e: unknown) => e)) as NodeSetPartialFailure;
    expect(error).toBeInstanceOf(NodeSetPartialFailure);
    expect(error.reasons).toEqual([
      `2 failed: ${ALLOCATION} (ondemand-1, ondemand-2); the next \`pulumi up\` replaces them`,
      "1 acquiring after an allocation failure of their request, not waited for (ondemand-3)",
    ]);
    expect(error.properties.nodes.map((n) => n.status)).toEqual(["Failed", "Failed", "Acquiring"]);
  });

  it("heals on the next up: replaces the node it did not wait for instead of waiting for it", async () => {
    await admin(env.emu, "/fail-next-nodes", { count: 2, phase: "acquiring", message: `${ALLOCATION}.` });
    await admin(env.emu, "/fail-next-nodes", { count: 1, phase: "stuck" });
    const news = declare({ count: 3, readyTimeoutSeconds: 3600 });
    const failure = (await provider
      .create(await checked(news))
      .catch((e: unknown) => e)) as NodeSetPartialFailure;
    expect(failure).toBeInstanceOf(NodeSetPartialFailure);
    const stuck = failure.properties.nodes.find((n) => n.status === "Acquiring");
    output.info.length = 0;
    // Without the fix this waits the hour of readyTimeoutSeconds for the stuck node (beyond the test's timeout).
    const healed = await resize(failure.id, failure.properties, news, 3);
    expect([healed.readyCount, healed.failedCount]).toEqual([3, 0]);
    expect(healed.nodeIds).not.toContain(stuck?.id);
    expect(output.info.join("\n")).toContain(
      "replacing 3 failed node(s) (1 acquiring after an allocation failure of their request): " +
        "ondemand-1, ondemand-2, ondemand-3",
    );
    expect(
      liveNodes(env.emu, healed.requestIds)
        .map((n) => n.record.NodeId)
        .sort(),
    ).toEqual([...healed.nodeIds].sort());
  });

  it("a shrink that drops a failed node says it terminates it, not that it replaces it", async () => {
    await admin(env.emu, "/fail-next-nodes", { count: 1 });
    const news = declare({ count: 3, minReady: 2 });
    const { id, state } = await createSet(news);
    expect(state.failedCount).toBe(1);
    output.info.length = 0;
    const shrunk = await resize(id, state, { ...news, minReady: 2 }, 2);
    expect([shrunk.readyCount, shrunk.failedCount, shrunk.nodeIds.length]).toEqual([2, 0, 2]);
    const lines = output.info.join("\n");
    expect(lines).toContain("terminating 1 failed node(s), not replacing them (`count` is met): ondemand-1");
    expect(lines).not.toContain("replacing 1 failed");
    expect(lines).not.toMatch(/requested \d+ node\(s\)/);
  });

  it("recognises capacity reasons and groups failures by reason", () => {
    expect(isCapacityFailure(ALLOCATION)).toBe(true);
    expect(isCapacityFailure("SkuNotAvailable: The requested size is currently not available")).toBe(true);
    expect(isCapacityFailure("Node software installation failed")).toBe(false);
    expect(isCapacityFailure(undefined)).toBe(false);
    expect(
      describeFailures([
        { name: "a-1", statusMessage: "X." },
        { name: "a-2" },
        { name: "a-3", statusMessage: "X" },
      ]),
    ).toEqual(["2 failed: X (a-1, a-3)", "1 failed (a-2)"]);
  });
});
