import { describe, expect, it } from "vitest";
import { diffNodeSet } from "../../provider/resource/diff-node-set";
import { UNKNOWN } from "../../provider/resource/inputs";
import type { NodeInfo, NodeSetState } from "../../provider/resource/node-set-state";
import { nodeSetState } from "../../provider/resource/node-set-state";

const ready = (i: number): NodeInfo => ({
  id: `id-${i}`,
  name: `ondemand-${i}`,
  status: "Ready",
  privateIp: `10.0.0.${i}`,
  requestId: "b-0",
});

function state(nodes: NodeInfo[] = [ready(1), ready(2)]): NodeSetState {
  return nodeSetState(
    {
      identity: "p/s/mpi",
      cluster: "hpc",
      nodearray: "ondemand",
      count: 2,
      machineType: "Standard_Hc44rs",
      waitForReady: true,
      readyTimeoutSeconds: 1800,
      deleteTimeoutSeconds: 900,
      preflight: "enforce",
      onDelete: "terminate",
      baseRequestId: "b",
    },
    { requestIds: ["b-0"], nodes },
  );
}

function inputsOf(s: NodeSetState): Record<string, unknown> {
  const { requestIds, nodes, nodeIds, hostnames, privateIps, readyCount, failedCount, ...inputs } = s;
  return inputs;
}

describe("diffNodeSet", () => {
  it("reports no changes when inputs and live nodes match", () => {
    expect(diffNodeSet(state(), inputsOf(state()))).toEqual({ changes: false, replaces: [], updates: [] });
  });

  const replaceTable: [string, unknown][] = [
    ["cluster", "hpc2"],
    ["nodearray", "gpu"],
    ["machineType", "Standard_Fs32_v2"],
    ["placementGroupId", "pg0"],
    ["nodeAttributes", { KeepAlive: true }],
    ["nameFormat", "mpi-%d"],
    ["nameOffset", 4],
    ["requestId", "explicit-id"],
  ];
  for (const [key, value] of replaceTable) {
    it(`replaces the set when ${key} changes`, () => {
      expect(diffNodeSet(state(), { ...inputsOf(state()), [key]: value })).toEqual({
        changes: true,
        replaces: [key],
        updates: [],
      });
    });
  }

  const updateTable: [string, unknown][] = [
    ["count", 3],
    ["adoptExisting", { requestId: "outside" }],
    ["waitForReady", false],
    ["readyTimeoutSeconds", 60],
    ["deleteTimeoutSeconds", 60],
    ["preflight", "warn"],
    ["onDelete", "deallocate"],
    ["connection", { url: "https://cc.example.com" }],
  ];
  for (const [key, value] of updateTable) {
    it(`updates in place when ${key} changes`, () => {
      const result = diffNodeSet(state(), { ...inputsOf(state()), [key]: value });
      expect(result.replaces).toEqual([]);
      expect(result.changes).toBe(true);
      expect(result.updates[0]).toBe(key);
    });
  }

  it("updates when live healthy nodes fall short of count after a refresh", () => {
    expect(diffNodeSet(state([ready(1)]), inputsOf(state()))).toEqual({
      changes: true,
      replaces: [],
      updates: ["nodes (1 healthy of 2)"],
    });
  });

  it("updates to replace a failed node", () => {
    const nodes = [ready(1), { ...ready(2), status: "Failed" }];
    expect(diffNodeSet(state(nodes), inputsOf(state()))).toEqual({
      changes: true,
      replaces: [],
      updates: ["nodes (1 healthy of 2)", "nodes (1 failed or deallocated)"],
    });
  });

  it("counts nodes still provisioning as healthy", () => {
    const nodes = [ready(1), { id: "id-2", name: "ondemand-2", status: "Acquiring" }];
    expect(diffNodeSet(state(nodes), inputsOf(state())).changes).toBe(false);
  });

  it("treats unknown values during preview as changes of their kind", () => {
    expect(diffNodeSet(state(), { ...inputsOf(state()), machineType: UNKNOWN })).toEqual({
      changes: true,
      replaces: ["machineType"],
      updates: [],
    });
    expect(diffNodeSet(state(), { ...inputsOf(state()), count: UNKNOWN })).toEqual({
      changes: true,
      replaces: [],
      updates: ["count"],
    });
  });
});

describe("diffNodeSet and stuck nodes", () => {
  it("updates to replace a node still provisioning readyTimeoutSeconds after its request started", () => {
    const requestedAt = "2026-11-27T10:00:00.000Z";
    const nodes = [
      ready(1),
      { id: "id-2", name: "ondemand-2", status: "Acquiring", requestId: "b-0", requestedAt },
    ];
    const now = Date.parse(requestedAt);
    expect(diffNodeSet(state(nodes), inputsOf(state()), now + 1799_000).changes).toBe(false);
    expect(diffNodeSet(state(nodes), inputsOf(state()), now + 1800_000)).toEqual({
      changes: true,
      replaces: [],
      updates: ["nodes (1 not ready after 1800s)"],
    });
  });
});
