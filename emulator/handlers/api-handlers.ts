/**
 * Handlers of the CycleCloud API's read routes: cluster status, node lists and operations. The
 * writing routes are in node-creation.ts (create, scale) and node-management.ts.
 */
import type { ClusterStatus, NodeList, OperationStatus } from "../../wire/schemas";
import { notFound } from "../server/api-error";
import type { NodeStore } from "../store/node-store";
import type { Operation } from "../store/state";
import { nodeRecord, operationStatus, renderClusterStatus } from "../store/wire-records";

/** `GET /clusters/{cluster}/status[?nodes=true]`. */
export function clusterStatus(store: NodeStore, clusterName: string, withNodes: boolean): ClusterStatus {
  const now = store.clock.now();
  const cluster = store.cluster(clusterName);
  return renderClusterStatus({ cluster, live: store.liveIn(cluster, now), withNodes, now });
}

/** `GET /clusters/{cluster}/nodes[?operation=ID | ?request_id=ID]`. */
export function listNodes(
  store: NodeStore,
  clusterName: string,
  filter: { readonly operation?: string | undefined; readonly requestId?: string | undefined },
): NodeList {
  const now = store.clock.now();
  const cluster = store.cluster(clusterName);
  const live = store.liveIn(cluster, now);
  let operation: Operation | undefined;
  if (filter.requestId !== undefined) {
    operation = store.operationOfRequest(filter.requestId);
    if (operation?.cluster !== cluster.name) {
      throw notFound(`No operation found for request id ${filter.requestId}`);
    }
  } else if (filter.operation !== undefined) {
    operation = store.operation(filter.operation);
    if (operation?.cluster !== cluster.name) {
      throw notFound(`No operation found for operation id ${filter.operation}`);
    }
  }
  if (operation === undefined) return { nodes: live.map(nodeRecord) };
  const ids = new Set(operation.nodeIds);
  return {
    nodes: live.filter((entry) => ids.has(entry.node.id)).map(nodeRecord),
    operation: operationStatus(operation),
  };
}

/** `GET /operations/{id}`. */
export function getOperation(store: NodeStore, id: string): OperationStatus {
  const operation = store.operation(id);
  if (operation === undefined) throw notFound(`No operation found for operation id ${id}`);
  return operationStatus(operation);
}

/** `GET /operations/?request_id=ID`: zero or one operation; without a request id, all of them. */
export function findOperations(store: NodeStore, requestId: string | undefined): OperationStatus[] {
  if (requestId === undefined) return store.allOperations().map(operationStatus);
  const operation = store.operationOfRequest(requestId);
  return operation === undefined ? [] : [operationStatus(operation)];
}
