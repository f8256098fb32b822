/**
 * Every wait of the client is bounded, and the bound is said: a server that accepts connections
 * and never answers fails after the attempts `retries` allows, naming them and the time they took;
 * a listing of mostly unreadable records fails at once instead of validating each. Real servers on
 * 127.0.0.1 port 0. No test asserts a wall-clock time.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { Server as NetServer, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ResponseValidationError, TimeoutError } from "../../provider/client";
import { MAX_SMALL_OBJECTS, MIN_BYTES_PER_OBJECT } from "../../provider/client/response-parsing";
import { formatDuration } from "../../provider/client/errors";
import { TOLERATED_UNREADABLE_RECORDS } from "../../wire/schemas";
import { makeClient } from "./fixtures";

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function portOf(server: Server | NetServer): number {
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error(`unexpected address ${String(address)}`);
  return address.port;
}

/** A TCP server that accepts every connection and never writes a byte; counts the connections. */
async function silentServer(): Promise<{ url: string; connections: () => number }> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${portOf(server)}`, connections: () => sockets.length };
}

/** An HTTP server answering with `handler`; returns its URL. */
async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${portOf(server)}`;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-error: ${String(error)}`);
  }
  throw new Error("expected the request to fail");
}

const ADVICE =
  "if the server is just slow, raise `timeoutSeconds` (stack config `cyclecloud:timeoutSeconds` or " +
  "`connection.timeoutSeconds`; `timeoutMs` of a CycleCloudClient)";

describe("a server that accepts connections and never answers", () => {
  it("fails after every attempt, naming the attempts and the time they took in all", async () => {
    const server = await silentServer();
    const { client, lines } = makeClient({ url: server.url, timeoutMs: 100, retries: 2 });

    const error = await failure(client.getClusterStatus("hpc"));

    expect(error).toBeInstanceOf(TimeoutError);
    const total = /\((\d+) ms in all\)|\(([\d.]+) s in all\)/.exec(error.message)?.[0] ?? "(no total)";
    expect(error.message).toBe(
      `CycleCloud at ${server.url} did not answer GET /clusters/hpc/status?nodes=false within 100 ms on any of 3 attempts ` +
        `${total}; check that \`url\` names a CycleCloud server that is up; ${ADVICE}`,
    );
    expect(error).toMatchObject({ attempts: 3, timeoutMs: 100 });
    expect((error as TimeoutError).elapsedMs).toBeGreaterThanOrEqual(300);
    expect(server.connections()).toBe(3);
    expect(lines).toHaveLength(2);
  });

  it("says how many of the attempts timed out when others failed otherwise", async () => {
    let requests = 0;
    const url = await serve((_request, response) => {
      requests++;
      if (requests === 1) response.writeHead(503).end();
      // Later requests are never answered.
    });
    const { client } = makeClient({ url, timeoutMs: 100, retries: 2 });

    const error = await failure(client.listNodes("hpc"));

    expect(error.message).toMatch(
      new RegExp(
        `^CycleCloud at ${url.replace(/\./g, "\\.")} did not answer GET /clusters/hpc/nodes within 100 ms ` +
          `on 2 of 3 attempts, the last one included \\((\\d+ ms|[\\d.]+ s) in all\\); `,
      ),
    );
    expect(requests).toBe(3);
  });

  it("keeps the single-attempt message when retries are off", async () => {
    const server = await silentServer();
    const { client } = makeClient({ url: server.url, timeoutMs: 100, retries: 0 });

    const error = await failure(client.listNodes("hpc"));

    expect(error.message).toBe(`CycleCloud did not answer GET /clusters/hpc/nodes within 100 ms; ${ADVICE}`);
    expect(error).not.toHaveProperty("attempts");
    expect(server.connections()).toBe(1);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [250, "250 ms"],
    [1000, "1 s"],
    [1500, "1.5 s"],
    [30_000, "30 s"],
    [60_000, "1 min"],
    [92_400, "1 min 32 s"],
    [165_000, "2 min 45 s"],
  ])("%i ms is %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

/** `{"nodes":[...]}` of `bad` empty records, then `good` readable ones. */
function listing(bad: number, good: number): string {
  const records = [
    ...Array.from({ length: bad }, () => ({})),
    ...Array.from({ length: good }, (_, i) => ({
      Name: `ondemand-${i + 1}`,
      NodeId: `id-${i + 1}`,
      Template: "ondemand",
      Status: "Ready",
    })),
  ];
  return JSON.stringify({ nodes: records });
}

const EMPTY_RECORD =
  "Name: expected string, but it is missing, NodeId: expected string, but it is missing, " +
  "Template: expected string, but it is missing, Status: expected string, but it is missing";

describe("a listing of mostly unreadable records", () => {
  /** A server answering every request with `body`. */
  const serving = (body: string) =>
    serve((_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(body);
    });

  it("fails at once, naming the path, the count and the first record's problems", async () => {
    const { client } = makeClient({ url: await serving(listing(1000, 0)), retries: 0 });

    const error = await failure(client.listNodes("hpc", { requestId: "r-0" }));

    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error.message).toBe(
      "CycleCloud answered 200 to GET /clusters/hpc/nodes?request_id=r-0 but the body is not a valid NodeList: " +
        `nodes: more than half of its 1000 records are not node records this library can read (gave up after 501; the first: [0] ${EMPTY_RECORD})`,
    );
  });

  it("fails a status whose nodes are mostly unreadable the same way", async () => {
    const status = {
      maxCount: 10,
      maxCoreCount: 100,
      nodearrays: [],
      nodes: Array.from({ length: 300 }, () => ({})),
    };
    const { client } = makeClient({ url: await serving(JSON.stringify(status)), retries: 0 });

    const error = await failure(client.getClusterStatus("hpc", { nodes: true }));

    expect(error.message).toBe(
      "CycleCloud answered 200 to GET /clusters/hpc/status?nodes=true but the body is not a valid ClusterStatus: " +
        `nodes: more than half of its 300 records are not node records this library can read (gave up after 151; the first: [0] ${EMPTY_RECORD})`,
    );
  });

  it("refuses before parsing a body of more than MAX_SMALL_OBJECTS tiny objects", async () => {
    const count = MAX_SMALL_OBJECTS + 1;
    const body = `{"nodes":[${new Array(count).fill("{}").join(",")}]}`;
    const { client } = makeClient({ url: await serving(body), retries: 0 });

    const error = await failure(client.listNodes("hpc", { requestId: "r-0" }));

    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error.message).toBe(
      "CycleCloud answered 200 to GET /clusters/hpc/nodes?request_id=r-0 but the body is not a valid NodeList: " +
        `${count + 1} JSON objects in ${body.length} bytes (fewer than ${MIN_BYTES_PER_OBJECT} bytes each): not ` +
        "CycleCloud records this library can read; it stops before parsing them",
    );
  });

  it("reads a listing of real records large enough to be scanned (over 3.2 MB, 70,000 objects)", async () => {
    const records = Array.from({ length: 35_000 }, (_, i) => ({
      Name: `ondemand-${i + 1}`,
      NodeId: `id-${i + 1}`,
      Template: "ondemand",
      Status: "Ready",
      Instance: { MachineType: "Standard_F2s_v2" },
    }));
    const { client } = makeClient({ url: await serving(JSON.stringify({ nodes: records })), retries: 0 });

    const list = await client.listNodes("hpc");

    expect(list.nodes).toHaveLength(35_000);
  });

  it(`keeps tolerating up to ${TOLERATED_UNREADABLE_RECORDS} unreadable records, even when they are most`, async () => {
    const { client } = makeClient({
      url: await serving(listing(TOLERATED_UNREADABLE_RECORDS, 2)),
      retries: 0,
    });

    const list = await client.listNodes("hpc");

    expect(list.nodes.map((n) => n.Name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(list.unparsedNodes).toHaveLength(TOLERATED_UNREADABLE_RECORDS);
  });

  it("keeps tolerating a minority of unreadable records in a large listing", async () => {
    const { client } = makeClient({ url: await serving(listing(400, 600)), retries: 0 });

    const list = await client.listNodes("hpc");

    expect(list.nodes).toHaveLength(600);
    expect(list.unparsedNodes).toHaveLength(400);
  });

  it("fails one record past the tolerance when they are most", async () => {
    const { client } = makeClient({
      url: await serving(listing(TOLERATED_UNREADABLE_RECORDS + 1, 2)),
      retries: 0,
    });

    const error = await failure(client.listNodes("hpc"));

    expect(error.message).toContain(
      `nodes: more than half of its ${TOLERATED_UNREADABLE_RECORDS + 3} records are not node records this library can read (gave up after ${TOLERATED_UNREADABLE_RECORDS + 1};`,
    );
  });
});
