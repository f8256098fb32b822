import { describe, expect, test } from "vitest";
import { ErrorBodySchema, NodeCreationResultSchema, NodeListSchema } from "../../wire/schemas";
import { errorMessage, parseWith, useEmulator, arrayNodes } from "./helpers";

const env = useEmulator();

function error(exception: string, message: string, requestNumber: number) {
  return {
    Exception: exception,
    Message: message,
    Detail: `Please see /opt/cycle_server/logs/cycle_server.log for lines tagged with request-${String(requestNumber)} for details.`,
  };
}

const INVALID_ATTRIBUTE = "com.cyclecomputing.cloud.exceptions.InvalidAttributeException";
const INVALID_REQUEST = "com.cyclecomputing.cloud.exceptions.InvalidRequestException";

async function names(): Promise<string[]> {
  const list = parseWith(NodeListSchema, (await env.http.get("/clusters/hpc/nodes")).json);
  return arrayNodes(list.nodes).map((node) => node.Name);
}

// The 8.x reference lists only 409 ("Invalid input") for create: unreadable bodies are 409 too.
describe("create rejects bad requests and adds nothing", () => {
  test("an unknown machine type (case matters) is an InvalidAttributeException with a request tag", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "bad-type",
      sets: [
        {
          count: 4,
          nodearray: "ondemand",
          placementGroupId: "pg0",
          definition: { machineType: "Standard_HC44rs" },
        },
      ],
    });

    expect(reply.status).toBe(409);
    parseWith(ErrorBodySchema, reply.json);
    expect(reply.json).toEqual(error(INVALID_ATTRIBUTE, "MachineType Standard_HC44rs is not recognized", 1));
    expect(await names()).toEqual([]);
  });

  test("a rejected create does not use up its request id", async () => {
    const rejected = await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "retry-me",
      sets: [{ count: 1, nodearray: "gpu" }],
    });
    expect(rejected.status).toBe(409);
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "retry-me",
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    expect(reply.status).toBe(202);
    const list = parseWith(
      NodeListSchema,
      (await env.http.get("/clusters/hpc/nodes?request_id=retry-me")).json,
    );
    expect(list.nodes.map((node) => [node.Name, node.RequestId])).toEqual([["ondemand-1", "retry-me"]]);
  });

  test("an unknown nodearray is an InvalidAttributeException", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 1, nodearray: "gpu" }],
    });
    expect([reply.status, reply.json]).toEqual([
      409,
      error(INVALID_ATTRIBUTE, "Nodearray gpu is not recognized in cluster hpc", 1),
    ]);
  });

  test("a machine type whose bucket is not valid is rejected with the bucket's reason", async () => {
    await env.http.admin("POST", "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Fs32_v2",
      valid: false,
      invalidReason: "DisabledMachineType",
    });
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 1, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } }],
    });
    expect([reply.status, reply.json]).toEqual([
      409,
      error(
        INVALID_ATTRIBUTE,
        "MachineType Standard_Fs32_v2 is not valid for nodearray ondemand: DisabledMachineType",
        1,
      ),
    ]);
  });

  test("one bad set rejects the whole request", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [
        { count: 1, nodearray: "ondemand" },
        { count: 1, nodearray: "ondemand", definition: { machineType: "Standard_D2_v3" } },
      ],
    });
    expect([reply.status, errorMessage(reply)]).toEqual([
      409,
      "MachineType Standard_D2_v3 is not recognized",
    ]);
    expect(await names()).toEqual([]);
  });

  test("counts that are not positive integers are a 409 naming the field", async () => {
    const cases: [unknown, string][] = [
      [0, "sets[0].count: Too small: expected number to be >0"],
      [-2, "sets[0].count: Too small: expected number to be >0"],
      [1.5, "sets[0].count: Invalid input: expected int, received number"],
      ["3", "sets[0].count: Invalid input: expected number, received string"],
    ];
    for (const [count, issue] of cases) {
      env.emulator.reset();
      const reply = await env.http.post("/clusters/hpc/nodes/create", {
        sets: [{ count, nodearray: "ondemand" }],
      });
      expect([reply.status, reply.json]).toEqual([
        409,
        error(INVALID_REQUEST, `Invalid NodeCreationRequest: ${issue}`, 1),
      ]);
    }
  });

  test("a body without sets is a 409", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", { requestId: "x" });
    expect([reply.status, errorMessage(reply)]).toEqual([
      409,
      "Invalid NodeCreationRequest: sets: Invalid input: expected array, received undefined",
    ]);
  });

  test("malformed JSON is a 409 with the parser's reason", async () => {
    const text = '{ "sets": [ { "count": 1, ';
    let reason = "";
    try {
      JSON.parse(text);
    } catch (caught) {
      reason = caught instanceof Error ? caught.message : "";
    }
    const reply = await env.http.post("/clusters/hpc/nodes/create", text);
    expect([reply.status, reply.json]).toEqual([
      409,
      error(INVALID_REQUEST, `Request body is not valid JSON: ${reason}`, 1),
    ]);
  });

  test("an empty body is a 409", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", "");
    expect([reply.status, errorMessage(reply)]).toEqual([
      409,
      "Request body is empty: expected a JSON NodeCreationRequest",
    ]);
  });

  test("an unknown cluster is a 404", async () => {
    const reply = await env.http.post("/clusters/nope/nodes/create", {
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    expect([reply.status, reply.json]).toEqual([
      404,
      error("com.cyclecomputing.cloud.exceptions.NotFoundException", "Cluster nope not found", 1),
    ]);
  });

  test("JSON is accepted whatever the Content-Type, or without one", async () => {
    for (const contentType of ["application/json", "text/plain", "application/octet-stream"]) {
      const reply = await env.http.post(
        "/clusters/hpc/nodes/create",
        { sets: [{ count: 1, nodearray: "ondemand" }] },
        {
          contentType,
        },
      );
      expect(reply.status).toBe(202);
    }
    const bare = await fetch(`${env.emulator.url}/clusters/hpc/nodes/create`, {
      method: "POST",
      headers: { Authorization: `Basic ${Buffer.from(`admin:${env.emulator.password}`).toString("base64")}` },
      body: new Blob([
        '{"sets":[{"count":1,"nodearray":"ondemand","definition":{"machineType":"Standard_Hc44rs"}}]}',
      ]),
    });
    expect(bare.status).toBe(202);
    expect(await names()).toEqual(["ondemand-1", "ondemand-2", "ondemand-3", "ondemand-4"]);
  });
});

describe("node names", () => {
  test("default names take the lowest free nodearray-N", async () => {
    await env.http.post("/clusters/hpc/nodes/create", { sets: [{ count: 3, nodearray: "ondemand" }] });
    const second = env.emulator.nodes()[1]?.record.NodeId;
    await env.http.post("/clusters/hpc/nodes/terminate", { ids: [second] });
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 2, nodearray: "ondemand", definition: { machineType: "Standard_Hc44rs" } }],
    });
    expect(await names()).toEqual(["ondemand-1", "ondemand-3", "ondemand-2", "ondemand-4"]);
  });

  test("nameFormat with %d counts from nameOffset", async () => {
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 2, nodearray: "ondemand", nameFormat: "mpi-%d", nameOffset: 10 }],
    });
    expect(await names()).toEqual(["mpi-10", "mpi-11"]);
  });

  test("nameFormat without %d names exactly one node", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 1, nodearray: "ondemand", nameFormat: "login" }],
    });
    expect(reply.status).toBe(202);
    expect(await names()).toEqual(["login"]);

    const taken = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 1, nodearray: "ondemand", nameFormat: "login" }],
    });
    expect([taken.status, errorMessage(taken)]).toEqual([409, "Node login already exists in cluster hpc"]);

    const many = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 2, nodearray: "ondemand", nameFormat: "single" }],
    });
    expect([many.status, errorMessage(many)]).toEqual([
      409,
      "nameFormat single has no %d and can name only one node, but sets[0].count is 2",
    ]);
  });
});

describe("node attributes", () => {
  test("nodeAttributes are applied to every node, over the nodearray's, without touching managed keys", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "attrs",
      sets: [
        {
          count: 2,
          nodearray: "ondemand",
          nodeAttributes: {
            KeepAlive: true,
            Tags: { owner: "ci" },
            Configuration: { slurm: { partition: "hpc" } },
            ShutdownPolicy: "Deallocate",
            JobId: 42,
            Name: "ignored",
            Status: "ignored",
          },
        },
      ],
    });
    expect(reply.status).toBe(202);
    parseWith(NodeCreationResultSchema, reply.json);

    const list = parseWith(NodeListSchema, (await env.http.get("/clusters/hpc/nodes?request_id=attrs")).json);
    const raw = (await env.http.get("/clusters/hpc/nodes?request_id=attrs")).json as {
      nodes: Record<string, unknown>[];
    };
    expect(
      list.nodes.map((node) => [node.Name, node.Status, node.KeepAlive, node.Tags, node.ShutdownPolicy]),
    ).toEqual([
      ["ondemand-1", "Ready", true, { owner: "ci" }, "Deallocate"],
      ["ondemand-2", "Ready", true, { owner: "ci" }, "Deallocate"],
    ]);
    expect(raw.nodes.map((node) => [node["Configuration"], node["JobId"], node["SubnetId"]])).toEqual([
      [{ slurm: { partition: "hpc" } }, 42, "hpc-rg/hpc-vnet/compute"],
      [{ slurm: { partition: "hpc" } }, 42, "hpc-rg/hpc-vnet/compute"],
    ]);
  });

  test("a known attribute of the wrong type is rejected with its path", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [
        { count: 1, nodearray: "ondemand" },
        { count: 1, nodearray: "ondemand", nodeAttributes: { KeepAlive: "yes" } },
      ],
    });
    expect([reply.status, reply.json]).toEqual([
      409,
      error(
        INVALID_ATTRIBUTE,
        "Invalid nodeAttributes in sets[1]: KeepAlive: Invalid input: expected boolean, received string",
        1,
      ),
    ]);
  });
});

describe("request ids", () => {
  test("creates without a requestId may repeat, and their nodes carry no RequestId", async () => {
    const body = { sets: [{ count: 1, nodearray: "ondemand" }] };
    const first = parseWith(
      NodeCreationResultSchema,
      (await env.http.post("/clusters/hpc/nodes/create", body)).json,
    );
    const second = parseWith(
      NodeCreationResultSchema,
      (await env.http.post("/clusters/hpc/nodes/create", body)).json,
    );
    expect(first.operationId).not.toBe(second.operationId);
    const list = parseWith(NodeListSchema, (await env.http.get("/clusters/hpc/nodes")).json);
    expect(arrayNodes(list.nodes).map((node) => [node.Name, node.RequestId])).toEqual([
      ["ondemand-1", undefined],
      ["ondemand-2", undefined],
    ]);
  });

  test("a request id that added nothing is still used up", async () => {
    await env.http.admin("POST", "/capacity", { cluster: "hpc", maxCount: 0 });
    const body = { requestId: "empty", sets: [{ count: 1, nodearray: "ondemand" }] };
    const first = await env.http.post("/clusters/hpc/nodes/create", body);
    expect(parseWith(NodeCreationResultSchema, first.json).sets).toEqual([
      {
        added: 0,
        message: "Added 0 of 1 requested nodes: cluster hpc maxCount of 0 reached",
      },
    ]);
    const second = await env.http.post("/clusters/hpc/nodes/create", body);
    expect([second.status, errorMessage(second)]).toEqual([409, "Request id empty has already been used"]);
    const list = await env.http.get("/clusters/hpc/nodes?request_id=empty");
    expect(parseWith(NodeListSchema, list.json).nodes).toEqual([]);
  });
});
