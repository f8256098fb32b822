/**
 * The CycleCloud REST client: one typed method per endpoint, each building its request (path,
 * query, body), naming the wire schema of the answer and whether a repeat is safe. Sending,
 * timeouts and retries are `transport.ts`; reading answers is `response-parsing.ts`.
 */
import * as wire from "../../wire/schemas";
import type { NodeManagementRequest, NodeManagementResult } from "../../wire/schemas";
import { isUnknownRequestId } from "./errors";
import type { Answer } from "./response-parsing";
import type { ClientSettings } from "./settings";
import { Transport } from "./transport";

/** Which nodes `listNodes` returns: those of one operation, or of one create request id. */
export type ListNodesFilter =
  { operation: string; requestId?: never } | { requestId: string; operation?: never };

/** `scale` grows a nodearray up to a total, counted in nodes or in cores. */
export type ScaleTarget =
  { totalNodeCount: number; totalCoreCount?: never } | { totalCoreCount: number; totalNodeCount?: never };

/**
 * Typed client of the CycleCloud REST API: HTTP Basic authentication, TLS trust (`caCert`,
 * `insecure`), a timeout per attempt, retries of the requests that are safe to repeat, typed
 * errors, and every answer validated against the wire schemas.
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
  ): Promise<wire.ClusterStatus> {
    const search = query({ nodes: String(options.nodes ?? false) });
    return this.#get(`/clusters/${segment("cluster", cluster)}/status?${search}`, CLUSTER_STATUS);
  }

  /**
   * `GET /clusters/{cluster}/nodes`, optionally filtered by `?operation=ID` or `?request_id=ID`.
   * A request id the server never saw throws an `HttpError` for which `isUnknownRequestId` is true.
   */
  async listNodes(cluster: string, filter?: ListNodesFilter): Promise<wire.NodeList> {
    const { operation, requestId } = filter ?? {};
    if (operation !== undefined && requestId !== undefined) {
      throw new TypeError("listNodes: give either `operation` or `requestId`, not both");
    }
    const search =
      operation !== undefined
        ? `?${query({ operation })}`
        : requestId !== undefined
          ? `?${query({ request_id: requestId })}`
          : "";
    return this.#get(`/clusters/${segment("cluster", cluster)}/nodes${search}`, NODE_LIST);
  }

  /**
   * `POST /clusters/{cluster}/nodes/create`. Never retried, not even after a network error or a
   * 5xx: the request may have been carried out. Recover through the request id instead: a reused
   * `requestId` is answered 409, thrown as an `HttpError` with status 409.
   */
  async createNodes(cluster: string, request: wire.NodeCreationRequest): Promise<wire.NodeCreationResult> {
    const path = `/clusters/${segment("cluster", cluster)}/nodes/create`;
    return this.#transport.request({ method: "POST", path, body: request, ...CREATION, idempotent: false });
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
  async startNodes(cluster: string, request: wire.NodeManagementRequest): Promise<wire.NodeManagementResult> {
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
  async scale(cluster: string, nodearray: string, target: ScaleTarget): Promise<wire.NodeCreationResult> {
    const total =
      target.totalNodeCount === undefined
        ? { totalCoreCount: String(target.totalCoreCount) }
        : { totalNodeCount: String(target.totalNodeCount) };
    const path = `/clusters/${segment("cluster", cluster)}/scale/${segment("nodearray", nodearray)}?${query(total)}`;
    return this.#transport.request({ method: "POST", path, ...CREATION, idempotent: true });
  }

  /** `GET /operations/{id}`. An unknown id throws an `HttpError` (404). */
  async getOperation(id: string): Promise<wire.OperationStatus> {
    return this.#get(`/operations/${segment("id", id)}`, OPERATION);
  }

  /**
   * `GET /operations/?request_id=ID`: the operation of a create request id, or undefined if none
   * (an empty list, or the "No operation found for request id" error some servers answer instead).
   */
  async findOperationByRequestId(requestId: string): Promise<wire.OperationStatus | undefined> {
    const operations = await this.#get(`/operations/?${query({ request_id: requestId })}`, OPERATIONS).catch(
      (error: unknown) => {
        if (isUnknownRequestId(error)) return [];
        throw error;
      },
    );
    return operations[0];
  }

  #get<T>(path: string, answer: Answer<T>): Promise<T> {
    return this.#transport.request({ method: "GET", path, ...answer, idempotent: true });
  }

  #manageNodes(
    action: wire.NodeManagementAction,
    cluster: string,
    body: NodeManagementRequest,
  ): Promise<NodeManagementResult> {
    const path = `/clusters/${segment("cluster", cluster)}/nodes/${action}`;
    return this.#transport.request({ method: "POST", path, body, ...MANAGEMENT, idempotent: true });
  }
}

const CLUSTER_STATUS = { schema: wire.ClusterStatusSchema, expected: "ClusterStatus" };
const NODE_LIST = { schema: wire.NodeListSchema, expected: "NodeList" };
const CREATION = { schema: wire.NodeCreationResultSchema, expected: "NodeCreationResult" };
const MANAGEMENT = { schema: wire.NodeManagementResultSchema, expected: "NodeManagementResult" };
const OPERATION = { schema: wire.OperationStatusSchema, expected: "OperationStatus" };
const OPERATIONS = { schema: wire.OperationStatusListSchema, expected: "OperationStatus[]" };

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
