import { describe, expect, test } from "vitest";
import { ErrorBodySchema, NodeCreationResultSchema, NodeListSchema } from "../../wire/schemas";
import { FAULT_ROUTES } from "../../emulator";
import type { FaultRoute } from "../../emulator";
import { basicAuth, errorMessage, parseWith, start, useEmulator } from "./helpers";

const env = useEmulator();

const CREATE = { requestId: "fault-create", sets: [{ count: 2, nodearray: "ondemand" }] };

async function fault(body: Record<string, unknown>): Promise<unknown> {
  const reply = await env.http.admin("POST", "/faults", body);
  expect(reply.status).toBe(201);
  return reply.json;
}

/** A create sent with plain fetch, so a dropped connection or an abort surfaces as the rejection. */
function rawCreate(signal?: AbortSignal): Promise<Response> {
  return fetch(`${env.emulator.url}/clusters/hpc/nodes/create`, {
    method: "POST",
    headers: {
      Authorization: basicAuth(env.emulator.username, env.emulator.password),
      "Content-Type": "text/plain",
    },
    body: JSON.stringify(CREATE),
    ...(signal === undefined ? {} : { signal }),
  });
}

function nodeNames(): string[] {
  return env.emulator.nodes().map((node) => node.record.Name);
}

describe("status faults", () => {
  test("answer the status with a CycleCloud error body and Retry-After, without applying the request", async () => {
    expect(await fault({ route: "create", status: 503, retryAfter: 2 })).toEqual({
      id: 1,
      route: "create",
      remaining: 1,
      status: 503,
      retryAfter: 2,
    });

    const faulted = await env.http.post("/clusters/hpc/nodes/create", CREATE);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("retry-after")).toBe("2");
    parseWith(ErrorBodySchema, faulted.json);
    expect(faulted.json).toEqual({
      Exception: "com.cyclecomputing.emulator.InjectedFaultException",
      Message: "Service Unavailable (fault injected by the emulator on route create)",
      Detail:
        "Please see /opt/cycle_server/logs/cycle_server.log for lines tagged with request-1 for details.",
    });
    expect(nodeNames()).toEqual([]);

    // The request id was not used: the retry succeeds.
    const retried = await env.http.post("/clusters/hpc/nodes/create", CREATE);
    expect(retried.status).toBe(202);
    expect(nodeNames()).toEqual(["ondemand-1", "ondemand-2"]);
  });

  test("apply to the next `count` requests of their route only, oldest fault first", async () => {
    await fault({ route: "status", status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", count: 2 });
    await fault({ route: "status", status: 500 });
    expect((await env.http.admin("GET", "/faults")).json).toEqual({
      faults: [
        { id: 1, route: "status", remaining: 2, status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" },
        { id: 2, route: "status", remaining: 1, status: 500 },
      ],
    });

    const nodes = await env.http.get("/clusters/hpc/nodes");
    const first = await env.http.get("/clusters/hpc/status");
    expect((await env.http.admin("GET", "/faults")).json).toEqual({
      faults: [
        { id: 1, route: "status", remaining: 1, status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" },
        { id: 2, route: "status", remaining: 1, status: 500 },
      ],
    });
    const second = await env.http.get("/clusters/hpc/status");
    const third = await env.http.get("/clusters/hpc/status");
    const fourth = await env.http.get("/clusters/hpc/status");

    expect([nodes.status, first.status, second.status, third.status, fourth.status]).toEqual([
      200, 429, 429, 500, 200,
    ]);
    expect([first.headers.get("retry-after"), third.headers.get("retry-after")]).toEqual([
      "Wed, 21 Oct 2015 07:28:00 GMT",
      null,
    ]);
    expect(errorMessage(third)).toBe(
      "Internal Server Error (fault injected by the emulator on route status)",
    );
    expect((await env.http.admin("GET", "/faults")).json).toEqual({ faults: [] });
  });

  test("send a given body verbatim when it is a string, as JSON otherwise", async () => {
    await fault({ route: "nodes", body: '{"nodes": [' });
    await fault({ route: "operations", status: 502, body: { unexpected: true } });

    const truncated = await env.http.request("GET", "/clusters/hpc/nodes").catch((error: unknown) => error);
    expect(truncated).toBeInstanceOf(SyntaxError);
    const raw = await fetch(`${env.emulator.url}/clusters/hpc/nodes`, {
      headers: { Authorization: basicAuth(env.emulator.username, env.emulator.password) },
    });
    // The fault was used up: the real answer, which lists the head node.
    const text = await raw.text();
    expect(raw.status).toBe(200);
    expect((JSON.parse(text) as { nodes: { Name: string }[] }).nodes.map((node) => node.Name)).toEqual([
      "scheduler",
    ]);

    const custom = await env.http.get("/operations/");
    expect([custom.status, custom.json]).toEqual([502, { unexpected: true }]);
  });

  test("route names cover every API route", async () => {
    const calls: Record<FaultRoute, () => Promise<{ status: number }>> = {
      status: () => env.http.get("/clusters/hpc/status"),
      nodes: () => env.http.get("/clusters/hpc/nodes"),
      create: () => env.http.post("/clusters/hpc/nodes/create", CREATE),
      terminate: () => env.http.post("/clusters/hpc/nodes/terminate", { ids: [] }),
      deallocate: () => env.http.post("/clusters/hpc/nodes/deallocate", { ids: [] }),
      start: () => env.http.post("/clusters/hpc/nodes/start", { ids: [] }),
      shutdown: () => env.http.post("/clusters/hpc/nodes/shutdown", { ids: [] }),
      remove: () => env.http.post("/clusters/hpc/nodes/remove", { ids: [] }),
      scale: () => env.http.post("/clusters/hpc/scale/ondemand?totalNodeCount=1"),
      operations: () => env.http.get("/operations/x"),
      terminate_node: () =>
        env.http.post(
          `/cloud/actions/terminate_node/hpc?instance-filter=${encodeURIComponent('HostName in {"x"}')}`,
        ),
      retry: () => env.http.post("/cloud/actions/retry/hpc"),
    };
    for (const route of FAULT_ROUTES) {
      await fault({ route, status: 418 });
    }
    const answered: [FaultRoute, number][] = [];
    for (const route of FAULT_ROUTES) {
      answered.push([route, (await calls[route]()).status]);
    }
    // Each call took the fault of its own route: every route answered 418 and no fault is left.
    expect(answered).toEqual(FAULT_ROUTES.map((route) => [route, 418]));
    expect((await env.http.admin("GET", "/faults")).json).toEqual({ faults: [] });
  });
});

describe("connection resets", () => {
  test("reset before drops the connection without applying the request", async () => {
    await fault({ route: "create", reset: "before" });
    await expect(rawCreate()).rejects.toThrow("fetch failed");
    expect(nodeNames()).toEqual([]);
    const retried = await rawCreate();
    expect(retried.status).toBe(202);
  });

  test("reset after applies the request, then drops the connection without answering", async () => {
    await fault({ route: "create", reset: "after" });
    await expect(rawCreate()).rejects.toThrow("fetch failed");
    expect(nodeNames()).toEqual(["ondemand-1", "ondemand-2"]);

    // The change was committed: the request id is used and its nodes can be listed.
    const retried = await rawCreate();
    expect(retried.status).toBe(409);
    const list = parseWith(
      NodeListSchema,
      (await env.http.get("/clusters/hpc/nodes?request_id=fault-create")).json,
    );
    expect(list.nodes.map((node) => node.Name)).toEqual(["ondemand-1", "ondemand-2"]);
  });

  test("the request log records dropped connections with a null status", async () => {
    await fault({ route: "create", reset: "after" });
    await rawCreate().catch(() => undefined);
    const log = (await env.http.admin("GET", "/requests")).json as { requests: Record<string, unknown>[] };
    expect(log.requests).toEqual([
      {
        method: "POST",
        path: "/clusters/hpc/nodes/create",
        route: "create",
        clientVersion: null,
        userAgent: expect.any(String) as unknown,
        status: null,
        faultId: 1,
      },
    ]);
  });
});

describe("delays", () => {
  test("a delayed request is applied at once, so a client that times out has still changed the cluster", async () => {
    await fault({ route: "create", delayMs: 5_000 });
    await expect(rawCreate(AbortSignal.timeout(200))).rejects.toThrow(
      "The operation was aborted due to timeout",
    );
    expect(nodeNames()).toEqual(["ondemand-1", "ondemand-2"]);
  });

  test("a delayed request that is waited for gets its normal answer", async () => {
    const undelayed = await env.http.get("/clusters/hpc/status");
    await fault({ route: "status", delayMs: 50 });
    const sent = performance.now();
    const reply = await env.http.get("/clusters/hpc/status");
    // Timers may fire up to a millisecond early; the answer cannot come before the delay.
    expect(performance.now() - sent).toBeGreaterThanOrEqual(49);
    expect([reply.status, reply.json]).toEqual([200, undelayed.json]);
  });

  test("close() does not wait for delayed requests", async () => {
    const other = await start();
    other.injectFault({ route: "status", delayMs: 600_000 });
    const pending = fetch(`${other.url}/clusters/hpc/status`, {
      headers: { Authorization: basicAuth(other.username, other.password) },
    });
    await expect.poll(() => other.counters().status).toBe(1);
    await other.close();
    await expect(pending).rejects.toThrow("fetch failed");
  });
});

describe("partial adds", () => {
  test("maxAdded caps every set of the next create and says capacity ran out", async () => {
    await fault({ route: "create", maxAdded: 1 });
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [
        { count: 4, nodearray: "ondemand", definition: { machineType: "Standard_Hc44rs" } },
        { count: 1, nodearray: "ondemand" },
      ],
    });
    const result = parseWith(NodeCreationResultSchema, reply.json);
    expect(result.sets).toEqual([
      { added: 1, message: "Added 1 of 4 requested nodes: insufficient capacity (injected by the emulator)" },
      { added: 1 },
    ]);
    const second = parseWith(
      NodeCreationResultSchema,
      (await env.http.post("/clusters/hpc/nodes/create", CREATE)).json,
    );
    expect(second.sets).toEqual([{ added: 2 }]);
  });

  test("maxAdded applies to scale", async () => {
    await fault({ route: "scale", maxAdded: 0 });
    const result = parseWith(
      NodeCreationResultSchema,
      (await env.http.post("/clusters/hpc/scale/ondemand?totalNodeCount=2")).json,
    );
    expect(result.sets).toEqual([
      { added: 0, message: "Added 0 of 2 requested nodes: insufficient capacity (injected by the emulator)" },
    ]);
  });
});

describe("fault validation", () => {
  test("invalid faults are a 400 naming the problem", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { route: "clusters", status: 500 },
        'route: Invalid option: expected one of "status"|"nodes"|"create"|"terminate"|"deallocate"|"start"|"shutdown"|"remove"|"scale"|"operations"|"terminate_node"|"retry"',
      ],
      [
        { route: "status" },
        "(root): a fault needs at least one of `status`, `body`, `reset`, `delayMs` or `maxAdded`",
      ],
      [
        { route: "status", status: 500, reset: "after" },
        "reset: `reset` cannot be combined with `status` or `body`",
      ],
      [{ route: "status", retryAfter: 1, delayMs: 1 }, "retryAfter: `retryAfter` needs `status`"],
      [{ route: "status", maxAdded: 1 }, "maxAdded: `maxAdded` applies to routes create and scale only"],
      [
        { route: "create", maxAdded: 1, status: 500 },
        "maxAdded: `maxAdded` needs the request to be applied: drop `status`, `body` and `reset: before`",
      ],
      [{ route: "status", status: 500, count: 0 }, "count: Too small: expected number to be >0"],
      [{ route: "status", status: 700 }, "status: Too big: expected number to be <=599"],
    ];
    for (const [body, error] of cases) {
      const reply = await env.http.admin("POST", "/faults", body);
      expect([reply.status, reply.json]).toEqual([400, { error }]);
    }
  });

  test("DELETE /faults drops pending faults", async () => {
    await fault({ route: "status", status: 500, count: 3 });
    const cleared = await env.http.admin("DELETE", "/faults");
    expect(cleared.json).toEqual({ cleared: 1 });
    expect((await env.http.get("/clusters/hpc/status")).status).toBe(200);
  });

  test("injectFault adds a fault in-process and rejects an invalid one", async () => {
    expect(env.emulator.injectFault({ route: "status", status: 503 })).toEqual({
      id: 1,
      route: "status",
      remaining: 1,
      status: 503,
    });
    expect((await env.http.get("/clusters/hpc/status")).status).toBe(503);
    expect(() => env.emulator.injectFault({ route: "status" })).toThrow(
      "Invalid fault: (root): a fault needs at least one of `status`, `body`, `reset`, `delayMs` or `maxAdded`",
    );
  });
});
