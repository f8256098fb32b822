/**
 * The CycleCloud REST client: every endpoint, Basic auth, TLS, per-attempt timeouts, retries and
 * typed errors. Over 400 lines because each endpoint's request and response validation lives here
 * beside the one transport they share; issue 10 (and issue 16's bounded reads) may split the
 * transport from the endpoints. Not touched by issue 15.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { z } from "zod";
import {
  ClusterStatusSchema,
  ErrorBodySchema,
  NodeCreationResultSchema,
  NodeListSchema,
  NodeManagementResultSchema,
  OperationStatusListSchema,
  OperationStatusSchema,
} from "../schemas";
import type {
  ClusterStatus,
  ErrorBody,
  NodeCreationRequest,
  NodeCreationResult,
  NodeList,
  NodeManagementAction,
  NodeManagementRequest,
  NodeManagementResult,
  OperationStatus,
} from "../schemas";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../version";
import { HttpError, NetworkError, ResponseValidationError, TimeoutError, isUnknownRequestId } from "./errors";
import { parseRetryAfter, retryDelay, shouldRetry } from "./retry";
import { resolveClientSettings } from "./settings";
import type { ClientSettings, FetchRequestInit, FetchResponse, ResolvedClientSettings } from "./settings";

/** Which nodes `listNodes` returns: those of one operation, or of one create request id. */
export type ListNodesFilter =
  { operation: string; requestId?: never } | { requestId: string; operation?: never };

/** `scale` grows a nodearray up to a total, counted in nodes or in cores. */
export type ScaleTarget =
  { totalNodeCount: number; totalCoreCount?: never } | { totalCoreCount: number; totalNodeCount?: never };

/** Sent as `X-Cycle-Client-Version` (CycleCloud's `NAME:VERSION` convention). */
export const CLIENT_VERSION_HEADER_VALUE = `${PACKAGE_NAME}:${PACKAGE_VERSION}`;

/** Most validation problems listed in one error message. */
const MAX_LISTED_PROBLEMS = 5;

interface RequestSpec<T> {
  method: "GET" | "POST";
  /** Path and query under the server root, segments already encoded. */
  path: string;
  body?: unknown;
  /** Schema of a 2xx body, and the wire type's name for messages. */
  schema: z.ZodType<T>;
  expected: string;
  /** Whether a POST may be repeated (GETs always may). */
  idempotent: boolean;
}

/**
 * Typed client of the CycleCloud REST API: HTTP Basic
 * authentication, TLS trust (`caCert`, `insecure`), a timeout per attempt, retries of the requests
 * that are safe to repeat, typed errors, and every answer validated against the wire schemas.
 */
export class CycleCloudClient {
  readonly #settings: ResolvedClientSettings;
  /** Kept private (and out of `util.inspect`): it is the password in base64. */
  readonly #authorization: string;
  readonly #agent: http.Agent;
  readonly #origin: string;

  constructor(settings: ClientSettings) {
    this.#settings = resolveClientSettings(settings);
    const { url, username, password, caCert, insecure } = this.#settings;
    this.#authorization = `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
    this.#origin = new URL(url).origin;
    // No keep-alive: a pooled socket the server is closing fails the next request with ECONNRESET,
    // and node creation is never retried. Calls are seconds apart, so reuse would save little.
    this.#agent = url.startsWith("https:")
      ? new https.Agent({
          keepAlive: false,
          rejectUnauthorized: !insecure,
          ...(caCert === undefined ? {} : { ca: caCert }),
        })
      : new http.Agent({ keepAlive: false });
    // Logged once per client, at construction.
    if (insecure && url.startsWith("https:")) {
      this.#log(
        `WARNING: TLS certificate verification is OFF for CycleCloud at ${this.#origin} (\`insecure: true\`): ` +
          "anyone on the network path can impersonate the server and capture the CycleCloud password. " +
          "Trust the server's certificate with `caCert` instead.",
      );
    }
    if (url.startsWith("http:") && !isLoopback(new URL(url).hostname)) {
      this.#log(
        `WARNING: CycleCloud at ${this.#origin} is reached over plain http: the password travels unencrypted. ` +
          "Use an https `url`.",
      );
    }
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
    return this.#request({
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
    return this.#request({
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
    return this.#request({
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
    return this.#request({
      method: "POST",
      path: `/clusters/${segment("cluster", cluster)}/scale/${segment("nodearray", nodearray)}?${query(total)}`,
      schema: NodeCreationResultSchema,
      expected: "NodeCreationResult",
      idempotent: true,
    });
  }

  /** `GET /operations/{id}`. An unknown id throws an `HttpError` (404). */
  async getOperation(id: string): Promise<OperationStatus> {
    return this.#request({
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
    const operations = await this.#request({
      method: "GET",
      path: `/operations/?${query({ request_id: requestId })}`,
      schema: OperationStatusListSchema,
      expected: "OperationStatus[]",
      idempotent: true,
    }).catch((error: unknown) => {
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
    return this.#request({
      method: "POST",
      path: `/clusters/${segment("cluster", cluster)}/nodes/${action}`,
      body: request,
      schema: NodeManagementResultSchema,
      expected: "NodeManagementResult",
      idempotent: true,
    });
  }

  async #request<T>(spec: RequestSpec<T>): Promise<T> {
    const { retries, retryBaseDelayMs, retryMaxDelayMs } = this.#settings;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(spec);
      } catch (error) {
        if (
          !shouldRetry({
            method: spec.method,
            idempotent: spec.idempotent,
            error,
            attempt,
            maxRetries: retries,
          })
        ) {
          throw error;
        }
        const delayMs = retryDelay(attempt, {
          baseMs: retryBaseDelayMs,
          maxMs: retryMaxDelayMs,
          retryAfterMs: error instanceof HttpError ? error.retryAfterMs : undefined,
        });
        // `shouldRetry` only accepts the client's own errors, whose messages are safe to log.
        const reason = error instanceof Error ? error.message : String(error);
        this.#log(`${reason}; retrying in ${delayMs} ms (retry ${attempt} of ${retries})`);
        await sleep(delayMs);
      }
    }
  }

  /** One attempt: send, read the whole body within `timeoutMs`, then check status and body. */
  async #attempt<T>(spec: RequestSpec<T>): Promise<T> {
    const { method, path } = spec;
    const { timeoutMs } = this.#settings;
    const headers: Record<string, string> = {
      Authorization: this.#authorization,
      Accept: "application/json",
      "User-Agent": `${PACKAGE_NAME}/${PACKAGE_VERSION}`,
      "X-Cycle-Client-Version": CLIENT_VERSION_HEADER_VALUE,
    };
    const controller = new AbortController();
    const init: FetchRequestInit = {
      method,
      headers,
      signal: controller.signal,
      agent: this.#agent,
      // A redirect is reported, not followed: following it would resend the credentials elsewhere.
      redirect: "manual",
    };
    if (spec.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(spec.body);
    }
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: FetchResponse;
    let text: string;
    try {
      response = await this.#settings.fetch(`${this.#settings.url}${path}`, init);
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw new TimeoutError({ method, path, timeoutMs });
      }
      throw new NetworkError({ method, path, origin: this.#origin, cause: error });
    } finally {
      clearTimeout(timer);
    }
    const contentType = response.headers.get("content-type") ?? undefined;
    if (response.status < 200 || response.status > 299) {
      throw this.#httpError(spec, response, text, contentType);
    }
    return parseBody(spec, response.status, text, contentType);
  }

  #httpError(
    spec: RequestSpec<unknown>,
    response: FetchResponse,
    text: string,
    contentType: string | undefined,
  ): HttpError {
    const body = parseErrorBody(text);
    const location = response.headers.get("location");
    return new HttpError({
      method: spec.method,
      path: spec.path,
      status: response.status,
      statusText: response.statusText,
      body,
      serverMessage: body?.Message ?? plainTextMessage(text, contentType),
      contentType,
      redirectOrigin:
        response.status >= 300 && response.status < 400 && location !== null
          ? originOf(location, this.#settings.url)
          : undefined,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), Date.now()),
    });
  }

  #log(line: string): void {
    this.#settings.logger?.(line);
  }
}

/**
 * An encoded path segment; an empty one would silently address another endpoint. The public
 * methods are `async`, so this reaches the caller as a rejection, not a synchronous throw.
 */
function segment(name: string, value: string): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`\`${name}\` must be a non-empty string`);
  }
  return encodeURIComponent(value);
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Scheme, host and port of a `Location`, without credentials, path or query. */
function originOf(location: string, base: string): string | undefined {
  try {
    return new URL(location, base).origin;
  } catch {
    return undefined;
  }
}

function parseErrorBody(text: string): ErrorBody | undefined {
  const json = parseJson(text);
  if (json === undefined) {
    return undefined;
  }
  const result = ErrorBodySchema.safeParse(json.value);
  return result.success ? result.data : undefined;
}

/** The start of a plain-text error body, on one line; nothing for empty, HTML or JSON bodies. */
function plainTextMessage(text: string, contentType: string | undefined): string | undefined {
  const line = text.replace(/\s+/g, " ").trim();
  if (line === "" || contentType?.includes("html") === true || line.startsWith("<") || line.startsWith("{")) {
    return undefined;
  }
  return truncate(line, 300);
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function parseBody<T>(
  spec: RequestSpec<T>,
  status: number,
  text: string,
  contentType: string | undefined,
): T {
  const fail = (problems: readonly string[]) =>
    new ResponseValidationError({
      method: spec.method,
      path: spec.path,
      status,
      expected: spec.expected,
      problems,
    });
  const json = parseJson(text);
  if (json === undefined) {
    const got =
      text.trim() === ""
        ? "an empty body"
        : `${contentType ?? "a body without Content-Type"} starting ${JSON.stringify(truncate(text.replace(/\s+/g, " ").trim(), 60))}`;
    throw fail([`expected JSON, got ${got}; check that \`url\` points at the CycleCloud server`]);
  }
  const result = spec.schema.safeParse(json.value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, json.value));
    const extra = problems.length - MAX_LISTED_PROBLEMS;
    throw fail(extra > 0 ? [...problems.slice(0, MAX_LISTED_PROBLEMS), `and ${extra} more`] : problems);
  }
  return result.data;
}

/** `nodes[2].NodeId: expected string, got number`. */
function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const where = issue.path.length === 0 ? "(root)" : formatPath(issue.path);
  if (issue.code === "invalid_type") {
    const expected = issue.expected === "int" ? "integer" : issue.expected;
    const actual = valueAt(root, issue.path);
    if (actual === undefined) {
      return `${where}: expected ${expected}, but it is missing`;
    }
    const got = expected === "integer" && typeof actual === "number" ? String(actual) : typeName(actual);
    return `${where}: expected ${expected}, got ${got}`;
  }
  return `${where}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === "number") {
        return `[${key}]`;
      }
      const name = String(key);
      if (/^[A-Za-z_$][\w$]*$/.test(name)) {
        return index === 0 ? name : `.${name}`;
      }
      return `[${JSON.stringify(name)}]`;
    })
    .join("");
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null) {
      return undefined;
    }
    value = Reflect.get(value, key);
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "array";
  }
  return typeof value;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}...` : text;
}
