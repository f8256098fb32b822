/**
 * The provider against wire shapes the 8.x reference allows but the emulator does not send (yet),
 * put in by a proxy that rewrites the emulator's answers: an unfiltered node listing with a head
 * node and records missing fields, a never-started cluster (no `state`), a terminate answer
 * without per-node `status`, and the family/regional/spot quota fields of the status.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { getClusterStatus } from "../../provider";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  checked,
  createOutside,
  declare,
  freshProvider,
  liveNodes,
  output,
  provider,
  startTestEmulator,
} from "./harness";
import type { RewritingProxy } from "./rewriting-proxy";
import { startRewritingProxy } from "./rewriting-proxy";

let emu: RunningEmulator;
let proxy: RewritingProxy;

beforeAll(async () => {
  emu = await startTestEmulator();
  proxy = await startRewritingProxy(emu.url);
});
afterAll(async () => {
  await proxy.close();
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  proxy.rewrite = () => undefined;
  freshProvider();
  const config: Record<string, string> = {
    "cyclecloud:url": proxy.url,
    "cyclecloud:username": emu.username,
    "cyclecloud:password": emu.password,
  };
  await provider.configure({
    config: { get: (key: string) => config[key], require: (key: string) => config[key] ?? "" },
  });
});

const headNodes = [
  {
    Name: "scheduler",
    NodeId: "head-1",
    Template: "scheduler",
    Status: "Started",
    Hostname: null,
    PrivateIp: null,
  },
  { Name: "proxy", NodeId: "head-2", Template: "proxy", Status: "Off" },
];
const oddRecords = [
  { Name: "login-1", Template: "login", Status: "Ready" },
  { Name: "odd", NodeId: 7, Template: ["x"], Status: null },
];

/** Adds a head node and odd records to every unfiltered listing. */
function withOtherNodes(method: string, path: string, body: unknown): unknown {
  if (method !== "GET" || path !== "/clusters/hpc/nodes") return undefined;
  const list = body as { nodes: unknown[] };
  return { ...list, nodes: [headNodes[0], ...list.nodes, ...oddRecords, headNodes[1]] };
}

describe("an unfiltered listing with a head node and records missing fields", () => {
  it("adopts by id, refreshes and deletes, reading only the set's own records", async () => {
    proxy.rewrite = withOtherNodes;
    await createOutside(emu, "outside-1", 2, "Standard_Fs32_v2");
    const ids = emu.nodes().map((n) => n.record.NodeId);
    const inputs = await checked(declare({ count: 2, adoptExisting: { nodeIds: ids } }));
    const { id, outs } = await provider.create(inputs);
    const state = outs as NodeSetState;
    expect([...state.nodeIds].sort()).toEqual([...ids].sort());
    const refreshed = (await provider.read(id, state)).props as NodeSetState;
    expect(refreshed.nodes.map((node) => node.name)).toEqual(["ondemand-1", "ondemand-2"]);
    await provider.delete(id, refreshed);
    expect(liveNodes(emu, ["outside-1"])).toEqual([]);
  });

  it("refuses to adopt a head node, naming its nodearray", async () => {
    proxy.rewrite = withOtherNodes;
    // `preflight: "off"`: create refuses it all the same (the check would refuse it first).
    const inputs = await checked(
      declare({ count: 1, preflight: "off", adoptExisting: { nodeIds: ["head-1"] } }),
    );
    await expect(provider.create(inputs)).rejects.toThrow(
      "`adoptExisting`: cannot adopt scheduler: it is not in a nodearray of cluster 'hpc' (a head node or other standalone node)",
    );
  });

  it("names what is wrong when a record of a node the set adopts cannot be read", async () => {
    await createOutside(emu, "outside-2", 1, "Standard_Fs32_v2");
    const [node] = emu.nodes();
    proxy.rewrite = (method, path, body) => {
      if (method !== "GET" || path !== "/clusters/hpc/nodes") return undefined;
      const list = body as { nodes: Record<string, unknown>[] };
      return {
        nodes: list.nodes.map((n) => (n["NodeId"] === node?.record.NodeId ? { ...n, Status: 3 } : n)),
      };
    };
    const inputs = await checked(
      declare({ count: 1, preflight: "off", adoptExisting: { nodeIds: [node?.record.NodeId] } }),
    );
    await expect(provider.create(inputs)).rejects.toThrow(
      "the body is not a valid NodeList: node record ondemand-1: Status: expected string, got number",
    );
  });
});

describe("a terminate answer without per-node status", () => {
  it("counts the nodes as terminated (status is optional; absent is not an error)", async () => {
    proxy.rewrite = (method, path, body) => {
      if (method !== "POST" || path !== "/clusters/hpc/nodes/terminate") return undefined;
      const result = body as { operationId: string; nodes: { id: string; name: string }[] };
      return { operationId: result.operationId, nodes: result.nodes.map(({ id, name }) => ({ id, name })) };
    };
    const inputs = await checked(declare({ count: 2 }));
    const { id, outs } = await provider.create(inputs);
    const state = outs as NodeSetState;
    await provider.delete(id, state);
    expect(liveNodes(emu, state.requestIds)).toEqual([]);
  });
});

/** Rewrites the status answer: `edit` gets it and changes it in place. */
function status(
  edit: (
    s: Record<string, unknown> & {
      nodearrays: { buckets: Record<string, unknown>[]; nodearray?: Record<string, unknown> }[];
    },
  ) => void,
) {
  return (method: string, path: string, body: unknown): unknown => {
    if (method !== "GET" || !path.startsWith("/clusters/hpc/status")) return undefined;
    const copy = structuredClone(body) as Parameters<typeof edit>[0];
    edit(copy);
    return copy;
  };
}

describe("preflight on what a real server sends", () => {
  it("works on a cluster that never started (no state, no targetState)", async () => {
    proxy.rewrite = status((s) => {
      delete s["state"];
      delete s["targetState"];
    });
    await checked(declare({ count: 2 }));
    expect(
      output.info.some((line) => line.includes("preflight hpc/ondemand Standard_Fs32_v2: +2 requested")),
    ).toBe(true);
  });

  it("works on buckets without definition", async () => {
    proxy.rewrite = status((s) => {
      for (const nodearray of s.nodearrays)
        for (const bucket of nodearray.buckets) delete bucket["definition"];
    });
    const result = await provider.check({}, declare({ count: 2 }));
    expect(result.failures).toEqual([
      {
        property: "machineType",
        reason:
          "preflight hpc/ondemand Standard_Fs32_v2: +2 requested, none can be added: machine type 'Standard_Fs32_v2' is not offered by nodearray " +
          "'ondemand' (machine types: (a bucket without definition), (a bucket without definition))",
      },
    ]);
    await checked(declare({ count: 2, machineType: undefined }));
  });

  it("lets a placement group on a size without InfiniBand through, with a warning", async () => {
    await checked(declare({ count: 2, placementGroupId: "pg-eth" }));
    expect(output.info.map((line) => line.replace(/^cyclecloud set[\d-]+: /, ""))).toContain(
      "warning: preflight hpc/ondemand: `placementGroupId` 'pg-eth' on Standard_Fs32_v2, which has no InfiniBand: CycleCloud accepts it " +
        "and keeps the nodes in one placement group (placement groups are required for InfiniBand, not restricted to it)",
    );
  });

  it("refuses an increase a family quota cannot hold, naming the quota, its numbers and the fix", async () => {
    proxy.rewrite = status((s) => {
      const hc = s.nodearrays[0]?.buckets[1];
      if (hc)
        Object.assign(hc, { familyQuotaCount: 20, familyQuotaCoreCount: 880, familyConsumedCoreCount: 528 });
    });
    const result = await provider.check({}, declare({ count: 12, machineType: "Standard_Hc44rs" }));
    expect(result.failures).toEqual([
      {
        property: "count",
        reason:
          "preflight hpc/ondemand Standard_Hc44rs: +12 requested, 8 available (binding limit: family quota standardHCSFamily, 352 of 880 cores free, " +
          "0 free after 8 nodes) - does not fit: lower `count` to at most 8, raise the subscription's standardHCSFamily vCPU quota in " +
          "westus2 (familyQuotaCoreCount 880, familyConsumedCoreCount 528; Azure portal > Quotas > Compute), or set " +
          '`preflight: "warn"` to try anyway',
      },
    ]);
  });

  it("charges two sets of one plan in two nodearrays of one family to the same family quota", async () => {
    proxy.rewrite = status((s) => {
      const ondemand = s.nodearrays[0] as { name: string; buckets: Record<string, unknown>[] };
      const hc = { ...ondemand.buckets[1], familyQuotaCoreCount: 440, familyConsumedCoreCount: 0 };
      ondemand.buckets[1] = hc;
      s.nodearrays.push({
        ...structuredClone(ondemand),
        name: "burst",
        buckets: [{ ...hc, bucketId: "burst-hc" }],
      } as never);
    });
    await checked(declare({ name: "ondemand-set", count: 6, machineType: "Standard_Hc44rs" }));
    const result = await provider.check(
      {},
      declare({ count: 5, nodearray: "burst", machineType: "Standard_Hc44rs" }),
    );
    expect(result.failures?.[0]?.reason).toMatch(
      /^preflight hpc\/burst Standard_Hc44rs: \+5 requested, 4 available \(binding limit: family quota standardHCSFamily, 176 of 440 cores free, 0 free after 4 nodes\) - does not fit \(after 6 node\(s\) for other sets of this plan: 6 for ondemand-set\): lower `count` to at most 4, raise/,
    );
  });

  it("checks a spot nodearray against the spot quota, not its zeroed family quota", async () => {
    proxy.rewrite = status((s) => {
      const ondemand = s.nodearrays[0];
      if (!ondemand) return;
      ondemand.nodearray = { ...ondemand.nodearray, Interruptible: true, Region: "eastus" };
      Object.assign(ondemand.buckets[1] ?? {}, {
        familyQuotaCount: 0,
        familyQuotaCoreCount: 0,
        familyConsumedCoreCount: 0,
        quotaCount: 0,
        quotaCoreCount: 0,
        regionalQuotaCount: 10,
        regionalQuotaCoreCount: 220,
        regionalConsumedCoreCount: 44,
      });
    });
    await checked(declare({ count: 4, machineType: "Standard_Hc44rs" }));
    const result = await provider.check({}, declare({ count: 5, machineType: "Standard_Hc44rs" }));
    expect(result.failures?.[0]?.reason).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+5 requested, 0 available \(binding limit: spot quota eastus, 0 of 220 cores free, 0 free after 0 nodes\)/,
    );
  });
});

describe("getClusterStatus on what a real server sends", () => {
  it("returns a never-started cluster's status with its head node, odd records kept apart, and the quota fields", async () => {
    await createOutside(emu, "outside-3", 1, "Standard_Hc44rs");
    proxy.rewrite = (method, path, body) => {
      if (method !== "GET" || !path.startsWith("/clusters/hpc/status")) return undefined;
      const copy = structuredClone(body) as Record<string, unknown> & {
        nodes?: unknown[];
        nodearrays: { buckets: Record<string, unknown>[] }[];
      };
      delete copy["state"];
      delete copy["targetState"];
      copy.nodes = [headNodes[0], ...(copy.nodes ?? []), ...oddRecords];
      Object.assign(copy.nodearrays[0]?.buckets[1] ?? {}, {
        familyQuotaCoreCount: 880,
        familyConsumedCoreCount: 44,
        regionalQuotaCoreCount: 2000,
        regionalConsumedCoreCount: 100,
      });
      return copy;
    };
    const status = await getClusterStatus({
      cluster: "hpc",
      nodes: true,
      connection: { url: proxy.url, username: emu.username, password: emu.password },
    });
    expect(status.state).toBeUndefined();
    expect(status.nodes?.map((n) => [n.Name, n.Template, n.Status])).toEqual([
      ["scheduler", "scheduler", "Started"],
      ["ondemand-1", "ondemand", expect.any(String)],
    ]);
    expect(status.unparsedNodes).toEqual(oddRecords);
    const hc = status.nodearrays[0]?.buckets[1];
    expect([hc?.familyQuotaCoreCount, hc?.familyConsumedCoreCount, hc?.regionalQuotaCoreCount]).toEqual([
      880, 44, 2000,
    ]);
  });
});
