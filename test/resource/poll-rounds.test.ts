import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { CycleCloudClient, ResponseValidationError } from "../../provider/client";
import type { NodeList } from "../../wire/schemas";
import { listRequestNodes } from "../../provider/ops/node-set-listing";
import type { NodeSetClient } from "../../provider/ops/node-set-listing";
import type { NodeInfo } from "../../provider/core/node-set-state";
import { PollRounds, planRound } from "../../provider/ops/poll-rounds";

const CLUSTER = "big";
const CONFIG = {
  clusters: [
    {
      name: CLUSTER,
      maxCount: 1000,
      maxCoreCount: 100000,
      nodearrays: [
        {
          name: "compute",
          maxCount: 1000,
          maxCoreCount: 100000,
          buckets: [{ machineType: "Standard_F2s_v2", vcpuCount: 2, memory: 4, maxCount: 1000 }],
        },
      ],
    },
  ],
};

describe("planRound", () => {
  it.each([
    ["one request: its own listing", [{ kind: "request", requestId: "a", complete: true }], ["a"], false],
    [
      "two requests whose nodes are known: one unfiltered listing",
      [
        { kind: "request", requestId: "a", complete: true },
        { kind: "request", requestId: "b", complete: true },
      ],
      [],
      true,
    ],
    [
      "two asks on one request: one listing of it",
      [
        { kind: "request", requestId: "a", complete: true },
        { kind: "ids", requestIds: ["a"] },
      ],
      ["a"],
      false,
    ],
    [
      "a request whose nodes are not all known is listed by id even with an unfiltered listing",
      [
        { kind: "request", requestId: "a", complete: false },
        { kind: "request", requestId: "b", complete: true },
        { kind: "request", requestId: "c", complete: true },
      ],
      ["a"],
      true,
    ],
    [
      "two requests, one not known: by request (2 calls, not 1 + 1)",
      [
        { kind: "request", requestId: "a", complete: false },
        { kind: "request", requestId: "b", complete: true },
      ],
      ["a", "b"],
      false,
    ],
    ["nodes of no request (adopted by id): unfiltered", [{ kind: "ids", requestIds: [undefined] }], [], true],
  ] as const)("%s", (_name, asks, byRequest, whole) => {
    expect(planRound(asks)).toEqual({ byRequest, whole });
  });
});

describe("PollRounds against the emulator", () => {
  let emu: RunningEmulator;
  let client: CycleCloudClient;
  beforeAll(async () => {
    emu = await startEmulator({
      port: 0,
      timing: { acquiringMs: 60_000, preparingMs: 0, terminatingMs: 0 },
      config: CONFIG,
    });
    client = new CycleCloudClient({
      url: emu.url,
      username: emu.username,
      password: emu.password,
      retries: 0,
    });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  async function create(requestId: string, count: number): Promise<NodeInfo[]> {
    await client.createNodes(CLUSTER, {
      requestId,
      sets: [{ count, nodearray: "compute", definition: { machineType: "Standard_F2s_v2" } }],
    });
    return (await listRequestNodes(client, CLUSTER, requestId)) ?? [];
  }

  it("answers the asks of many sets in one round with one unfiltered listing, each with only its own nodes", async () => {
    const requests = ["r-a-0", "r-b-0", "r-c-0", "r-d-0", "r-e-0"];
    const held = await Promise.all(requests.map((requestId) => create(requestId, 3)));
    await create("someone-else-0", 4);
    const rounds = new PollRounds(client, CLUSTER);
    const before = emu.counters().nodes;
    const answers = await Promise.all(
      requests.map((requestId, i) => rounds.requestNodes(requestId, held[i])),
    );
    expect(emu.counters().nodes - before).toBe(1);
    expect(rounds.stats).toEqual({ rounds: 1, listings: 1 });
    for (const [i, nodes] of answers.entries()) {
      expect(nodes?.map((n) => n.id).sort()).toEqual(held[i]?.map((n) => n.id).sort());
      expect(new Set(nodes?.map((n) => n.requestId))).toEqual(new Set([requests[i]]));
      expect(nodes?.map((n) => n.requestedAt)).toEqual(held[i]?.map((n) => n.requestedAt));
    }
  });

  it("lists a lone request by its id", async () => {
    const held = await create("r-lone-0", 2);
    const rounds = new PollRounds(client, CLUSTER);
    const before = emu.counters().nodes;
    expect(await rounds.requestNodes("r-lone-0", held)).toEqual(held);
    expect(emu.counters().nodes - before).toBe(1);
  });

  it("answers id asks (terminate waits) of several requests with one listing, leaving out gone nodes", async () => {
    const a = await create("r-a-0", 2);
    const b = await create("r-b-0", 2);
    await client.terminateNodes(CLUSTER, { ids: [a[0]?.id ?? ""] });
    const rounds = new PollRounds(client, CLUSTER);
    const before = emu.counters().nodes;
    const [left, right] = await Promise.all([rounds.currentRecords(a), rounds.currentRecords(b)]);
    expect(emu.counters().nodes - before).toBe(1);
    expect(left?.map((n) => n.id)).toEqual([a[1]?.id]);
    expect(right?.map((n) => n.id)).toEqual(b.map((n) => n.id));
  });

  it("asks the request itself when a node it held is missing from the unfiltered listing", async () => {
    const a = await create("r-a-0", 2);
    const b = await create("r-b-0", 2);
    // The waiter believes it holds a node the server never had for it: only its request's listing says.
    const ghost: NodeInfo = { id: "no-such-node", name: "ghost", status: "Acquiring", requestId: "r-a-0" };
    const rounds = new PollRounds(client, CLUSTER);
    const before = emu.counters().nodes;
    const [left] = await Promise.all([
      rounds.requestNodes("r-a-0", [...a, ghost]),
      rounds.requestNodes("r-b-0", b),
    ]);
    expect(emu.counters().nodes - before).toBe(2);
    expect(left?.map((n) => n.id).sort()).toEqual(a.map((n) => n.id).sort());
  });

  it("shares a planned wake-up between sleepers that ask within the flex of their delays", async () => {
    const held = await Promise.all(["r-a-0", "r-b-0"].map((requestId) => create(requestId, 1)));
    const rounds = new PollRounds(client, CLUSTER);
    const before = emu.counters().nodes;
    const first = rounds.sleep(1000).then(() => rounds.requestNodes("r-a-0", held[0]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = rounds.sleep(1000).then(() => rounds.requestNodes("r-b-0", held[1]));
    await Promise.all([first, second]);
    expect(emu.counters().nodes - before).toBe(1);
    expect(rounds.stats).toEqual({ rounds: 1, listings: 1 });
  });
});

describe("PollRounds errors", () => {
  const record = (id: string) => ({ NodeId: id, Name: `n-${id}`, Template: "compute", Status: "Acquiring" });
  /** A client whose unfiltered listing is `whole` and whose listings by request are `byRequest`. */
  function fakeClient(
    whole: () => Promise<NodeList>,
    byRequest: (requestId: string) => Promise<NodeList>,
  ): NodeSetClient & { calls: string[] } {
    const calls: string[] = [];
    const client = {
      calls,
      listNodes: (_cluster: string, options?: { requestId?: string }) => {
        calls.push(options?.requestId ?? "*");
        return options?.requestId ? byRequest(options.requestId) : whole();
      },
    };
    return client as unknown as NodeSetClient & { calls: string[] };
  }
  const known = (requestId: string, id: string): NodeInfo[] => [
    { id, name: `n-${id}`, status: "Acquiring", requestId },
  ];

  it("fails every ask of a round whose listing fails, with the listing's error", async () => {
    const failure = new Error("listing failed");
    const client = fakeClient(
      () => Promise.reject(failure),
      () => Promise.reject(failure),
    );
    const rounds = new PollRounds(client, "c");
    const results = await Promise.allSettled([
      rounds.requestNodes("a", known("a", "1")),
      rounds.requestNodes("b", known("b", "2")),
      rounds.currentRecords(known("c", "3")),
    ]);
    expect(results).toEqual([
      { status: "rejected", reason: failure },
      { status: "rejected", reason: failure },
      { status: "rejected", reason: failure },
    ]);
    expect(client.calls).toEqual(["*"]);
  });

  it("answers from the requests' own listings when the unfiltered one holds a record without NodeId", async () => {
    const client = fakeClient(
      () => Promise.resolve({ nodes: [record("1"), record("2")], unparsedNodes: [{ Name: "mystery" }] }),
      (requestId) =>
        requestId === "a"
          ? Promise.resolve({ nodes: [record("1")], unparsedNodes: [{ Name: "mystery" }] })
          : Promise.resolve({ nodes: [record("2")] }),
    );
    const rounds = new PollRounds(client, "c");
    const [a, b] = await Promise.allSettled([
      rounds.requestNodes("a", known("a", "1")),
      rounds.requestNodes("b", known("b", "2")),
    ]);
    // The record without NodeId is in request a: its listing fails as it always did.
    expect(a.status === "rejected" && a.reason instanceof ResponseValidationError).toBe(true);
    expect(b).toEqual({
      status: "fulfilled",
      value: [{ id: "2", name: "n-2", status: "Acquiring", requestId: "b" }],
    });
    expect(client.calls.sort()).toEqual(["*", "a", "b"]);
  });

  it("answers undefined for a request the server does not know, as its own listing did", async () => {
    const { HttpError } = await import("../../provider/client");
    const unknown = new HttpError({
      method: "GET",
      path: "/clusters/c/nodes?request_id=a",
      status: 404,
      serverMessage: "No operation found for request id a",
    });
    const client = fakeClient(
      () => Promise.resolve({ nodes: [] }),
      () => Promise.reject(unknown),
    );
    const rounds = new PollRounds(client, "c");
    expect(await rounds.requestNodes("a")).toBeUndefined();
    expect(client.calls).toEqual(["a"]);
  });
});
