/**
 * Quotas above the bucket (issue 11, point 11): family quotas shared by every bucket naming the
 * family, regional quotas shared by every regular bucket of the region (head nodes included),
 * spot (Interruptible) nodearrays on their own regional spot quota, and availableCount and create
 * bound by every layer.
 */
import { describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator";
import type { EmulatorConfig } from "../../emulator";
import { EmulatorConfigError } from "../../emulator/config/config";
import { ClusterStatusSchema, NodeCreationResultSchema } from "../../wire/schemas";
import type { Bucket } from "../../wire/schemas";
import { parseWith, useEmulator } from "./helpers";

const HC = { machineType: "Standard_HC44rs", vcpuCount: 44, memory: 352, maxCount: 10 };

const QUOTAS: EmulatorConfig = {
  clusters: [
    {
      name: "q",
      maxCount: 100,
      maxCoreCount: 10000,
      quotas: {
        families: { standardHCFamily: { coreCount: 176, consumedCoreCount: 44 } },
        regions: {
          eastus: { coreCount: 300, consumedCoreCount: 100, spotCoreCount: 64, spotConsumedCoreCount: 16 },
        },
      },
      nodes: [
        { name: "scheduler", machineType: "Standard_D4s_v3", vcpuCount: 4, memory: 16, region: "eastus" },
      ],
      nodearrays: [
        {
          name: "hpc",
          maxCount: 100,
          maxCoreCount: 5000,
          region: "eastus",
          buckets: [{ ...HC, family: "standardHCFamily" }],
        },
        {
          name: "hpc2",
          maxCount: 100,
          maxCoreCount: 5000,
          region: "eastus",
          buckets: [{ ...HC, family: "standardHCFamily" }],
        },
        {
          name: "spot",
          maxCount: 100,
          maxCoreCount: 5000,
          region: "eastus",
          attributes: { Interruptible: true },
          buckets: [{ machineType: "Standard_F16s_v2", vcpuCount: 16, memory: 32, maxCount: 10 }],
        },
        {
          name: "big",
          maxCount: 100,
          maxCoreCount: 5000,
          region: "eastus",
          buckets: [{ machineType: "Standard_D64s_v3", vcpuCount: 64, memory: 256, maxCount: 10 }],
        },
      ],
    },
  ],
};

const env = useEmulator({ config: QUOTAS });

async function buckets(): Promise<Record<string, Bucket>> {
  const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/q/status")).json);
  return Object.fromEntries(
    status.nodearrays.map((nodearray) => [nodearray.name, nodearray.buckets[0] as Bucket]),
  );
}

function quota(bucket: Bucket | undefined) {
  return (
    bucket && {
      available: bucket.availableCount,
      quota: [bucket.quotaCount, bucket.quotaCoreCount, bucket.consumedCoreCount],
      family: [bucket.familyQuotaCount, bucket.familyQuotaCoreCount, bucket.familyConsumedCoreCount],
      regional: [bucket.regionalQuotaCount, bucket.regionalQuotaCoreCount, bucket.regionalConsumedCoreCount],
    }
  );
}

async function create(nodearray: string, count: number) {
  const reply = await env.http.post("/clusters/q/nodes/create", { sets: [{ count, nodearray }] });
  expect(reply.status).toBe(202);
  return parseWith(NodeCreationResultSchema, reply.json).sets;
}

describe("family, regional and spot quotas", () => {
  test("the status reports every layer, shared per family and region; availableCount is bound by all", async () => {
    const initial = await buckets();
    // Family: 176 - 44 = 132 cores free (3 nodes); region: 300 - 100 - 4 (head node) = 196 (4 nodes).
    expect(quota(initial["hpc"])).toEqual({
      available: 3,
      quota: [4, 176, 44],
      family: [4, 176, 44],
      regional: [6, 300, 104],
    });
    expect(quota(initial["hpc2"])).toEqual(quota(initial["hpc"]));
    // Spot: the family fields are 0 and the regional fields carry the spot quota.
    expect(quota(initial["spot"])).toEqual({
      available: 3,
      quota: [4, 64, 16],
      family: [0, 0, 0],
      regional: [4, 64, 16],
    });
    // No family configured: the bucket is its own family (quotaCount 10, 640 cores); the combined
    // quotaCoreCount is cut to what the region leaves, 196 cores: 3 nodes.
    expect(quota(initial["big"])).toEqual({
      available: 3,
      quota: [10, 196, 0],
      family: [10, 640, 0],
      regional: [4, 300, 104],
    });

    expect(await create("hpc", 2)).toEqual([{ added: 2 }]);
    const after = await buckets();
    // Both HC buckets see the family's use; the region's use grows for every regular bucket.
    expect(quota(after["hpc2"])).toEqual({
      available: 1,
      quota: [4, 176, 132],
      family: [4, 176, 132],
      regional: [6, 300, 192],
    });
    expect(quota(after["big"])?.regional).toEqual([4, 300, 192]);
    // Spot quota is apart from the regular regional quota.
    expect(quota(after["spot"])?.regional).toEqual([4, 64, 16]);
  });

  test("a create over the family quota adds fewer and names the family", async () => {
    await create("hpc", 2);
    expect(await create("hpc2", 2)).toEqual([
      {
        added: 1,
        message: "Added 1 of 2 requested nodes: family standardHCFamily quota of 176 cores reached",
      },
    ]);
    expect(quota((await buckets())["hpc"])?.available).toBe(0);
  });

  test("a create over the regional quota adds fewer and names the region", async () => {
    await create("hpc", 3);
    // 300 - 100 - 4 - 132 = 64 cores left in the region: one Standard_D64s_v3.
    expect(await create("big", 2)).toEqual([
      { added: 1, message: "Added 1 of 2 requested nodes: region eastus quota of 300 cores reached" },
    ]);
  });

  test("a spot create is bound by the regional spot quota only", async () => {
    await create("hpc", 3);
    expect(await create("spot", 4)).toEqual([
      { added: 3, message: "Added 3 of 4 requested nodes: region eastus spot quota of 64 cores reached" },
    ]);
    const after = await buckets();
    expect(quota(after["spot"])).toEqual({
      available: 0,
      quota: [4, 64, 64],
      family: [0, 0, 0],
      regional: [4, 64, 64],
    });
    expect(quota(after["hpc"])?.regional).toEqual([6, 300, 236]);
  });

  test("terminated nodes give their quota back", async () => {
    await create("hpc", 3);
    await env.http.post("/clusters/q/nodes/terminate", { names: ["hpc-1", "hpc-2"] });
    expect(quota((await buckets())["hpc2"])).toMatchObject({ available: 2, family: [4, 176, 88] });
  });
});

describe("quota config errors name the path", () => {
  const base = (cluster: Record<string, unknown>): EmulatorConfig =>
    ({ clusters: [{ name: "a", maxCount: 1, maxCoreCount: 1, ...cluster }] }) as unknown as EmulatorConfig;
  const bucket = { machineType: "X", vcpuCount: 1, memory: 1, maxCount: 1 };

  test.each([
    [
      "a family without a quota",
      base({
        nodearrays: [{ name: "n", maxCount: 1, maxCoreCount: 1, buckets: [{ ...bucket, family: "f" }] }],
      }),
      'clusters[0].nodearrays[0].buckets[0].family: family "f" has no quota: add it to clusters[0].quotas.families',
    ],
    [
      "a family bucket with its own quota",
      base({
        quotas: { families: { f: { coreCount: 8 } } },
        nodearrays: [
          {
            name: "n",
            maxCount: 1,
            maxCoreCount: 1,
            buckets: [{ ...bucket, family: "f", quotaCoreCount: 4 }],
          },
        ],
      }),
      'clusters[0].nodearrays[0].buckets[0].quotaCoreCount: a bucket of family "f" uses quotas.families.f, not quotaCoreCount',
    ],
    [
      "a spot bucket with its own quota",
      base({
        nodearrays: [
          {
            name: "n",
            maxCount: 1,
            maxCoreCount: 1,
            attributes: { Interruptible: true },
            buckets: [{ ...bucket, quotaCount: 1 }],
          },
        ],
      }),
      "clusters[0].nodearrays[0].buckets[0].quotaCount: a bucket of an Interruptible (spot) nodearray uses the regional spot quota",
    ],
    [
      "a head node named like a nodearray, with an unknown family",
      base({
        nodes: [{ name: "n", machineType: "Y", vcpuCount: 2, memory: 1, family: "g" }],
        nodearrays: [{ name: "n", maxCount: 1, maxCoreCount: 1, buckets: [bucket] }],
      }),
      'clusters[0].nodes[0].name: duplicate node or nodearray name "n"; clusters[0].nodes[0].family: family "g" has no quota',
    ],
    [
      "a negative regional quota",
      base({ quotas: { regions: { eastus: { spotCoreCount: -1 } } }, nodearrays: [] }),
      "clusters[0].quotas.regions.eastus.spotCoreCount: Too small",
    ],
  ])("%s", async (_name, config, message) => {
    const rejection = startEmulator({ port: 0, config });
    await expect(rejection).rejects.toThrow(EmulatorConfigError);
    await expect(rejection).rejects.toThrow(message);
  });
});

describe("POST /__emulator/quotas", () => {
  test("changes a family's or a region's quota and answers the status; reset restores the config", async () => {
    const family = await env.http.admin("POST", "/quotas", {
      cluster: "q",
      family: "standardHCFamily",
      coreCount: 88,
    });
    expect(family.status).toBe(200);
    const hpc = parseWith(ClusterStatusSchema, family.json).nodearrays[0]?.buckets[0];
    // 88 - 44 consumed elsewhere: one node.
    expect(quota(hpc)).toMatchObject({ available: 1, family: [2, 88, 44] });

    const region = await env.http.admin("POST", "/quotas", {
      cluster: "q",
      region: "eastus",
      spotCoreCount: 16,
    });
    const spot = parseWith(ClusterStatusSchema, region.json).nodearrays[2]?.buckets[0];
    expect(quota(spot)).toMatchObject({ available: 0, regional: [1, 16, 16] });
    // A region without configured quota starts from the defaults.
    await env.http.admin("POST", "/quotas", { cluster: "q", region: "westus", consumedCoreCount: 10 });

    env.emulator.reset();
    expect(quota((await buckets())["hpc"])).toMatchObject({ available: 3, family: [4, 176, 44] });
  });

  test("rejects a change that names no quota, an unknown family or spot fields on a family", async () => {
    const errors = await Promise.all([
      env.http.admin("POST", "/quotas", { cluster: "q", coreCount: 1 }),
      env.http.admin("POST", "/quotas", { cluster: "q", family: "f", region: "eastus" }),
      env.http.admin("POST", "/quotas", { cluster: "q", family: "nope", coreCount: 1 }),
      env.http.admin("POST", "/quotas", { cluster: "q", family: "standardHCFamily", spotCoreCount: 1 }),
      env.http.admin("POST", "/quotas", { cluster: "q", region: "eastus", coreCount: -1 }),
    ]);
    expect(errors.map((reply) => reply.status)).toEqual([400, 400, 404, 400, 400]);
    expect((errors[2]?.json as { error: string }).error).toBe(
      "Family nope has no quota in cluster q: families come from the config",
    );
  });
});
