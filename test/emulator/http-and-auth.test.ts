import { beforeEach, describe, expect, test } from "vitest";
import { ClusterStatusSchema, ErrorBodySchema } from "../../wire/schemas";
import { basicAuth, errorMessage, parseWith, start, useEmulator, ZERO_COUNTERS } from "./helpers";

const logLines: string[] = [];
const env = useEmulator({
  username: "ci-user",
  password: "s3cret-Pa55",
  log: (line) => logLines.push(line),
});
beforeEach(() => {
  logLines.length = 0;
});

describe("authentication", () => {
  test("a request without credentials is a 401 with a Basic challenge and an error body", async () => {
    const reply = await env.http.get("/clusters/hpc/status", { auth: false });
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toBe('Basic realm="CycleCloud"');
    parseWith(ErrorBodySchema, reply.json);
    expect(reply.json).toEqual({
      Exception: "com.cyclecomputing.cloud.exceptions.AuthenticationException",
      Message: "Authentication required: send HTTP Basic credentials",
      Detail:
        "Please see /opt/cycle_server/logs/cycle_server.log for lines tagged with request-1 for details.",
    });
  });

  test("wrong credentials are a 401 and change nothing", async () => {
    const reply = await env.http.post(
      "/clusters/hpc/nodes/create",
      { sets: [{ count: 1, nodearray: "ondemand" }] },
      { auth: false, headers: { Authorization: basicAuth("ci-user", "wrong") } },
    );
    expect([reply.status, errorMessage(reply)]).toEqual([401, "Invalid username or password"]);
    expect(env.emulator.nodes()).toEqual([]);
    expect(env.emulator.counters()).toEqual({ ...ZERO_COUNTERS, total: 1, create: 1 });
  });

  test("another scheme is a 401", async () => {
    const reply = await env.http.get("/clusters/hpc/status", {
      auth: false,
      headers: { Authorization: "Bearer abc" },
    });
    expect([reply.status, errorMessage(reply)]).toEqual([
      401,
      "Authentication required: send HTTP Basic credentials",
    ]);
  });

  test("the configured username and password are accepted", async () => {
    expect([env.emulator.username, env.emulator.password]).toEqual(["ci-user", "s3cret-Pa55"]);
    expect((await env.http.get("/clusters/hpc/status")).status).toBe(200);
  });

  test("the default user is admin with a random password per start", async () => {
    const [one, two] = await Promise.all([start(), start()]);
    try {
      expect([one?.username, two?.username]).toEqual(["admin", "admin"]);
      expect(one?.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(one?.password).not.toBe(two?.password);
    } finally {
      await Promise.all([one?.close(), two?.close()]);
    }
  });

  test("the request log shows method, path and status only, never credentials", async () => {
    await env.http.get("/clusters/hpc/status?nodes=true");
    await env.http.get("/clusters/hpc/status", { auth: false });
    expect(logLines.map((line) => line.replace(/ \d+ms$/, " Nms"))).toEqual([
      "GET /clusters/hpc/status?nodes=true 200 Nms",
      "GET /clusters/hpc/status 401 Nms",
    ]);
    expect(logLines.join("\n")).not.toContain("s3cret");
    const requests = await env.http.admin("GET", "/requests");
    expect(JSON.stringify(requests.json)).not.toContain(
      Buffer.from("ci-user:s3cret-Pa55").toString("base64"),
    );
  });
});

describe("GET /clusters/{cluster}/status", () => {
  test("with nodes=true lists every node and each bucket's active nodes", async () => {
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [
        { count: 1, nodearray: "ondemand" },
        {
          count: 2,
          nodearray: "ondemand",
          definition: { machineType: "Standard_Hc44rs" },
          placementGroupId: "pg0",
        },
      ],
    });
    await env.http.post("/clusters/hpc/nodes/deallocate", { names: ["ondemand-3"] });

    const reply = await env.http.get("/clusters/hpc/status?nodes=true");
    const status = parseWith(ClusterStatusSchema, reply.json);
    expect(status.nodes?.map((node) => [node.Name, node.Status])).toEqual([
      ["ondemand-1", "Ready"],
      ["ondemand-2", "Ready"],
      ["ondemand-3", "Deallocated"],
    ]);
    const buckets = status.nodearrays[0]?.buckets ?? [];
    expect(
      buckets.map((bucket) =>
        bucket.activeNodes?.map((node) => (typeof node === "string" ? node : node.Name)),
      ),
    ).toEqual([["ondemand-1"], ["ondemand-2"]]);
    expect(buckets[1]?.placementGroups).toEqual([{ name: "pg0", activeCount: 1, activeCoreCount: 44 }]);
  });

  test("without nodes=true (or with nodes=false) has neither nodes nor activeNodes", async () => {
    await env.http.post("/clusters/hpc/nodes/create", { sets: [{ count: 1, nodearray: "ondemand" }] });
    for (const path of [
      "/clusters/hpc/status",
      "/clusters/hpc/status?nodes=false",
      "/clusters/hpc/status/",
    ]) {
      const status = parseWith(ClusterStatusSchema, (await env.http.get(path)).json);
      expect([status.nodes, status.nodearrays[0]?.buckets[0]?.activeNodes]).toEqual([undefined, undefined]);
    }
  });

  test("a nodes value other than true or false is a 400", async () => {
    const reply = await env.http.get("/clusters/hpc/status?nodes=yes");
    expect([reply.status, errorMessage(reply)]).toEqual([
      400,
      "Query parameter nodes must be true or false, not yes",
    ]);
  });

  test("an unknown cluster is a 404, and cluster names are decoded from the path", async () => {
    const reply = await env.http.get("/clusters/my%20cluster/status");
    expect([reply.status, errorMessage(reply)]).toEqual([404, "Cluster my cluster not found"]);
  });
});

describe("routing", () => {
  test("an unknown path is a 404 error body", async () => {
    const reply = await env.http.get("/clusters/hpc/nodes/create/extra");
    expect([reply.status, errorMessage(reply)]).toEqual([
      404,
      "No such resource: GET /clusters/hpc/nodes/create/extra",
    ]);
    expect(env.emulator.counters().total).toBe(1);
  });

  test("a known path with the wrong method is a 405 naming the allowed one", async () => {
    const reply = await env.http.get("/clusters/hpc/nodes/create");
    expect(reply.status).toBe(405);
    expect(reply.headers.get("allow")).toBe("POST");
    expect(errorMessage(reply)).toBe("/clusters/hpc/nodes/create accepts POST, not GET");
    const post = await env.http.post("/clusters/hpc/status", {});
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET"]);
  });

  test("a body over 1 MiB is a 413", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", "x".repeat(1024 * 1024 + 1));
    expect([reply.status, errorMessage(reply)]).toEqual([413, "Request body is larger than 1048576 bytes"]);
  });

  test("the client version header is recorded in the request log", async () => {
    await env.http.get("/clusters/hpc/status", {
      headers: { "X-Cycle-Client-Version": "pulumi-cyclecloud:0.1.0", "User-Agent": "emulator-test/1.0" },
    });
    const reply = await env.http.admin("GET", "/requests");
    expect(reply.json).toEqual({
      requests: [
        {
          method: "GET",
          path: "/clusters/hpc/status",
          route: "status",
          status: 200,
          faultId: null,
          clientVersion: "pulumi-cyclecloud:0.1.0",
          userAgent: "emulator-test/1.0",
        },
      ],
    });
  });
});
