/**
 * The CycleCloud REST client: one typed method per endpoint, each building its request (path,
 * query, body), naming the wire schema of the answer and whether a repeat is safe. Sending,
 * timeouts and retries are `transport.ts`; reading answers is `response-parsing.ts`.
 */
import {
  ClusterStatusSchema,
  NodeCreationResultSchema,
  NodeListSchema,
  NodeManagementResultSchema,
  OperationStatusListSchema,
  OperationStatusSchema,
} from "../../wire/schemas";
import type {
  ClusterStatus,
  NodeCreationRequest,
  NodeCreationResult,
  NodeList,
  NodeManagementAction,
  NodeManagementRequest,
  NodeManagementResult,
  OperationStatus,
} from "../../wire/schemas";
import { isUnknownRequestId } from "./errors";
import type { ClientSettings } from "./settings";
import { Transport } from "./transport";

export { CLIENT_VERSION_HEADER_VALUE } from "./transport";

/** Which nodes `listNodes` returns: those of one operation, or of one create request id. */
export type ListNodesFilter =
  { operation: string; requestId?: never } | { requestId: string; operation?: never };

/** `scale` grows a nodearray up to a total, counted in nodes or in cores. */
export type ScaleTarget =
  { totalNodeCount: number; totalCoreCount?: never } | { totalCoreCount: number; totalNodeCount?: never };

/**
 * Typed client of the CycleCloud REST API: HTTP Basic
 * authentication, TLS trust (`caCert`, `insecure`), a timeout per attempt, retries of the requests
 * that are safe to repeat, typed errors, and every answer validated against the wire schemas.
 */
export class CycleCloudClient {
  readonly #transport: Transport;

  constructor(settings: ClientSettings) {
    this.#transport = new Transport(settings);
  }

  /**
   * `GET /clusters/{cluster}/status?nodes=true|false`. `nodes` is always sent explicitly (the
   * server's default is undocumented); with `nodes: true` the answer includes `nodes[]` and each
   * bucket's `activeNodes[]`.
   */
  async getClusterStatus(
    cluster: string,
    options: { nodes?: boolean | undefined } = {},
  ): Promise<ClusterStatus> {
    const nodes = options.nodes ?? false;
    return this.#transport.request({
      method: "GET",
      path: `/clusters/${segment("cluster", cluster)}/status?${query({ nodes: String(nodes) })}`,
      schema: ClusterStatusSchema,
      expected: "ClusterStatus",
      idempotent: true,
    });
  }

  /**
   * `GET /clusters/{cluster}/nodes`, optionally filtered by `?operation=ID` or `?request_id=ID`.
   * A request id the server never saw throws an `HttpError` for which `isUnknownRequestId` is true.
   */
  async listNodes(cluster: string, filter?: ListNodesFilter): Promise<NodeList> {
    let search = "";
    if (filter?.operation !== undefined && filter.requestId !== undefined) {
      throw new TypeError("listNodes: give either `operation` or `requestId`, not both");
    } else if (filter?.operation !== undefined) {
      search = `?${query({ operation: filter.operation })}`;
    } else if (filter?.requestId !== undefined) {
      search = `?${query({ request_id: filter.requestId })}`;
    }
    return this.#transport.request({
      method: "GET",
      path: `/clusters/${segment("cluster", cluster)}/nodes${search}`,
      schema: NodeListSchema,
      expected: "NodeList",
      idempotent: true,
    });
  }

  /**
   * `POST /clusters/{cluster}/nodes/create`. Never retried, not even after a network error or a
   * 5xx: the request may have been carried out. Recover through the request id instead: a reused
   * `requestId` is answered 409, thrown as an `HttpError` with status 409.
   */
  async createNodes(cluster: string, request: NodeCreationRequest): Promise<NodeCreationResult> {
    return this.#transport.request({
      method: "POST",
      path: `/clusters/${segment("cluster", cluster)}/nodes/create`,
      body: request,
      schema: NodeCreationResultSchema,
      expected: "NodeCreationResult",
      idempotent: false,
    });
  }

  /** `POST /clusters/{cluster}/nodes/terminate`. Retried: acting on the same nodes twice is harmless. */
  async terminateNodes(cluster: string, request: NodeManagementRequest): Promise<NodeManagementResult> {
    return this.#manageNodes("terminate", cluster, request);
  }

  /** `POST /clusters/{cluster}/nodes/deallocate`. Retried. */
  async deallocateNodes(cluster: string, request: NodeManagementRequest): Promise<NodeManagementResult> {
    return this.#manageNodes("deallocate", cluster, request);
  }

  /** `POST /clusters/{cluster}/nodes/start`: starts deallocated or terminated nodes. Retried. */
  async startNodes(cluster: string, request: NodeManagementRequest): Promise<NodeManagementResult> {
    return this.#manageNodes("start", cluster, request);
  }

  /** `POST /clusters/{cluster}/nodes/shutdown`: terminate or deallocate per node's `ShutdownPolicy`. Retried. */
  async shutdownNodes(cluster: string, request: NodeManagementRequest): Promise<NodeManagementResult> {
    return this.#manageNodes("shutdown", cluster, request);
  }

  /** `POST /clusters/{cluster}/nodes/remove`: terminate and drop the records. Retried. */
  async removeNodes(cluster: string, request: NodeManagementRequest): Promise<NodeManagementResult> {
    return this.#manageNodes("remove", cluster, request);
  }

  /**
   * `POST /clusters/{cluster}/scale/{nodearray}?totalNodeCount=N` (or `totalCoreCount=N`): adds
   * nodes up to the total. Retried: the target is a total, so a repeat adds nothing more.
   */
  async scale(cluster: string, nodearray: string, target: ScaleTarget): Promise<NodeCreationResult> {
    const total =
      target.totalNodeCount === undefined
        ? { totalCoreCount: String(target.totalCoreCount) }
        : { totalNodeCount: String(target.totalNodeCount) };
    return this.#transport.request({
      method: "POST",
      path: `/clusters/${segment("cluster", cluster)}/scale/${segment("nodearray", nodearray)}?${query(total)}`,
      schema: NodeCreationResultSchema,
      expected: "NodeCreationResult",
      idempotent: true,
    });
  }

  /** `GET /operations/{id}`. An unknown id throws an `HttpError` (404). */
  async getOperation(id: string): Promise<OperationStatus> {
    return this.#transport.request({
      method: "GET",
      path: `/operations/${segment("id", id)}`,
      schema: OperationStatusSchema,
      expected: "OperationStatus",
      idempotent: true,
    });
  }

  /**
   * `GET /operations/?request_id=ID`: the operation of a create request id, or undefined if none
   * (an empty list, or the "No operation found for request id" error some servers answer instead).
   */
  async findOperationByRequestId(requestId: string): Promise<OperationStatus | undefined> {
    const operations = await this.#transport
      .request({
        method: "GET",
        path: `/operations/?${query({ request_id: requestId })}`,
        schema: OperationStatusListSchema,
        expected: "OperationStatus[]",
        idempotent: true,
      })
      .catch((error: unknown) => {
        if (isUnknownRequestId(error)) {
          return [];
        }
        throw error;
      });
    return operations[0];
  }

  #manageNodes(
    action: NodeManagementAction,
    cluster: string,
    request: NodeManagementRequest,
  ): Promise<NodeManagementResult> {
    return this.#transport.request({
      method: "POST",
      path: `/clusters/${segment("cluster", cluster)}/nodes/${action}`,
      body: request,
      schema: NodeManagementResultSchema,
      expected: "NodeManagementResult",
      idempotent: true,
    });
  }
}

/**
 * An encoded path segment; an empty one would silently address another endpoint, and `.` or `..`
 * (which `encodeURIComponent` leaves as they are) would be resolved by URL normalisation: `..` as
 * a cluster sends `GET /status` to the API root. The public methods are `async`, so this reaches
 * the caller as a rejection, not a synchronous throw, before any request.
 */
function segment(name: string, value: string): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`\`${name}\` must be a non-empty string`);
  }
  if (value === "." || value === "..") {
    throw new TypeError(
      `\`${name}\` must not be ${JSON.stringify(value)}: as a URL path segment it addresses another endpoint`,
    );
  }
  return encodeURIComponent(value);
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}
