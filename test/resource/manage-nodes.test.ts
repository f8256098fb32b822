import { describe, expect, it } from "vitest";
import type { NodeManagementResult, NodeList } from "../../wire/schemas";
import { manageNodes } from "../../provider/ops/manage-and-wait";
import type { NodeSetClient, OperationContext } from "../../provider/ops/node-set-listing";
import type { NodeSetInputs } from "../../provider/core/inputs";
import { operationContext } from "./fixtures";

const nodes = [
  { id: "id1", name: "ondemand-1", status: "Ready", requestId: "r-0" },
  { id: "id2", name: "ondemand-2", status: "Ready", requestId: "r-0" },
];
const listed: NodeList = {
  nodes: nodes.map((n) => ({ Name: n.name, NodeId: n.id, Template: "ondemand", Status: "Terminating" })),
};

/** An operation context whose client answers terminate with `result` and lists `listed`. */
function contextAnswering(result: NodeManagementResult): OperationContext {
  const client = {
    terminateNodes: () => Promise.resolve(result),
    deallocateNodes: () => Promise.resolve(result),
    startNodes: () => Promise.resolve(result),
    listNodes: () => Promise.resolve(listed),
  } as unknown as NodeSetClient;
  return operationContext(client, {
    cluster: "hpc",
    nodearray: "ondemand",
    count: 2,
    identity: "p/s/set",
  } as NodeSetInputs);
}

describe("manageNodes: NodeManagementResult.nodes[].status is optional", () => {
  it("counts a node without status as acted on", async () => {
    const ctx = contextAnswering({
      operationId: "op",
      nodes: [
        { id: "id1", name: "ondemand-1" },
        { id: "id2", name: "ondemand-2" },
      ],
    });
    await expect(manageNodes(ctx, "terminate", nodes)).resolves.toBeUndefined();
  });

  it("still refuses a node whose status is Error, naming its message", async () => {
    const ctx = contextAnswering({
      operationId: "op",
      nodes: [
        {
          id: "id1",
          name: "ondemand-1",
          status: "Error",
          error: "This node must be terminated before it can be removed",
        },
        { id: "id2", name: "ondemand-2" },
      ],
    });
    await expect(manageNodes(ctx, "terminate", nodes)).rejects.toThrow(
      "CycleCloud refused to terminate 1 node(s) of cluster 'hpc': ondemand-1 (id1): This node must be terminated before it can be removed",
    );
  });

  it("takes an error message without status as an error", async () => {
    const ctx = contextAnswering({
      operationId: "op",
      nodes: [{ id: "id2", name: "ondemand-2", error: "locked" }],
    });
    await expect(manageNodes(ctx, "terminate", nodes)).rejects.toThrow("ondemand-2 (id2): locked");
  });
});
