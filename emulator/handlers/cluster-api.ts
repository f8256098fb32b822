/**
 * Routing of the CycleCloud API, and the handlers of its read routes: cluster status, node lists
 * and operations. The writing routes are in node-creation.ts (create, scale), node-management.ts
 * and legacy-actions.ts.
 */
import {
  NODE_MANAGEMENT_ACTIONS,
  NodeCreationRequestSchema,
  NodeManagementRequestSchema,
} from "../../wire/schemas";
import type { ClusterStatus, NodeList, NodeManagementAction, OperationStatus } from "../../wire/schemas";
import { badRequest, EmulatorApiError, json, notFound, parseBody } from "../server/http-io";
import type { FaultRoute } from "../store/fault-queue";
import type { EmulatorResponse } from "../server/http-io";
import { createNodes, scale } from "./node-creation";
import { retryFailedNodes, terminateNode } from "./legacy-actions";
import { manageNodes } from "./node-management";
import { MAX_CONFIG_NODES, MAX_CORES } from "../config/limits";
import type { NodeStore } from "../store/node-store";
import { nodeRecord, operationStatus, renderClusterStatus } from "../store/wire-records";

/** What a handler gets from the request besides the path parameters. */
export interface ApiRequest {
  readonly query: URLSearchParams;
  readonly body: string;
  /** Set by a `maxAdded` fault: create and scale add at most this many nodes per set. */
  readonly maxAdded: number | undefined;
}

/** The outcome of routing one API request. */
export type ApiMatch =
  | {
      readonly kind: "route";
      readonly route: FaultRoute;
      readonly run: (request: ApiRequest) => EmulatorResponse;
    }
  | { readonly kind: "method-not-allowed"; readonly allow: "GET" | "POST" }
  | { readonly kind: "not-found" };

function isManagementAction(value: string): value is NodeManagementAction {
  return (NODE_MANAGEMENT_ACTIONS as readonly string[]).includes(value);
}

/** A query parameter that must be present at most once and not empty. */
function singleParam(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw badRequest(`Query parameter ${name} is given ${String(values.length)} times`);
  const value = values[0];
  if (value === "") throw badRequest(`Query parameter ${name} is empty`);
  return value;
}

function booleanParam(query: URLSearchParams, name: string): boolean {
  const value = singleParam(query, name) ?? "false";
  if (!/^(true|false)$/i.test(value)) {
    throw badRequest(`Query parameter ${name} must be true or false, not ${value}`);
  }
  return value.toLowerCase() === "true";
}

function countParam(query: URLSearchParams, name: string, max: number): number | undefined {
  const value = singleParam(query, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw badRequest(`Query parameter ${name} must be a non-negative integer, not ${value}`);
  }
  if (Number(value) > max) {
    throw badRequest(`Query parameter ${name} must be at most ${String(max)}, not ${value.slice(0, 40)}`);
  }
  return Number(value);
}

/**
 * The 8.x reference lists one error for create, scale and the management actions: 409 "Invalid
 * input" (400 only for the GET routes). So on those routes a request the emulator cannot read
 * (bad JSON, a body or query that does not match the wire format, an unsupported filter) is a 409,
 * with the same exception and message it would get as a 400 elsewhere.
 */
function asInvalidInput(run: () => EmulatorResponse): EmulatorResponse {
  try {
    return run();
  } catch (error) {
    if (error instanceof EmulatorApiError && error.status === 400) {
      throw new EmulatorApiError(409, error.exception, error.message, error.headers);
    }
    throw error;
  }
}

/** 202 with the `Location` of the operation, as every CycleCloud POST answers. */
function accepted(body: { operationId: string }): EmulatorResponse {
  return json(202, body, { Location: `/operations/${body.operationId}` });
}

function route(
  method: string,
  expected: "GET" | "POST",
  name: FaultRoute,
  run: (request: ApiRequest) => EmulatorResponse,
): ApiMatch {
  return method === expected
    ? { kind: "route", route: name, run }
    : { kind: "method-not-allowed", allow: expected };
}

/** A POST route that changes nodes: 202 with the operation's `Location`, unreadable input a 409. */
function change(
  method: string,
  name: FaultRoute,
  run: (request: ApiRequest) => { operationId: string },
): ApiMatch {
  return route(method, "POST", name, (request) => asInvalidInput(() => accepted(run(request))));
}

/**
 * Routes one request of the CycleCloud API. `segments` are the decoded path segments (no empty
 * ones, so a trailing slash does not matter).
 */
export function matchApiRoute(store: NodeStore, method: string, segments: readonly string[]): ApiMatch {
  if (segments[0] === "cloud") return matchLegacyRoute(store, method, segments);
  const [first, cluster, second, third, ...rest] = segments;
  if (first === "operations" && third === undefined) {
    const operationId = cluster;
    if (operationId === undefined) {
      return route(method, "GET", "operations", ({ query }) =>
        json(200, findOperations(store, singleParam(query, "request_id"))),
      );
    }
    if (second === undefined) {
      return route(method, "GET", "operations", () => json(200, getOperation(store, operationId)));
    }
    return { kind: "not-found" };
  }
  if (first !== "clusters" || cluster === undefined || rest.length > 0) return { kind: "not-found" };
  if (second === "status" && third === undefined) {
    return route(method, "GET", "status", ({ query }) =>
      json(200, clusterStatus(store, cluster, booleanParam(query, "nodes"))),
    );
  }
  if (second === "nodes" && third === undefined) {
    return route(method, "GET", "nodes", ({ query }) => {
      const operation = singleParam(query, "operation");
      const requestId = singleParam(query, "request_id");
      if (operation !== undefined && requestId !== undefined) {
        throw badRequest("Use either operation or request_id, not both");
      }
      return json(200, listNodes(store, cluster, { operation, requestId }));
    });
  }
  if (second === "nodes" && third === "create") {
    return change(method, "create", ({ body, maxAdded }) => {
      const request = parseBody(body, NodeCreationRequestSchema, "NodeCreationRequest");
      return createNodes(store, cluster, request, maxAdded);
    });
  }
  if (second === "nodes" && third !== undefined && isManagementAction(third)) {
    return change(method, third, ({ body }) => {
      const request = parseBody(body, NodeManagementRequestSchema, "NodeManagementRequest");
      return manageNodes(store, cluster, third, request);
    });
  }
  if (second === "scale" && third !== undefined) {
    return change(method, "scale", ({ query, maxAdded }) => {
      const totalNodeCount = countParam(query, "totalNodeCount", MAX_CONFIG_NODES);
      const totalCoreCount = countParam(query, "totalCoreCount", MAX_CORES);
      if ((totalNodeCount === undefined) === (totalCoreCount === undefined)) {
        throw badRequest("Give exactly one of the query parameters totalNodeCount and totalCoreCount");
      }
      const target =
        totalNodeCount !== undefined ? { totalNodeCount } : { totalCoreCount: totalCoreCount ?? 0 };
      return scale(store, { cluster, nodearray: third, target }, maxAdded);
    });
  }
  return { kind: "not-found" };
}

/** The legacy `/cloud/actions/{terminate_node|retry}/{cluster}` routes (see legacy-actions.ts). */
function matchLegacyRoute(store: NodeStore, method: string, segments: readonly string[]): ApiMatch {
  const [, actions, action, cluster, ...rest] = segments;
  if (actions !== "actions" || cluster === undefined || rest.length > 0) return { kind: "not-found" };
  if (action === "terminate_node") {
    return route(method, "POST", "terminate_node", ({ query, body }) =>
      json(200, terminateNode(store, cluster, query, body)),
    );
  }
  if (action === "retry") {
    return route(method, "POST", "retry", () => json(200, retryFailedNodes(store, cluster)));
  }
  return { kind: "not-found" };
}

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
  // The operation asked for (by request id first), and how the answer names it.
  const [operation, asked] =
    filter.requestId !== undefined
      ? [store.operationOfRequest(filter.requestId), `request id ${filter.requestId}`]
      : filter.operation !== undefined
        ? [store.operation(filter.operation), `operation id ${filter.operation}`]
        : [undefined, undefined];
  if (asked === undefined) return { nodes: live.map(nodeRecord) };
  if (operation?.cluster !== cluster.name) throw notFound(`No operation found for ${asked}`);
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
