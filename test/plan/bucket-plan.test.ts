/**
 * The capacity plan's arithmetic and parts (issue 13, item 2): steps from engine events, the
 * per-bucket numbers against a status of the emulator's seed cluster, and the renderings.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator";
import { CycleCloudClient } from "../../provider/client";
import { planBuckets, planChanges } from "../../provider/plan/bucket-plan";
import { previewEventCollector } from "../../provider/plan/engine-steps";
import type { NodeSetStep } from "../../provider/plan/engine-steps";
import { renderMarkdown, renderTable } from "../../provider/plan/render-plan";
import type { ClusterStatus } from "../../provider/schemas";
import { FS, HC, THREE_SET_BUCKETS } from "../fixtures/three-set-plan";

const TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
const urn = (name: string) => `urn:pulumi:dev::proj::${TYPE}::${name}`;
const set = (machineType: string, count: number, extra: Record<string, unknown> = {}) => ({
  cluster: "hpc",
  nodearray: "ondemand",
  machineType,
  count,
  ...extra,
});

/** The seed cluster's status with `hc` Hc44rs and `fs` Fs32_v2 nodes. */
async function seedStatus(hc: number, fs: number): Promise<ClusterStatus> {
  const emulator = await startEmulator({ timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  try {
    const client = new CycleCloudClient({
      url: emulator.url,
      username: emulator.username,
      password: emulator.password,
    });
    for (const [machineType, count] of [
      [HC, hc],
      [FS, fs],
    ] as const) {
      if (count > 0)
        await client.createNodes("hpc", {
          sets: [{ count, nodearray: "ondemand", definition: { machineType } }],
        });
    }
    return await client.getClusterStatus("hpc");
  } finally {
    await emulator.close();
  }
}

function event(
  op: string,
  name: string,
  olds?: Record<string, unknown>,
  news?: Record<string, unknown>,
): EngineEvent {
  const old = olds === undefined ? undefined : { inputs: olds, outputs: { ...olds, nodes: [`${name}-1`] } };
  return {
    sequence: 0,
    timestamp: 0,
    resourcePreEvent: {
      metadata: {
        op: op as never,
        urn: urn(name),
        type: TYPE,
        provider: "",
        ...(old === undefined ? {} : { old: old as never }),
        ...(news === undefined ? {} : { new: { inputs: news } as never }),
      },
    },
  };
}

describe("engine events", () => {
  test("a replacement's three steps make one entry; other resources and non-error diagnostics are left out", () => {
    const collector = previewEventCollector();
    collector.add(event("create-replacement", "a", set(FS, 1), set(HC, 2)));
    collector.add(event("replace", "a", set(FS, 1), set(HC, 2)));
    collector.add(event("delete-replaced", "a", set(FS, 1)));
    collector.add(event("update", "b", set(HC, 1), set(HC, 3)));
    collector.add({
      ...event("create", "c"),
      resourcePreEvent: { metadata: { op: "create", urn: "x", type: "aws:s3:Bucket", provider: "" } },
    });
    collector.add({
      sequence: 1,
      timestamp: 0,
      diagnosticEvent: { urn: urn("d"), message: "refused\n", color: "never", severity: "error" },
    });
    collector.add({
      sequence: 2,
      timestamp: 0,
      diagnosticEvent: { urn: urn("b"), message: "preflight fits", color: "never", severity: "info" },
    });
    expect(
      collector.steps.map(({ name, action, olds, news }) => ({
        name,
        action,
        from: olds?.["count"],
        to: news?.["count"],
      })),
    ).toEqual([
      { name: "a", action: "replace", from: 1, to: 2 },
      { name: "b", action: "update", from: 1, to: 3 },
    ]);
    expect(collector.steps.map((s) => s.oldOutputs?.["nodes"])).toEqual([["a-1"], ["b-1"]]);
    expect([...collector.errors]).toEqual([[urn("d"), ["refused"]]]);
  });
});

describe("bucket numbers", () => {
  const step = (
    name: string,
    action: NodeSetStep["action"],
    olds?: Record<string, unknown>,
    news?: Record<string, unknown>,
  ): NodeSetStep => ({
    urn: urn(name),
    name,
    action,
    olds,
    news,
  });

  test("increases in one bucket add up; the binding limit is the nodearray's cores; a shrink elsewhere raises what is left after", async () => {
    // Hc44rs 1, Fs32_v2 3: the nodearray's 500 cores leave (500 - 140) / 44 = 8 Hc44rs.
    const statuses = new Map([["hpc", await seedStatus(1, 3)]]);
    const steps = [
      step("grown", "update", set(HC, 1), set(HC, 3)),
      step("shrunk", "update", set(FS, 2), set(FS, 1)),
      step("replaced", "replace", set(FS, 1), set(HC, 2)),
    ];
    expect(planBuckets(steps, statuses)).toEqual(THREE_SET_BUCKETS);
    expect(planChanges(steps, statuses, new Map()).map((c) => [c.name, c.action, c.from, c.to])).toEqual([
      ["grown", "update", 1, 3],
      ["shrunk", "update", 2, 1],
      ["replaced", "replace", 1, 2],
    ]);
  });

  test("an increase that does not fit: what is left after is negative, the shortfall", async () => {
    const statuses = new Map([["hpc", await seedStatus(0, 0)]]);
    const buckets = planBuckets([step("big", "create", undefined, set(HC, 12))], statuses);
    expect(buckets).toEqual([
      {
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        availableNow: 11,
        requested: 12,
        availableAfter: -1,
        bindingLimit: "bucket availableCount",
        fits: false,
      },
    ]);
  });

  test("the user's refused plan: available after = now + freed - requested, the same however the steps come", async () => {
    // Hc44rs 5 (220 cores) and Fs32_v2 3 (96): (500 - 316) / 44 = 4 more Hc44rs now.
    const statuses = new Map([["hpc", await seedStatus(5, 3)]]);
    const steps = [
      step("pgs", "update", set(HC, 3), set(HC, 9)),
      step(
        "ad",
        "replace",
        set(HC, 2, { nodeAttributes: { a: "1" } }),
        set(HC, 2, { nodeAttributes: { a: "2" } }),
      ),
      step("sm", "update", set(FS, 2), set(FS, 1)),
    ];
    const expected = [
      // Fs32_v2: full now (maxCount 3); sm frees 1, but Hc44rs's 8 new nodes take the
      // nodearray's cores (11 Hc44rs and 2 Fs32_v2 = 548 > 500): nothing is left for it.
      { machineType: FS, availableNow: 0, requested: 0, availableAfter: 0, fits: true },
      // Hc44rs: 6 (pgs) + 2 (ad's new nodes) requested; ad's 2 old Hc44rs and sm's Fs32_v2
      // (32 cores) free (500 - 316 + 88 + 32) / 44 = 6, so 6 - 8 = -2: short by 2.
      { machineType: HC, availableNow: 4, requested: 8, availableAfter: -2, fits: false },
    ];
    const numbers = (order: NodeSetStep[]) =>
      planBuckets(order, statuses).map(({ machineType, availableNow, requested, availableAfter, fits }) => ({
        machineType,
        availableNow,
        requested,
        availableAfter,
        fits,
      }));
    expect(numbers(steps)).toEqual(expected);
    expect(numbers([...steps].reverse())).toEqual(expected);
  });

  test("an update that re-creates failed and missing nodes requests them (count unchanged)", async () => {
    // Hc44rs 4 in the cluster: 2 ready, 1 failed (terminated first, freeing its room), 1 missing
    // from state; the set keeps count 4, so the update creates 2.
    const statuses = new Map([["hpc", await seedStatus(4, 0)]]);
    const node = (name: string, status: string) => ({ id: name, name, status, privateIp: "10.0.0.1" });
    const outputs = {
      ...set(HC, 4),
      nodes: [node("n1", "Ready"), node("n2", "Ready"), node("n3", "Failed")],
    };
    const healing: NodeSetStep = { ...step("heal", "update", set(HC, 4), set(HC, 4)), oldOutputs: outputs };
    // Hc44rs 4 now (176 cores): (500 - 176) / 44 = 7 more, and 1 more once the failed node goes.
    expect(planBuckets([healing], statuses)).toEqual([
      {
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        availableNow: 7,
        requested: 2,
        availableAfter: 6,
        bindingLimit: "bucket availableCount",
        fits: true,
      },
    ]);
    // Without outputs (an old event), the count is all the plan knows: nothing requested.
    expect(planBuckets([step("heal", "update", set(HC, 4), set(HC, 4))], statuses)).toEqual([]);
  });

  test("the warm pool: started nodes request no room; a deallocating shrink frees none; stuck nodes are re-created", async () => {
    const statuses = new Map([["hpc", await seedStatus(4, 0)]]);
    const node = (name: string, status: string, requestedAt?: string) => ({
      id: name,
      name,
      status,
      privateIp: "10.0.0.1",
      ...(requestedAt === undefined ? {} : { requestedAt }),
    });
    const heal = (olds: number, news: Record<string, unknown>, nodes: unknown[], now?: number) => {
      const healing: NodeSetStep = {
        ...step("pool", "update", set(HC, olds), news),
        oldOutputs: { ...set(HC, olds), nodes },
      };
      return planBuckets([healing], statuses, now)[0];
    };
    const pool = [node("n1", "Ready"), node("n2", "Deallocated"), node("n3", "Deallocated")];
    // count 1 -> 4: two nodes started from the pool, one created.
    expect(heal(1, set(HC, 4), pool)).toMatchObject({ requested: 1, availableNow: 7, availableAfter: 6 });
    // count 1 -> 3: the pool covers it: nothing requested, nothing freed, so no bucket row.
    expect(heal(1, set(HC, 3), pool)).toBeUndefined();
    const three = [node("n1", "Ready"), node("n2", "Ready"), node("n3", "Ready")];
    // A shrink 3 -> 1 frees 2 when it terminates, none when it deallocates.
    expect(heal(3, set(HC, 1), three)).toMatchObject({ requested: 0, availableAfter: 9 });
    expect(heal(3, set(HC, 1, { scaleDown: "deallocate" }), three)).toBeUndefined();
    // A node still acquiring past readyTimeoutSeconds is terminated and re-created (count unchanged).
    const started = "2026-11-30T00:00:00.000Z";
    const acquiring = [node("n1", "Ready"), node("n2", "Acquiring", started)];
    const at = (seconds: number) => Date.parse(started) + seconds * 1000;
    expect(heal(2, set(HC, 2, { readyTimeoutSeconds: 600 }), acquiring, at(60))).toBeUndefined();
    expect(heal(2, set(HC, 2, { readyTimeoutSeconds: 600 }), acquiring, at(601))).toMatchObject({
      requested: 1,
      availableAfter: 7,
    });
  });

  test("deleteBeforeReplace frees the old nodes before the new ones are counted", async () => {
    // Fs32_v2 bucket full (3 of 3): replacing a set of 3 by another of 3 fits only delete-first.
    const statuses = new Map([["hpc", await seedStatus(0, 3)]]);
    const old = set(FS, 3, { nodeAttributes: { Tags: { v: "1" } } });
    const create = (extra: Record<string, unknown>) =>
      planBuckets([step("s", "replace", old, set(FS, 3, extra))], statuses)[0];
    expect(create({})).toMatchObject({ requested: 3, fits: false });
    expect(create({ deleteBeforeReplace: true })).toMatchObject({
      requested: 3,
      fits: true,
      availableAfter: 0,
    });
  });
});

describe("rendering", () => {
  const plan = {
    stack: "prod",
    fits: false,
    changes: [
      {
        name: "w|1",
        urn: urn("w"),
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        action: "update" as const,
        from: 1,
        to: 12,
        error: "does not fit\nat all",
      },
    ],
    buckets: [
      {
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        availableNow: 5,
        requested: 11,
        availableAfter: 5,
        bindingLimit: "nodearray maxCoreCount",
        fits: false,
      },
    ],
  };

  test("Markdown: tables with escaped cells, the verdict, the error quoted", () => {
    const text = renderMarkdown(plan);
    expect(text).toContain("### Capacity plan of stack `prod`: **does not fit**");
    expect(text).toContain("| `w\\|1` | hpc | ondemand | Standard_Hc44rs | update | 1 | 12 |");
    expect(text).toContain("| hpc | ondemand | Standard_Hc44rs | 5 | 11 | 5 | nodearray maxCoreCount | NO |");
    expect(text).toContain("> `w|1: does not fit at all`");
  });

  test("terminal table: aligned columns", () => {
    const lines = renderTable(plan).split("\n");
    const header = lines.find((line) => line.startsWith("cluster"));
    const row = lines.find((line) => line.startsWith("hpc"));
    expect(header?.indexOf("binding limit")).toBe(row?.indexOf("nodearray maxCoreCount"));
  });
});
