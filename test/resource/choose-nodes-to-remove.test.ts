import { describe, expect, it } from "vitest";
import { chooseNodesToRemove } from "../../provider/core/choose-nodes-to-remove";
import type { NodeInfo } from "../../provider/core/node-set-state";

const node = (name: string, status: string, requestId: string, privateIp = "10.0.0.1"): NodeInfo => ({
  id: `id-${name}`,
  name,
  status,
  requestId,
  ...(status === "Ready" ? { privateIp } : {}),
});

const members = [
  node("ondemand-1", "Ready", "b-0"),
  node("ondemand-2", "Ready", "b-0"),
  node("ondemand-3", "Ready", "b-1"),
  node("ondemand-10", "Ready", "b-1"),
  node("ondemand-4", "Preparing", "b-0"),
  node("ondemand-5", "Failed", "b-0"),
  node("ondemand-6", "Acquiring", "b-1"),
];

describe("chooseNodesToRemove", () => {
  const table: [number, string[]][] = [
    [0, []],
    [1, ["ondemand-5"]],
    [2, ["ondemand-5", "ondemand-6"]],
    [3, ["ondemand-5", "ondemand-6", "ondemand-4"]],
    [4, ["ondemand-5", "ondemand-6", "ondemand-4", "ondemand-10"]],
    [5, ["ondemand-5", "ondemand-6", "ondemand-4", "ondemand-10", "ondemand-3"]],
    [7, ["ondemand-5", "ondemand-6", "ondemand-4", "ondemand-10", "ondemand-3", "ondemand-2", "ondemand-1"]],
    [9, ["ondemand-5", "ondemand-6", "ondemand-4", "ondemand-10", "ondemand-3", "ondemand-2", "ondemand-1"]],
  ];
  for (const [n, expected] of table) {
    it(`removing ${n} takes failed, then not-ready (newest first), then the newest ready nodes`, () => {
      expect(chooseNodesToRemove(members, n, "b").map((m) => m.name)).toEqual(expected);
    });
  }

  it("treats a Ready node without an address as not ready", () => {
    const nodes = [node("a-1", "Ready", "b-0"), { id: "x", name: "a-2", status: "Ready", requestId: "b-0" }];
    expect(chooseNodesToRemove(nodes, 1, "b").map((m) => m.name)).toEqual(["a-2"]);
  });
});
