import { describe, expect, test } from "vitest";
import {
  chooseBucket,
  clusterRemaining,
  limitOf,
  fitAt,
  fitUnder,
  OPTIMISTIC,
  partialAddMessage,
  REAL,
  tally,
} from "../../emulator/store/capacity";
import { observePhase } from "../../emulator/store/node-lifecycle";
import type { NodePhase } from "../../emulator/store/node-lifecycle";
import type { LiveNode } from "../../emulator/store/state";

describe("capacity arithmetic", () => {
  test("a count limit leaves max minus used", () => {
    expect(limitOf("bucket", 11, 4)).toEqual({ description: "bucket", remaining: 7 });
  });

  test.each([
    [500, 208, 44, 6],
    [484, 0, 44, 11],
    [100, 0, 32, 3],
    [8800, 8756, 44, 1],
    [96, 96, 32, 0],
    [10, 20, 4, -3],
  ])(
    "a core limit of %i with %i used fits floor((max - used) / %i) = %i nodes",
    (max, used, vcpu, remaining) => {
      expect(limitOf("cores", max, used, vcpu).remaining).toBe(remaining);
    },
  );

  test("the smallest limit binds, the first of equals wins, and the fit is never negative", () => {
    const a = limitOf("a", 3, 0);
    const b = limitOf("b", 5, 2);
    const c = limitOf("c", 10, 0);
    expect(fitUnder([c, a, b])).toEqual({ fit: 3, binding: a });
    const over = limitOf("over", 1, 4);
    expect(fitUnder([a, over])).toEqual({ fit: 0, binding: over });
    expect(fitUnder([])).toEqual({ fit: Number.MAX_SAFE_INTEGER, binding: undefined });
  });

  test("the partial-add message states added, requested and the reason", () => {
    expect(partialAddMessage(3, 4, "cluster hpc maxCount of 3 reached")).toBe(
      "Added 3 of 4 requested nodes: cluster hpc maxCount of 3 reached",
    );
  });
});

describe("capacity accounting", () => {
  // The default content's hpc/ondemand/Standard_Fs32_v2 written out on purpose: the test fixes its own input.
  const bucket = {
    bucketId: "b",
    machineType: "Standard_Fs32_v2",
    vcpuCount: 32,
    memory: 64,
    infiniband: false,
    pcpuCount: 32,
    gpuCount: 0,
    maxCount: 3,
    maxCoreCount: 96,
    quotaCount: 3,
    quotaCoreCount: 100,
    consumedCoreCount: 0,
    maxPlacementGroupSize: 40,
    maxPlacementGroupCoreSize: 1280,
    family: undefined,
    valid: true,
    invalidReason: "",
    lastCapacityFailureAt: undefined,
  };
  const nodearray = {
    name: "ondemand",
    maxCount: 100,
    maxCoreCount: 500,
    region: "westus2",
    spot: false,
    attributes: {},
    buckets: [bucket],
  };
  const cluster = {
    name: "hpc",
    state: "Started",
    targetState: "Started",
    maxCount: 100,
    maxCoreCount: 10000,
    quotas: { families: {}, regions: {} },
    standaloneNodes: [],
    nodearrays: [nodearray],
  };
  function live(phase: NodePhase, now: number): LiveNode {
    const node = {
      id: "n",
      name: "ondemand-1",
      standalone: false,
      cluster,
      nodearray,
      bucket,
      placementGroupId: undefined,
      requestId: undefined,
      operationId: "op",
      attributes: {},
      privateIp: "10.1.0.4",
      hostname: "ip-0A010004",
      instanceId: "i",
      phase,
    };
    return { node, seen: observePhase(phase, now) };
  }
  const placement = { cluster, nodearray, bucket, placementGroup: undefined };

  test("a terminating node still binds create (REAL) but not availability (OPTIMISTIC); inputs are not changed", () => {
    const nodes = [
      live({ kind: "starting", since: 0, acquiringMs: 0, preparingMs: 0, failure: undefined }, 0),
      live({ kind: "terminating", since: 0, durationMs: 10, addressed: true }, 5),
    ];
    const before = structuredClone(nodes);
    // Two of the bucket's 3 nodes are held, terminating or not: one more fits; the first of equal
    // limits (maxCount, maxCoreCount, quotaCount and quotaCoreCount all leave one) binds.
    expect(fitAt(nodes, placement, REAL)).toEqual({
      fit: 1,
      binding: {
        description: "nodearray ondemand bucket Standard_Fs32_v2 maxCount of 3 reached",
        remaining: 1,
      },
    });
    expect(fitAt(nodes, placement, OPTIMISTIC).fit).toBe(2);
    expect(tally(nodes, () => true, REAL.limits)).toEqual({ count: 2, cores: 64 });
    expect(clusterRemaining(nodes, cluster)).toEqual({ maxCount: 99, maxCoreCount: 9968 });
    expect(chooseBucket(nodes, { cluster, nodearray, placementGroup: undefined }, () => 1)).toEqual({
      bucket,
      count: 1,
    });
    expect(nodes).toEqual(before);
  });
});
