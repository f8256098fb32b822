/**
 * The legacy `/cloud/actions/` routes shipping clients still call on 8.x servers (the API
 * reference documents none of them): `POST /cloud/actions/terminate_node/{cluster}` with an
 * `instance-filter` or a node `filter`, and `POST /cloud/actions/retry/{cluster}`. Both answer 200
 * with a JSON object whose shape is the emulator's choice (real servers' is undocumented):
 * `{ operationId, nodes: [{ name, id, status }] }`, as a management action answers.
 */
import type { NodeManagementResult } from "../../wire/schemas";
import { badRequest, notFound, parseJson } from "../server/http-io";
import { applyAction, applyToAll, compileFilter } from "./node-management";
import type { NodeStore } from "../store/node-store";
import type { LiveNode } from "../store/state";
import { nodeRecord } from "../store/wire-records";

/** What clients match in the error text when an `instance-filter` selects nothing. */
export const NO_INSTANCES_MESSAGE = "No instances were found matching your query";
/** What clients match in the error text when a node `filter` selects nothing. */
export const NO_NODES_MESSAGE = "No nodes were found matching your query";

/**
 * A node's instance as an `instance-filter` sees it: the node record plus the instance's own
 * spelling of the host name, `HostName` (node records say `Hostname`). Only nodes with a VM
 * (addresses known) have an instance.
 */
function instanceRecord(entry: LiveNode): Record<string, unknown> | undefined {
  if (!entry.seen.addressed) return undefined;
  const record = nodeRecord(entry);
  return { ...record, HostName: record.Hostname, InstanceId: record.InstanceId };
}

function filterFromBody(body: string): string | undefined {
  if (body.trim() === "") return undefined;
  const filter = (parseJson(body, badRequest) as { filter?: unknown } | null)?.filter;
  if (typeof filter !== "string" || filter === "") {
    throw badRequest('The body of terminate_node must be {"filter": "<node filter>"}');
  }
  return filter;
}

/**
 * `POST /cloud/actions/terminate_node/{cluster}?instance-filter=EXPR` (or `?filter=EXPR`, or a
 * body `{"filter": EXPR}`): terminates the matching nodes. Nothing matching is a 404 whose
 * message is the one clients test for.
 */
export function terminateNode(
  store: NodeStore,
  clusterName: string,
  query: URLSearchParams,
  body: string,
): NodeManagementResult {
  const now = store.clock.now();
  const cluster = store.cluster(clusterName);
  const instanceFilter = query.get("instance-filter") ?? undefined;
  const nodeFilter = query.get("filter") ?? filterFromBody(body);
  if ((instanceFilter === undefined) === (nodeFilter === undefined)) {
    throw badRequest(
      'Give exactly one node selection: the query parameter instance-filter, the query parameter filter, or a body {"filter": ...}',
    );
  }
  // An instance filter sees instances (nodes with a VM), a node filter node records.
  const [filter, recordOf, nothing] =
    instanceFilter !== undefined
      ? [instanceFilter, instanceRecord, NO_INSTANCES_MESSAGE]
      : [nodeFilter ?? "", nodeRecord, NO_NODES_MESSAGE];
  const predicate = compileFilter(filter);
  const matched = store.liveIn(cluster, now).filter((entry) => {
    const record = recordOf(entry);
    return record !== undefined && predicate(record);
  });
  if (matched.length === 0) throw notFound(nothing);
  const operation = store.newOperation("terminate", cluster, undefined, now);
  return applyToAll(matched, operation, (node) => applyAction(store, "terminate", node, now));
}

/**
 * `POST /cloud/actions/retry/{cluster}` (no body): every `Failed` node of the cluster starts over
 * (Acquiring, then Preparing and Ready). A cluster without failed nodes answers an empty list.
 */
export function retryFailedNodes(store: NodeStore, clusterName: string): NodeManagementResult {
  const now = store.clock.now();
  const cluster = store.cluster(clusterName);
  const failed = store.liveIn(cluster, now).filter((entry) => entry.seen.status === "Failed");
  const operation = store.newOperation("retry", cluster, undefined, now);
  return applyToAll(failed, operation, (node) => {
    node.phase = store.startingPhase(now, undefined);
    return undefined;
  });
}
