import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  HttpError,
  NetworkError,
  ResponseValidationError,
  TimeoutError,
  isUnknownRequestId,
} from "../../provider/client";
import type { CycleCloudClient } from "../../provider/client";
import type { NodeManagementResult } from "../../wire/schemas";
import { nodeRecordProblems } from "../../wire/schemas";
import { BUCKET, CLUSTER_STATUS, NODE_MANAGEMENT_RESULT, NODEARRAY } from "../reference/records";
import {
  AUTHORIZATION,
  BASE_URL,
  acquiringNode,
  clusterStatus79,
  createOperation,
  makeClient,
  readyNode,
} from "./fixtures";

const JSON_HEADERS = { "Content-Type": "application/json" };

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

/** nock scope that only matches requests carrying the client's headers. */
function api(extraHeaders: Record<string, string> = {}): nock.Scope {
  return nock(BASE_URL, {
    reqheaders: {
      authorization: AUTHORIZATION,
      accept: "application/json",
      "x-cycle-client-version": "pulumi-cyclecloud:0.1.0",
      "user-agent": "pulumi-cyclecloud/0.1.0",
      ...extraHeaders,
    },
  });
}

/** Scope for GETs: no body, so no Content-Type. */
function getApi(): nock.Scope {
  return nock(BASE_URL, {
    reqheaders: { authorization: AUTHORIZATION, "x-cycle-client-version": "pulumi-cyclecloud:0.1.0" },
    badheaders: ["content-type"],
  });
}

/** Scope for POSTs with a JSON body. */
function postApi(): nock.Scope {
  return api({ "content-type": "application/json" });
}

/** The rejection of `promise`, which must reject with an instance of `type`. */
async function rejectionOf<T>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) {
    throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  }
  expect(outcome.error).toBeInstanceOf(type);
  if (!(outcome.error instanceof type)) {
    throw outcome.error;
  }
  return outcome.error;
}

const managementResult: NodeManagementResult = {
  operationId: "15aaa844-abcd-1234-9591-8904c546028d",
  nodes: [{ name: "ondemand-1", id: "62a1b116-abcd-1234-b290-b54ea23f1b68", status: "OK" }],
};

describe("CycleCloudClient requests", () => {
  it("gets the cluster status with nodes=false sent explicitly and returns the parsed body", async () => {
    const scope = api().get("/clusters/hpc/status").query({ nodes: "false" }).reply(200, clusterStatus79);
    const { client } = makeClient();

    await expect(client.getClusterStatus("hpc")).resolves.toStrictEqual(clusterStatus79);
    scope.done();
  });

  it("asks for nodes=true and returns the cluster's nodes", async () => {
    const body = { ...clusterStatus79, nodes: [readyNode, acquiringNode] };
    const scope = getApi().get("/clusters/hpc/status").query({ nodes: "true" }).reply(200, body);
    const { client } = makeClient();

    await expect(client.getClusterStatus("hpc", { nodes: true })).resolves.toStrictEqual(body);
    scope.done();
  });

  it("encodes the cluster name as one path segment", async () => {
    const scope = getApi()
      .get("/clusters/my%20cluster%2Fa/status")
      .query({ nodes: "false" })
      .reply(200, clusterStatus79);
    const { client } = makeClient();

    await expect(client.getClusterStatus("my cluster/a")).resolves.toStrictEqual(clusterStatus79);
    scope.done();
  });

  it("keeps a path prefix of `url`", async () => {
    const scope = nock("https://example.com", { reqheaders: { authorization: AUTHORIZATION } })
      .get("/cyclecloud/clusters/hpc/nodes")
      .reply(200, { nodes: [] });
    const { client } = makeClient({ url: "https://example.com/cyclecloud/" });

    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [] });
    scope.done();
  });

  it("lists every node of a cluster when no filter is given", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .query({})
      .reply(200, { nodes: [readyNode, acquiringNode] });
    const { client } = makeClient();

    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [readyNode, acquiringNode] });
    scope.done();
  });

  it("lists the nodes of a create request with the snake_case request_id parameter", async () => {
    const body = { nodes: [readyNode], operation: createOperation };
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .query({ request_id: "463270ca-abcd-1234-98d6-431ee3ef8ed5" })
      .reply(200, body);
    const { client } = makeClient();

    await expect(
      client.listNodes("hpc", { requestId: "463270ca-abcd-1234-98d6-431ee3ef8ed5" }),
    ).resolves.toStrictEqual(body);
    scope.done();
  });

  it("lists the nodes of an operation", async () => {
    const body = { nodes: [acquiringNode], operation: createOperation };
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .query({ operation: "3b53d621-abcd-1234-8876-6ec1158897ac" })
      .reply(200, body);
    const { client } = makeClient();

    await expect(
      client.listNodes("hpc", { operation: "3b53d621-abcd-1234-8876-6ec1158897ac" }),
    ).resolves.toStrictEqual(body);
    scope.done();
  });

  it("creates nodes by posting the request as JSON", async () => {
    const request = {
      requestId: "463270ca-abcd-1234-98d6-431ee3ef8ed5",
      sets: [
        {
          count: 4,
          nodearray: "ondemand",
          placementGroupId: "pg0",
          definition: { machineType: "Standard_Hc44rs" },
        },
      ],
    };
    const result = { operationId: "3b53d621-abcd-1234-8876-6ec1158897ac", sets: [{ added: 4 }] };
    const scope = postApi().post("/clusters/hpc/nodes/create", request).reply(202, result, {
      Location: "/operations/3b53d621-abcd-1234-8876-6ec1158897ac",
    });
    const { client } = makeClient();

    await expect(client.createNodes("hpc", request)).resolves.toStrictEqual(result);
    scope.done();
  });

  it("returns the per-set message when fewer nodes were added than asked", async () => {
    const result = {
      operationId: "3b53d621-abcd-1234-8876-6ec1158897ac",
      sets: [{ added: 1, message: "Only 1 of 4 could be added: insufficient quota" }],
    };
    const scope = postApi()
      .post("/clusters/hpc/nodes/create", { sets: [{ count: 4, nodearray: "ondemand" }] })
      .reply(202, result);
    const { client } = makeClient();

    await expect(
      client.createNodes("hpc", { sets: [{ count: 4, nodearray: "ondemand" }] }),
    ).resolves.toStrictEqual(result);
    scope.done();
  });

  const managementCalls = [
    ["terminate", (client: CycleCloudClient) => client.terminateNodes("hpc", { ids: [readyNode.NodeId] })],
    ["deallocate", (client: CycleCloudClient) => client.deallocateNodes("hpc", { ids: [readyNode.NodeId] })],
    ["start", (client: CycleCloudClient) => client.startNodes("hpc", { ids: [readyNode.NodeId] })],
    ["shutdown", (client: CycleCloudClient) => client.shutdownNodes("hpc", { ids: [readyNode.NodeId] })],
    ["remove", (client: CycleCloudClient) => client.removeNodes("hpc", { ids: [readyNode.NodeId] })],
  ] as const;

  it.each(managementCalls)("posts %s with the node ids as JSON", async (action, call) => {
    const scope = postApi()
      .post(`/clusters/hpc/nodes/${action}`, { ids: [readyNode.NodeId] })
      .reply(202, managementResult);
    const { client } = makeClient();

    await expect(call(client)).resolves.toStrictEqual(managementResult);
    scope.done();
  });

  it("sends every selector of a management request as given, snake_case ip_addresses included", async () => {
    const request = {
      names: ["ondemand-1"],
      hostnames: ["ip-0a000004"],
      ip_addresses: ["10.0.0.4"],
      filter: 'State === "Started"',
      requestId: "terminate-1",
    };
    const result = {
      operationId: "15aaa844-abcd-1234-9591-8904c546028d",
      nodes: [{ name: "ondemand-1", id: readyNode.NodeId, status: "Error", error: "Node is locked" }],
    };
    const scope = postApi().post("/clusters/hpc/nodes/terminate", request).reply(202, result);
    const { client } = makeClient();

    await expect(client.terminateNodes("hpc", request)).resolves.toStrictEqual(result);
    scope.done();
  });

  it("scales a nodearray to a total node count, without a body", async () => {
    const result = { operationId: "op-scale-1", sets: [{ added: 2 }] };
    const scope = api()
      .post("/clusters/hpc/scale/ondemand", (body) => body === "")
      .query({ totalNodeCount: "5" })
      .matchHeader("content-type", (value: string | undefined) => value === undefined)
      .reply(202, result);
    const { client } = makeClient();

    await expect(client.scale("hpc", "ondemand", { totalNodeCount: 5 })).resolves.toStrictEqual(result);
    scope.done();
  });

  it("scales a nodearray to a total core count", async () => {
    const result = { operationId: "op-scale-2", sets: [{ added: 1 }] };
    const scope = api()
      .post("/clusters/hpc/scale/ondemand")
      .query({ totalCoreCount: "88" })
      .reply(202, result);
    const { client } = makeClient();

    await expect(client.scale("hpc", "ondemand", { totalCoreCount: 88 })).resolves.toStrictEqual(result);
    scope.done();
  });

  it("gets an operation by id", async () => {
    const scope = getApi()
      .get("/operations/3b53d621-abcd-1234-8876-6ec1158897ac")
      .reply(200, createOperation);
    const { client } = makeClient();

    await expect(client.getOperation("3b53d621-abcd-1234-8876-6ec1158897ac")).resolves.toStrictEqual(
      createOperation,
    );
    scope.done();
  });

  it("finds the operation of a request id", async () => {
    const scope = getApi()
      .get("/operations/")
      .query({ request_id: "463270ca-abcd-1234-98d6-431ee3ef8ed5" })
      .reply(200, [createOperation]);
    const { client } = makeClient();

    await expect(
      client.findOperationByRequestId("463270ca-abcd-1234-98d6-431ee3ef8ed5"),
    ).resolves.toStrictEqual(createOperation);
    scope.done();
  });

  it("finds no operation for a request id the server answers with an empty list", async () => {
    const scope = getApi().get("/operations/").query({ request_id: "never-used" }).reply(200, []);
    const { client } = makeClient();

    await expect(client.findOperationByRequestId("never-used")).resolves.toBe(undefined);
    scope.done();
  });

  it("warns once that a plain http url to another machine sends the password unencrypted", () => {
    const remote = makeClient({ url: "http://cyclecloud.example.com:8080" });
    const lookalike = makeClient({ url: "http://127.example.com:8080" });
    const local = ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"].map((url) =>
      makeClient({ url }),
    );

    expect(remote.lines).toStrictEqual([
      "WARNING: CycleCloud at http://cyclecloud.example.com:8080 is reached over plain http: " +
        "the password travels unencrypted. Use an https `url`.",
    ]);
    expect(lookalike.lines).toStrictEqual([
      "WARNING: CycleCloud at http://127.example.com:8080 is reached over plain http: " +
        "the password travels unencrypted. Use an https `url`.",
    ]);
    expect(local.map(({ lines }) => lines)).toStrictEqual([[], [], []]);
  });

  it("finds no operation when the server answers that it knows no such request id", async () => {
    const scope = getApi()
      .get("/operations/")
      .query({ request_id: "never-used" })
      .reply(404, { Message: "No operation found for request id never-used" });
    const { client } = makeClient();

    await expect(client.findOperationByRequestId("never-used")).resolves.toBe(undefined);
    scope.done();
  });

  it("passes on other errors of an operation lookup", async () => {
    const scope = getApi()
      .get("/operations/")
      .query({ request_id: "r-1" })
      .reply(403, { Message: "Forbidden for user admin" });
    const { client } = makeClient();

    await expect(client.findOperationByRequestId("r-1")).rejects.toThrow(
      "CycleCloud answered 403 to GET /operations/?request_id=r-1: Forbidden for user admin",
    );
    scope.done();
  });

  it("rejects an empty cluster name without sending anything", async () => {
    const { client } = makeClient();

    await expect(client.listNodes("")).rejects.toThrow(new TypeError("`cluster` must be a non-empty string"));
  });
});

describe("CycleCloudClient response bodies", () => {
  it("ignores unknown extra fields and accepts absent optional 8.x fields", async () => {
    const [nodearray] = clusterStatus79.nodearrays;
    const [bucket] = nodearray?.buckets ?? [];
    const withExtras = {
      ...clusterStatus79,
      futureTopLevel: { anything: true },
      nodearrays: [
        {
          ...nodearray,
          futureNodearrayField: 1,
          buckets: [
            { ...bucket, futureBucketField: "x", virtualMachine: { ...bucket?.virtualMachine, tpm: true } },
          ],
        },
      ],
    };
    const expected = { ...clusterStatus79, nodearrays: [{ ...nodearray, buckets: [bucket] }] };
    const scope = getApi().get("/clusters/hpc/status").query({ nodes: "false" }).reply(200, withExtras);
    const { client } = makeClient();

    await expect(client.getClusterStatus("hpc")).resolves.toStrictEqual(expected);
    scope.done();
  });

  it("keeps the optional 8.x fields when the server sends them", async () => {
    const [nodearray] = clusterStatus79.nodearrays;
    const [bucket] = nodearray?.buckets ?? [];
    const bucket8 = {
      ...bucket,
      familyQuotaCount: 20,
      familyQuotaCoreCount: 880,
      familyConsumedCoreCount: 44,
      regionalQuotaCount: 100,
      regionalQuotaCoreCount: 4400,
      regionalConsumedCoreCount: 88,
      lastCapacityFailure: -1,
      virtualMachine: {
        vcpuCount: 32,
        memory: 64,
        infiniband: false,
        pcpuCount: 16,
        gpuCount: 0,
        vcpuQuotaCount: 32,
      },
    };
    const body = {
      ...clusterStatus79,
      nodearrays: [{ ...nodearray, nodearray: { Region: "eastus" }, buckets: [bucket8] }],
    };
    const scope = getApi().get("/clusters/hpc/status").query({ nodes: "false" }).reply(200, body);
    const { client } = makeClient();

    await expect(client.getClusterStatus("hpc")).resolves.toStrictEqual(body);
    scope.done();
  });

  it("keeps node records it cannot read apart instead of failing the whole listing", async () => {
    const headNode = {
      Name: "scheduler",
      NodeId: "head-1",
      Template: "scheduler",
      Status: "Started",
      Hostname: null,
    };
    const offHead = { Name: "proxy", NodeId: "head-2", Template: "proxy", Status: "Off" };
    const noNodeId = { Name: "login-1", Template: "login", Status: "Ready" };
    const oddTypes = { ...readyNode, NodeId: 12, Status: ["Ready"] };
    const body = { nodes: [readyNode, headNode, noNodeId, acquiringNode, oddTypes, offHead, "not a record"] };
    const scope = getApi().get("/clusters/hpc/nodes").reply(200, body);
    const { client } = makeClient();

    const list = await client.listNodes("hpc");

    expect(list.nodes.map((n) => [n.Name, n.Template, n.Status])).toStrictEqual([
      ["ondemand-1", "ondemand", "Ready"],
      ["scheduler", "scheduler", "Started"],
      ["ondemand-2", "ondemand", "Acquiring"],
      ["proxy", "proxy", "Off"],
    ]);
    expect(list.unparsedNodes).toStrictEqual([noNodeId, oddTypes, "not a record"]);
    expect(nodeRecordProblems(oddTypes)).toStrictEqual([
      "NodeId: expected string, got number",
      "Status: expected string, got array",
    ]);
    expect(nodeRecordProblems(noNodeId)).toStrictEqual(["NodeId: expected string, but it is missing"]);
    scope.done();
  });

  it("keeps the status's unreadable node records apart too, and accepts activeNodes as names", async () => {
    const [ondemand] = clusterStatus79.nodearrays;
    const body = {
      ...clusterStatus79,
      nodearrays: [
        {
          ...ondemand,
          buckets: (ondemand?.buckets ?? []).map((b, i) =>
            i === 1 ? { ...b, activeNodes: ["ondemand-1"] } : b,
          ),
        },
      ],
      nodes: [readyNode, { Name: "scheduler", Template: "scheduler", Status: "Started" }],
    };
    const scope = getApi().get("/clusters/hpc/status").query({ nodes: "true" }).reply(200, body);
    const { client } = makeClient();

    const status = await client.getClusterStatus("hpc", { nodes: true });

    expect(status.nodes?.map((n) => n.Name)).toStrictEqual(["ondemand-1"]);
    expect(status.unparsedNodes).toStrictEqual([
      { Name: "scheduler", Template: "scheduler", Status: "Started" },
    ]);
    expect(status.nodearrays[0]?.buckets[1]?.activeNodes).toStrictEqual(["ondemand-1"]);
    scope.done();
  });

  it("reads the minimal records of the reference: no state, no bucket definition, no node status", async () => {
    // The reference's minimal records (test/reference/records.ts), nested into one status.
    const status = { ...CLUSTER_STATUS, nodearrays: [{ ...NODEARRAY, buckets: [BUCKET] }] };
    const result = NODE_MANAGEMENT_RESULT;
    const scope = getApi().get("/clusters/hpc/status").query({ nodes: "false" }).reply(200, status);
    postApi()
      .post("/clusters/hpc/nodes/terminate", { ids: ["id1"] })
      .reply(202, result);
    const { client } = makeClient();

    await expect(client.getClusterStatus("hpc")).resolves.toStrictEqual(status);
    await expect(client.terminateNodes("hpc", { ids: ["id1"] })).resolves.toStrictEqual(result);
    scope.done();
  });

  it("throws a ResponseValidationError naming the JSON path of a bad field", async () => {
    const body = { nodes: [readyNode, acquiringNode], operation: { action: "create", startTime: 5 } };
    const scope = getApi().get("/clusters/hpc/nodes").reply(200, body);
    const { client } = makeClient();

    const error = await rejectionOf(client.listNodes("hpc"), ResponseValidationError);

    expect(error.toJSON()).toStrictEqual({
      name: "ResponseValidationError",
      message:
        "CycleCloud answered 200 to GET /clusters/hpc/nodes but the body is not a valid NodeList: " +
        "operation.startTime: expected string, got number",
      method: "GET",
      path: "/clusters/hpc/nodes",
      status: 200,
      expected: "NodeList",
      problems: ["operation.startTime: expected string, got number"],
    });
    scope.done();
  });

  it("names missing and mistyped fields together", async () => {
    const scope = postApi()
      .post("/clusters/hpc/nodes/terminate", { ids: ["a"] })
      .reply(202, { nodes: [{ id: "a", name: "n", status: "OK", error: 5 }] });
    const { client } = makeClient();

    await expect(client.terminateNodes("hpc", { ids: ["a"] })).rejects.toThrow(
      new ResponseValidationError({
        method: "POST",
        path: "/clusters/hpc/nodes/terminate",
        status: 202,
        expected: "NodeManagementResult",
        problems: [
          "operationId: expected string, but it is missing",
          "nodes[0].error: expected string, got number",
        ],
      }),
    );
    scope.done();
  });

  it("says an HTML page is not JSON, and does not retry it", async () => {
    const scope = getApi()
      .get("/clusters/hpc/status")
      .query({ nodes: "false" })
      .reply(200, "<html>\n<head><title>Sign in</title></head></html>", { "Content-Type": "text/html" });
    const { client, lines } = makeClient();

    const error = await rejectionOf(client.getClusterStatus("hpc"), ResponseValidationError);

    expect(error.message).toBe(
      "CycleCloud answered 200 to GET /clusters/hpc/status?nodes=false but the body is not a valid ClusterStatus: " +
        'expected JSON, got text/html starting "<html> <head><title>Sign in</title></head></html>"; ' +
        "check that `url` points at the CycleCloud server",
    );
    expect(lines).toStrictEqual([]);
    scope.done();
  });

  it("says an empty 202 body is not JSON", async () => {
    const scope = postApi().post("/clusters/hpc/nodes/create").reply(202, "");
    const { client } = makeClient();

    await expect(client.createNodes("hpc", { sets: [{ count: 1, nodearray: "ondemand" }] })).rejects.toThrow(
      "CycleCloud answered 202 to POST /clusters/hpc/nodes/create but the body is not a valid NodeCreationResult: " +
        "expected JSON, got an empty body; check that `url` points at the CycleCloud server",
    );
    scope.done();
  });
});

describe("CycleCloudClient HTTP errors", () => {
  it("throws an HttpError carrying CycleCloud's JSON error body, and does not retry a create that answered 409", async () => {
    const errorBody = {
      Exception: "com.cyclecomputing.InvalidAttributeException",
      Message: "MachineType Standard_HC44rs is not recognized",
      Detail: "Validation failed (request-1274)",
      Code: 17,
    };
    const scope = postApi().post("/clusters/hpc/nodes/create").twice().reply(409, errorBody, JSON_HEADERS);
    const { client, lines } = makeClient();

    const error = await rejectionOf(
      client.createNodes("hpc", {
        requestId: "r-1",
        sets: [{ count: 4, nodearray: "ondemand", definition: { machineType: "Standard_HC44rs" } }],
      }),
      HttpError,
    );

    expect(error.toJSON()).toStrictEqual({
      name: "HttpError",
      message:
        "CycleCloud answered 409 to POST /clusters/hpc/nodes/create: MachineType Standard_HC44rs is not recognized",
      method: "POST",
      path: "/clusters/hpc/nodes/create",
      status: 409,
      serverMessage: "MachineType Standard_HC44rs is not recognized",
      body: errorBody,
      requestTag: "request-1274",
      retryAfterMs: undefined,
    });
    expect(scope.pendingMocks()).toStrictEqual([`POST ${BASE_URL}/clusters/hpc/nodes/create`]);
    expect(lines).toStrictEqual([]);
  });

  it("does not retry a create that answered 503", async () => {
    const scope = postApi().post("/clusters/hpc/nodes/create").twice().reply(503, "Service Unavailable");
    const { client } = makeClient();

    await expect(client.createNodes("hpc", { sets: [{ count: 1, nodearray: "ondemand" }] })).rejects.toThrow(
      "CycleCloud answered 503 to POST /clusters/hpc/nodes/create: Service Unavailable",
    );
    expect(scope.pendingMocks()).toStrictEqual([`POST ${BASE_URL}/clusters/hpc/nodes/create`]);
  });

  it("retries a GET that answered 503 and returns the later success", async () => {
    const scope = getApi()
      .get("/clusters/hpc/status")
      .query({ nodes: "false" })
      .reply(503, { Message: "Server is starting" })
      .get("/clusters/hpc/status")
      .query({ nodes: "false" })
      .reply(200, clusterStatus79);
    const { client, lines } = makeClient();

    await expect(client.getClusterStatus("hpc")).resolves.toStrictEqual(clusterStatus79);
    expect(lines).toStrictEqual([
      "CycleCloud answered 503 to GET /clusters/hpc/status?nodes=false: Server is starting; retrying in 0 ms (retry 1 of 4)",
    ]);
    scope.done();
  });

  it("retries a terminate after a 502, resending the same body", async () => {
    const scope = postApi()
      .post("/clusters/hpc/nodes/terminate", { ids: [readyNode.NodeId] })
      .reply(502, "<html><body>Bad Gateway</body></html>", { "Content-Type": "text/html" })
      .post("/clusters/hpc/nodes/terminate", { ids: [readyNode.NodeId] })
      .reply(202, managementResult);
    const { client, lines } = makeClient();

    await expect(client.terminateNodes("hpc", { ids: [readyNode.NodeId] })).resolves.toStrictEqual(
      managementResult,
    );
    expect(lines).toStrictEqual([
      "CycleCloud answered 502 Bad Gateway to POST /clusters/hpc/nodes/terminate without an error message (an HTML page); " +
        "retrying in 0 ms (retry 1 of 4)",
    ]);
    scope.done();
  });

  it("gives up after `retries` retries and throws the last error", async () => {
    const scope = getApi().get("/operations/op-1").times(3).reply(500, { Message: "Internal error" });
    const { client, lines } = makeClient({ retries: 2 });

    await expect(client.getOperation("op-1")).rejects.toThrow(
      "CycleCloud answered 500 to GET /operations/op-1: Internal error",
    );
    expect(lines).toStrictEqual([
      "CycleCloud answered 500 to GET /operations/op-1: Internal error; retrying in 0 ms (retry 1 of 2)",
      "CycleCloud answered 500 to GET /operations/op-1: Internal error; retrying in 0 ms (retry 2 of 2)",
    ]);
    scope.done();
  });

  it("does not retry a 404 for an unknown cluster", async () => {
    const scope = getApi()
      .get("/clusters/nope/status")
      .query({ nodes: "false" })
      .twice()
      .reply(404, { Message: "Cluster nope not found" });
    const { client } = makeClient();

    await expect(client.getClusterStatus("nope")).rejects.toThrow(
      "CycleCloud answered 404 to GET /clusters/nope/status?nodes=false: Cluster nope not found",
    );
    expect(scope.pendingMocks()).toStrictEqual([`GET ${BASE_URL}/clusters/nope/status`]);
  });

  it("waits as long as Retry-After asks after a 429", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .reply(429, { Message: "Too many requests" }, { "Retry-After": "1" })
      .get("/clusters/hpc/nodes")
      .reply(200, { nodes: [] });
    const { client, lines } = makeClient({ retryMaxDelayMs: 15_000 });

    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [] });
    expect(lines).toStrictEqual([
      "CycleCloud answered 429 to GET /clusters/hpc/nodes: Too many requests; retrying in 1000 ms (retry 1 of 4)",
    ]);
    scope.done();
  });

  it("keeps the parsed Retry-After on the HttpError and caps the wait at retryMaxDelayMs", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .twice()
      .reply(429, { Message: "Too many requests" }, { "Retry-After": "120" });
    const { client, lines } = makeClient({ retries: 1, retryMaxDelayMs: 20 });

    const error = await rejectionOf(client.listNodes("hpc"), HttpError);

    expect(error.retryAfterMs).toBe(120_000);
    expect(lines).toStrictEqual([
      "CycleCloud answered 429 to GET /clusters/hpc/nodes: Too many requests; retrying in 20 ms (retry 1 of 1)",
    ]);
    scope.done();
  });

  it("tells the user to check the credentials on 401", async () => {
    const scope = getApi().get("/clusters/hpc/nodes").reply(401, "");
    const { client } = makeClient();

    await expect(client.listNodes("hpc")).rejects.toThrow(
      "CycleCloud answered 401 Unauthorized to GET /clusters/hpc/nodes without an error message; " +
        "check the `username` and `password` settings",
    );
    scope.done();
  });

  it("reports a redirect instead of following it", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .reply(301, "", { Location: "https://cyclecloud.internal.example.com/clusters/hpc/nodes?x=1" });
    const { client } = makeClient();

    await expect(client.listNodes("hpc")).rejects.toThrow(
      "CycleCloud answered 301 Moved Permanently to GET /clusters/hpc/nodes without an error message; " +
        "it redirects to https://cyclecloud.internal.example.com, which is not followed (the credentials would go there): " +
        "if that is the CycleCloud server, set `url` to that address",
    );
    scope.done();
  });
});

describe("isUnknownRequestId", () => {
  it("is true for the 404 CycleCloud answers to an unknown request id (JSON body)", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .query({ request_id: "never-used" })
      .reply(404, { Message: "No operation found for request id never-used" });
    const { client } = makeClient();

    const error = await rejectionOf(client.listNodes("hpc", { requestId: "never-used" }), HttpError);

    expect(isUnknownRequestId(error)).toBe(true);
    expect(error.message).toBe(
      "CycleCloud answered 404 to GET /clusters/hpc/nodes?request_id=never-used: No operation found for request id never-used",
    );
    scope.done();
  });

  it("is true for the same answer as plain text", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .query({ request_id: "never-used" })
      .reply(404, "No operation found for request id never-used", { "Content-Type": "text/plain" });
    const { client } = makeClient();

    const error = await rejectionOf(client.listNodes("hpc", { requestId: "never-used" }), HttpError);

    expect(isUnknownRequestId(error)).toBe(true);
    scope.done();
  });

  it("is false for another 404", async () => {
    const scope = getApi()
      .get("/clusters/nope/nodes")
      .query({ request_id: "r-1" })
      .reply(404, { Message: "Cluster nope not found" });
    const { client } = makeClient();

    const error = await rejectionOf(client.listNodes("nope", { requestId: "r-1" }), HttpError);

    expect(isUnknownRequestId(error)).toBe(false);
    scope.done();
  });
});

describe("CycleCloudClient network errors and timeouts", () => {
  function connectionReset(): Error {
    return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  }

  it("retries a GET after a network error", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .replyWithError(connectionReset())
      .get("/clusters/hpc/nodes")
      .reply(200, { nodes: [readyNode] });
    const { client, lines } = makeClient();

    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [readyNode] });
    expect(lines).toStrictEqual([
      "Connection to CycleCloud at https://cyclecloud.example.com:8443 failed during GET /clusters/hpc/nodes: " +
        "socket hang up (ECONNRESET); retrying in 0 ms (retry 1 of 4)",
    ]);
    scope.done();
  });

  it("does not retry a create after a network error", async () => {
    const scope = postApi()
      .post("/clusters/hpc/nodes/create")
      .replyWithError(connectionReset())
      .post("/clusters/hpc/nodes/create")
      .reply(202, { operationId: "op-1", sets: [{ added: 1 }] });
    const { client, lines } = makeClient();

    const error = await rejectionOf(
      client.createNodes("hpc", { sets: [{ count: 1, nodearray: "ondemand" }] }),
      NetworkError,
    );

    expect(error.toJSON()).toStrictEqual({
      name: "NetworkError",
      message:
        "Connection to CycleCloud at https://cyclecloud.example.com:8443 failed during POST /clusters/hpc/nodes/create: " +
        "socket hang up (ECONNRESET)",
      method: "POST",
      path: "/clusters/hpc/nodes/create",
      origin: "https://cyclecloud.example.com:8443",
      code: "ECONNRESET",
      kind: "connection",
    });
    expect(scope.pendingMocks()).toStrictEqual([`POST ${BASE_URL}/clusters/hpc/nodes/create`]);
    expect(lines).toStrictEqual([]);
  });

  it("says the server is unreachable on ECONNREFUSED", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .replyWithError(
        Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:8443"), { code: "ECONNREFUSED" }),
      );
    const { client } = makeClient({ retries: 0 });

    const error = await rejectionOf(client.listNodes("hpc"), NetworkError);

    expect(error.message).toBe(
      "CycleCloud is unreachable at https://cyclecloud.example.com:8443 for GET /clusters/hpc/nodes: " +
        "connect ECONNREFUSED 10.1.2.3:8443; check `url` and that the server is running and reachable from this machine",
    );
    expect(
      error.cause instanceof Error && { name: error.cause.name, message: error.cause.message },
    ).toStrictEqual({
      name: "FetchError",
      message:
        "request to https://cyclecloud.example.com:8443/clusters/hpc/nodes failed, reason: connect ECONNREFUSED 10.1.2.3:8443",
    });
    scope.done();
  });

  it("throws a TimeoutError when the server answers later than timeoutMs", async () => {
    const scope = getApi().get("/clusters/hpc/nodes").delay(5_000).reply(200, { nodes: [] });
    const { client } = makeClient({ timeoutMs: 300, retries: 0 });

    const error = await rejectionOf(client.listNodes("hpc"), TimeoutError);

    expect(error.toJSON()).toStrictEqual({
      name: "TimeoutError",
      message:
        "CycleCloud did not answer GET /clusters/hpc/nodes within 300 ms; if the server is just slow, raise `timeoutSeconds` (stack config `cyclecloud:timeoutSeconds` or `connection.timeoutSeconds`; `timeoutMs` of a CycleCloudClient)",
      method: "GET",
      path: "/clusters/hpc/nodes",
      timeoutMs: 300,
    });
    scope.done();
  });

  it("retries a GET that timed out", async () => {
    const scope = getApi()
      .get("/clusters/hpc/nodes")
      .delay(5_000)
      .reply(200, { nodes: [] })
      .get("/clusters/hpc/nodes")
      .reply(200, { nodes: [readyNode] });
    const { client, lines } = makeClient({ timeoutMs: 300 });

    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [readyNode] });
    expect(lines).toStrictEqual([
      "CycleCloud did not answer GET /clusters/hpc/nodes within 300 ms; if the server is just slow, raise `timeoutSeconds` (stack config `cyclecloud:timeoutSeconds` or `connection.timeoutSeconds`; `timeoutMs` of a CycleCloudClient); " +
        "retrying in 0 ms (retry 1 of 4)",
    ]);
    scope.done();
  });

  it("does not retry a create that timed out", async () => {
    const scope = postApi()
      .post("/clusters/hpc/nodes/create")
      .delay(5_000)
      .reply(202, { operationId: "op-1", sets: [{ added: 1 }] })
      .post("/clusters/hpc/nodes/create")
      .reply(202, { operationId: "op-2", sets: [{ added: 1 }] });
    const { client } = makeClient({ timeoutMs: 300 });

    await expect(client.createNodes("hpc", { sets: [{ count: 1, nodearray: "ondemand" }] })).rejects.toThrow(
      new TimeoutError({ method: "POST", path: "/clusters/hpc/nodes/create", timeoutMs: 300 }),
    );
    expect(scope.pendingMocks()).toStrictEqual([`POST ${BASE_URL}/clusters/hpc/nodes/create`]);
  });
});
