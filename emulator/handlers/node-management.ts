/** `POST /clusters/{cluster}/nodes/{terminate|deallocate|start|shutdown|remove}`. */
import type { NodeManagementAction, NodeManagementRequest, NodeManagementResult } from "../../wire/schemas";
import { badRequest, invalidAttribute } from "../server/http-io";
import { fitUnder, limitsAt, REAL } from "../store/capacity";
import { observePhase } from "../store/node-lifecycle";
import type { NodeObservation } from "../store/node-lifecycle";
import { compileNodeFilter, FilterSyntaxError } from "../store/node-filter";
import type { NodeFilter } from "../store/node-filter";
import type { NodeStore } from "../store/node-store";
import type { LiveNode, NodeState, Operation } from "../store/state";
import { nodeRecord } from "../store/wire-records";

export function compileFilter(filter: string): NodeFilter {
  try {
    return compileNodeFilter(filter);
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      throw badRequest(
        `Unsupported filter expression ${JSON.stringify(filter)}: ${error.message}. The emulator supports ` +
          `comparisons of a node attribute with a string, number, boolean or null (===, ==, !==, !=) ` +
          `and membership in a set of those (Name in {"a", "b"}), joined by && and || with parentheses`,
      );
    }
    throw error;
  }
}

/** Applies `action` to every node of the cluster the request selects. */
export function manageNodes(
  store: NodeStore,
  clusterName: string,
  action: NodeManagementAction,
  request: NodeManagementRequest,
): NodeManagementResult {
  const now = store.clock.now();
  const cluster = store.cluster(clusterName);
  store.checkRequestIdUnused(request.requestId);
  const { ids, names, hostnames, ip_addresses: ipAddresses, filter } = request;
  if ([ids, names, hostnames, ipAddresses, filter].every((selection) => selection === undefined)) {
    throw invalidAttribute(
      `A ${action} request must select nodes with at least one of ids, names, hostnames, ip_addresses or filter`,
    );
  }
  const predicate = filter === undefined ? undefined : compileFilter(filter);
  const [idSet, nameSet, hostSet, ipSet] = [
    new Set(ids),
    new Set(names),
    new Set(hostnames),
    new Set(ipAddresses),
  ];
  const matched = store.liveIn(cluster, now).filter((entry) => {
    const { node, seen } = entry;
    return (
      idSet.has(node.id) ||
      nameSet.has(node.name) ||
      (seen.addressed && (hostSet.has(node.hostname) || ipSet.has(node.privateIp))) ||
      (predicate !== undefined && predicate(nodeRecord(entry)))
    );
  });
  const operation = store.newOperation(action, cluster, request.requestId, now);
  return applyToAll(matched, operation, (node) => applyAction(store, action, node, now));
}

/** Applies `apply` to `matched` as part of `operation`: the answer, with each node's result. */
export function applyToAll(
  matched: readonly LiveNode[],
  operation: Operation,
  apply: (node: NodeState) => string | undefined,
): NodeManagementResult {
  const nodes = matched.map(({ node }) => {
    operation.nodeIds.push(node.id);
    const error = apply(node);
    return {
      name: node.name,
      id: node.id,
      ...(error === undefined ? { status: "OK" } : { status: "Error", error }),
    };
  });
  return { operationId: operation.id, nodes };
}

/** Applies one management action to one node; returns the error text of an `Error` result. */
export function applyAction(
  store: NodeStore,
  action: NodeManagementAction,
  node: NodeState,
  now: number,
): string | undefined {
  const seen = observePhase(node.phase, now);
  const shutdown = node.attributes["ShutdownPolicy"] === "Deallocate" ? "deallocate" : "terminate";
  const effective = action === "shutdown" ? shutdown : action;
  const durationMs = store.timing.terminatingMs;
  switch (effective) {
    case "terminate":
    case "remove": {
      // "Nodes with the Fixed attribute set to true aren't removed on termination": terminate
      // leaves their record (Off); remove deletes them all the same.
      const keepRecord = effective === "terminate" && node.attributes["Fixed"] === true;
      if (seen.status === "Off") {
        if (!keepRecord) store.deleteNode(node);
      } else if (seen.status !== "Terminating") {
        node.phase = { kind: "terminating", since: now, durationMs, addressed: seen.addressed, keepRecord };
      } else if (node.phase.kind === "terminating" && node.phase.keepRecord === true && !keepRecord) {
        // remove while a Fixed node terminates: it goes when the termination completes.
        node.phase = { ...node.phase, keepRecord: false };
      }
      return undefined;
    }
    case "deallocate":
      if (seen.status === "Terminating") return `Node ${node.name} is terminating and cannot be deallocated`;
      if (seen.status !== "Stopping" && seen.status !== "Deallocated") {
        node.phase = { kind: "stopping", since: now, durationMs, addressed: seen.addressed };
      }
      return undefined;
    case "start":
      return start(store, node, seen, now);
  }
}

function start(store: NodeStore, node: NodeState, seen: NodeObservation, now: number): string | undefined {
  switch (seen.status) {
    case "Acquiring":
    case "Preparing":
    case "Ready":
      return undefined;
    case "Off":
    case "Deallocated": {
      if (node.standalone) {
        node.phase = store.startingPhase(now, undefined);
        return undefined;
      }
      // A deallocated node already holds its quota: only the count and core limits apply. An Off
      // (terminated Fixed) node gets a new VM, so its quota is checked too.
      const { cluster, nodearray, bucket, placementGroupId: placementGroup } = node;
      const placement = { cluster, nodearray, bucket, placementGroup };
      // CycleCloud does not apply the nodearray's limits when it starts a deallocated node (its
      // clients check them themselves); the bucket's, cluster's and placement group's still apply.
      const nodearrayLayer = `nodearray ${node.nodearray.name} max`;
      const limits = limitsAt(store.live(now), placement, REAL, seen.status === "Off").filter(
        (limit) => seen.status === "Off" || !limit.description.startsWith(nodearrayLayer),
      );
      const fit = fitUnder(limits);
      if (fit.fit < 1) {
        node.bucket.lastCapacityFailureAt = now;
        return `Cannot start node ${node.name}: ${fit.binding?.description ?? "no capacity"}`;
      }
      node.phase = store.startingPhase(now, undefined);
      return undefined;
    }
    default:
      return `Node ${node.name} cannot be started from status ${seen.status}`;
  }
}
