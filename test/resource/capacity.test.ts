import { describe, expect, it } from "vitest";
import {
  capacityFit,
  describeFit,
  findBucket,
  maxNodesThatFit,
  withAddedNodes,
} from "../../provider/capacity/index";
import type { Bucket, NodearrayStatus } from "../../wire/schemas";
import { azureQuotaFamilyOf } from "../../wire/util/vm-family";
import { bucket, seedStatus } from "./fixtures";

const hc = { nodearray: "ondemand", machineType: "Standard_Hc44rs" };

describe("capacityFit", () => {
  it("fits 4 Hc44rs nodes in the seed cluster, bound by the bucket's availableCount", () => {
    const fit = capacityFit(seedStatus(), hc, 4);
    expect(fit.fits).toBe(true);
    expect(fit.available).toBe(11);
    expect(fit.binding).toEqual({ name: "bucket availableCount", nodes: 11 });
    expect(fit.limits).toEqual([
      { name: "bucket availableCount", nodes: 11 },
      { name: "bucket availableCoreCount", nodes: 11 },
      { name: "nodearray maxCount", nodes: 100 },
      { name: "nodearray maxCoreCount", nodes: 11 },
      { name: "cluster maxCount", nodes: 100 },
      { name: "cluster maxCoreCount", nodes: 227 },
      {
        name: "combined quota standardHCSFamily",
        nodes: 199,
        detail: "8756 of 8800 cores free, 0 free after 199 nodes",
        fix: "raise the subscription's standardHCSFamily or regional vCPU quota in the cluster's region (quotaCoreCount 8800, consumedCoreCount 44; Azure portal > Quotas > Compute)",
      },
      {
        name: "combined quota standardHCSFamily (quotaCount)",
        nodes: 200,
        fix: "raise the subscription's standardHCSFamily or regional vCPU quota in the cluster's region (quotaCount 200; Azure portal > Quotas > Compute)",
      },
    ]);
    expect(fit.warnings).toEqual([]);
  });

  const table: { limit: string; status: ReturnType<typeof seedStatus>; spec?: object; available: number }[] =
    [
      {
        limit: "bucket availableCount",
        status: seedStatus({
          nodearrays: [
            {
              name: "ondemand",
              maxCount: 100,
              maxCoreCount: 5000,
              buckets: [bucket({ machineType: "Standard_Hc44rs", availableCount: 2 })],
            },
          ],
        }),
        available: 2,
      },
      {
        limit: "bucket availableCoreCount",
        status: seedStatus({
          nodearrays: [
            {
              name: "ondemand",
              maxCount: 100,
              maxCoreCount: 5000,
              buckets: [bucket({ machineType: "Standard_Hc44rs", availableCoreCount: 100 })],
            },
          ],
        }),
        available: 2,
      },
      {
        limit: "nodearray maxCount",
        status: seedStatus({
          nodearrays: [
            {
              name: "ondemand",
              maxCount: 5,
              maxCoreCount: 5000,
              buckets: [bucket({ machineType: "Standard_Hc44rs", activeCount: 2, activeCoreCount: 88 })],
            },
          ],
        }),
        available: 3,
      },
      {
        limit: "nodearray maxCoreCount",
        status: seedStatus({
          nodearrays: [
            {
              name: "ondemand",
              maxCount: 100,
              maxCoreCount: 200,
              buckets: [bucket({ machineType: "Standard_Hc44rs", activeCount: 1, activeCoreCount: 44 })],
            },
          ],
        }),
        available: 3,
      },
      { limit: "cluster maxCount", status: seedStatus({ maxCount: 1 }), available: 1 },
      { limit: "cluster maxCoreCount", status: seedStatus({ maxCoreCount: 100 }), available: 2 },
      {
        limit: "placement group 'pg0' size",
        status: seedStatus({
          nodearrays: [
            {
              name: "ondemand",
              maxCount: 100,
              maxCoreCount: 5000,
              buckets: [
                bucket({
                  machineType: "Standard_Hc44rs",
                  maxPlacementGroupSize: 6,
                  placementGroups: [{ name: "pg0", activeCount: 4, activeCoreCount: 176 }],
                }),
              ],
            },
          ],
        }),
        spec: { placementGroupId: "pg0" },
        available: 2,
      },
      {
        limit: "placement group 'pg0' core size",
        status: seedStatus({
          nodearrays: [
            {
              name: "ondemand",
              maxCount: 100,
              maxCoreCount: 5000,
              buckets: [bucket({ machineType: "Standard_Hc44rs", maxPlacementGroupCoreSize: 132 })],
            },
          ],
        }),
        spec: { placementGroupId: "pg0" },
        available: 3,
      },
    ];
  for (const row of table) {
    it(`reports ${row.limit} as the binding limit when it is the smallest`, () => {
      const fit = capacityFit(row.status, { ...hc, ...row.spec }, row.available + 1);
      expect(fit.fits).toBe(false);
      expect(fit.available).toBe(row.available);
      expect(fit.binding?.name).toBe(row.limit);
      expect(capacityFit(row.status, { ...hc, ...row.spec }, row.available).fits).toBe(true);
    });
  }

  it("refuses an invalid bucket and says why", () => {
    const status = seedStatus({
      nodearrays: [
        {
          name: "ondemand",
          maxCount: 100,
          maxCoreCount: 500,
          buckets: [
            bucket({ machineType: "Standard_Hc44rs", valid: false, invalidReason: "DisabledMachineType" }),
          ],
        },
      ],
    });
    expect(capacityFit(status, hc, 1)).toEqual({
      fits: false,
      requested: 1,
      available: 0,
      bucket: status.nodearrays[0]?.buckets[0],
      problemField: "machineType",
      problem:
        "bucket Standard_Hc44rs of nodearray 'ondemand' is not valid (DisabledMachineType): it only describes existing nodes",
    });
  });

  it("accepts a placement group on a bucket without InfiniBand, with a warning naming the field", () => {
    const fit = capacityFit(
      seedStatus(),
      { nodearray: "ondemand", machineType: "Standard_Fs32_v2", placementGroupId: "pg0" },
      1,
    );
    expect(fit.problem).toBeUndefined();
    expect(fit.fits).toBe(true);
    expect(fit.warnings).toEqual([
      "`placementGroupId` 'pg0' on Standard_Fs32_v2, which has no InfiniBand: CycleCloud accepts it and keeps the nodes " +
        "in one placement group (placement groups are required for InfiniBand, not restricted to it)",
    ]);
  });

  it("names the nodearrays when the nodearray is unknown", () => {
    const fit = capacityFit(seedStatus(), { nodearray: "gpu" }, 1);
    expect(fit.problem).toBe("nodearray 'gpu' does not exist (nodearrays: ondemand)");
    expect(fit.problemField).toBe("nodearray");
  });

  it("names the machine types when the machine type is unknown", () => {
    const fit = capacityFit(seedStatus(), { nodearray: "ondemand", machineType: "Standard_HC44rs" }, 1);
    expect(fit.problem).toBe(
      "machine type 'Standard_HC44rs' is not offered by nodearray 'ondemand' (machine types: Standard_Fs32_v2, Standard_Hc44rs)",
    );
  });
});

describe("findBucket and maxNodesThatFit", () => {
  it("picks the first valid bucket when no machine type is given", () => {
    expect(findBucket(seedStatus(), { nodearray: "ondemand" })?.definition?.machineType).toBe(
      "Standard_Fs32_v2",
    );
  });

  it("counts how many nodes of a spec fit", () => {
    expect(maxNodesThatFit(seedStatus(), { nodearray: "ondemand", machineType: "Standard_Fs32_v2" })).toBe(3);
    expect(maxNodesThatFit(seedStatus(), hc)).toBe(11);
    expect(maxNodesThatFit(seedStatus(), { nodearray: "nope" })).toBe(0);
  });
});

describe("describeFit", () => {
  it("pictures a fit on one line", () => {
    const spec = { ...hc, placementGroupId: "pg0" };
    expect(describeFit("hpc", spec, capacityFit(seedStatus(), spec, 4))).toBe(
      "hpc/ondemand Standard_Hc44rs in placement group 'pg0': +4 requested, 11 available (binding limit: bucket availableCount) - fits",
    );
    expect(describeFit("hpc", hc, capacityFit(seedStatus(), hc, 12))).toBe(
      "hpc/ondemand Standard_Hc44rs: +12 requested, 11 available (binding limit: bucket availableCount) - does not fit",
    );
    expect(describeFit("hpc", { nodearray: "gpu" }, capacityFit(seedStatus(), { nodearray: "gpu" }, 2))).toBe(
      "hpc/gpu (first bucket): +2 requested, none can be added: nodearray 'gpu' does not exist (nodearrays: ondemand)",
    );
  });
});

/** A nodearray of one bucket, with an optional nodearray record (`Region`, `Interruptible`, ...). */
function oneBucket(b: Bucket, record?: Record<string, unknown>, name = "ondemand"): NodearrayStatus {
  return { name, maxCount: 100, maxCoreCount: 5000, buckets: [b], ...(record ? { nodearray: record } : {}) };
}

describe("capacityFit: every layer, the binding one named with its numbers", () => {
  const hcBucket = (overrides: Partial<Bucket> = {}) =>
    bucket({ machineType: "Standard_HC44rs", availableCount: 11, ...overrides });
  const HC = { nodearray: "ondemand", machineType: "Standard_HC44rs" };

  it("names the family quota when availableCount only repeats it (the issue's example)", () => {
    // availableCount is derived from every layer: 8 = the family quota's 352 free cores / 44.
    const status = seedStatus({
      nodearrays: [
        oneBucket(
          hcBucket({
            availableCount: 8,
            availableCoreCount: 352,
            familyQuotaCount: 20,
            familyQuotaCoreCount: 880,
            familyConsumedCoreCount: 528,
          }),
        ),
      ],
    });
    const fit = capacityFit(status, HC, 12);
    expect(fit.fits).toBe(false);
    expect(fit.binding).toEqual({
      name: "family quota standardHCSFamily",
      nodes: 8,
      detail: "352 of 880 cores free, 0 free after 8 nodes",
      fix: "raise the subscription's standardHCSFamily vCPU quota in the cluster's region (familyQuotaCoreCount 880, familyConsumedCoreCount 528; Azure portal > Quotas > Compute)",
    });
    expect(describeFit("hpc", HC, fit)).toBe(
      "hpc/ondemand Standard_HC44rs: +12 requested, 8 available (binding limit: family quota standardHCSFamily, 352 of 880 cores free, 0 free after 8 nodes) - does not fit",
    );
  });

  it("keeps naming bucket availableCount when the bucket's own maxCount explains it", () => {
    const status = seedStatus({
      nodearrays: [oneBucket(hcBucket({ maxCount: 8, availableCount: 8, familyQuotaCoreCount: 352 }))],
    });
    expect(capacityFit(status, HC, 12).binding?.name).toBe("bucket availableCount");
  });

  const layers: {
    name: string;
    bucket: Partial<Bucket>;
    record?: Record<string, unknown>;
    available: number;
  }[] = [
    {
      name: "family quota standardHCSFamily",
      bucket: { familyQuotaCoreCount: 264, familyConsumedCoreCount: 88 },
      available: 4,
    },
    {
      name: "family quota standardHCSFamily (familyQuotaCount)",
      bucket: { familyQuotaCount: 3 },
      available: 3,
    },
    {
      name: "regional quota eastus",
      bucket: { regionalQuotaCoreCount: 1000, regionalConsumedCoreCount: 900 },
      record: { Region: "eastus" },
      available: 2,
    },
    { name: "regional quota (regionalQuotaCount)", bucket: { regionalQuotaCount: 1 }, available: 1 },
    {
      name: "combined quota standardHCSFamily",
      bucket: { quotaCoreCount: 300, consumedCoreCount: 80 },
      available: 5,
    },
    {
      name: "spot quota westeurope",
      bucket: {
        familyQuotaCount: 0,
        familyQuotaCoreCount: 0,
        familyConsumedCoreCount: 0,
        quotaCount: 0,
        quotaCoreCount: 0,
        regionalQuotaCoreCount: 200,
        regionalConsumedCoreCount: 20,
      },
      record: { Region: "westeurope", Interruptible: true },
      available: 4,
    },
  ];
  for (const layer of layers) {
    it(`checks the ${layer.name} layer`, () => {
      const status = seedStatus({ nodearrays: [oneBucket(hcBucket(layer.bucket), layer.record)] });
      const fit = capacityFit(status, HC, layer.available + 1);
      expect([fit.fits, fit.available, fit.binding?.name]).toEqual([false, layer.available, layer.name]);
      expect(capacityFit(status, HC, layer.available).fits).toBe(true);
    });
  }

  it("does not refuse a spot bucket because its family quota fields are 0", () => {
    const status = seedStatus({
      nodearrays: [
        oneBucket(
          hcBucket({
            familyQuotaCount: 0,
            familyQuotaCoreCount: 0,
            familyConsumedCoreCount: 0,
            quotaCoreCount: 0,
          }),
          { Interruptible: true },
        ),
      ],
    });
    const fit = capacityFit(status, HC, 5);
    expect(fit.fits).toBe(true);
    expect(fit.limits?.map((l) => l.name).filter((n) => n.includes("quota"))).toEqual([]);
  });

  it("leaves a layer whose fields are absent unchecked", () => {
    const names = capacityFit(seedStatus({ nodearrays: [oneBucket(hcBucket())] }), HC, 1).limits?.map(
      (l) => l.name,
    );
    expect(names?.filter((n) => n.includes("family") || n.includes("regional"))).toEqual([]);
  });

  it("falls back to 'the VM family of' a size it does not know", () => {
    const status = seedStatus({
      nodearrays: [oneBucket(bucket({ machineType: "Standard_X9", familyQuotaCoreCount: 44 }))],
    });
    expect(capacityFit(status, { nodearray: "ondemand", machineType: "Standard_X9" }, 2).binding?.name).toBe(
      "family quota (the VM family of Standard_X9)",
    );
  });
});

describe("withAddedNodes: shared quota layers", () => {
  it("charges the family quota of another bucket of the same family and region", () => {
    const quota = { familyQuotaCoreCount: 440, familyConsumedCoreCount: 0, regionalQuotaCoreCount: 10000 };
    const status = seedStatus({
      nodearrays: [
        oneBucket(bucket({ machineType: "Standard_HC44rs", ...quota }), { Region: "eastus" }, "a"),
        oneBucket(
          bucket({ machineType: "Standard_HC44rs", bucketId: "b2", ...quota }),
          { Region: "eastus" },
          "b",
        ),
        oneBucket(
          bucket({ machineType: "Standard_HC44rs", bucketId: "b3", ...quota }),
          { Region: "westus" },
          "c",
        ),
      ],
    });
    const after = withAddedNodes(status, { nodearray: "a", machineType: "Standard_HC44rs" }, 6);
    const fitB = capacityFit(after, { nodearray: "b", machineType: "Standard_HC44rs" }, 5);
    expect([fitB.fits, fitB.available, fitB.binding?.name, fitB.binding?.detail]).toEqual([
      false,
      4,
      "family quota standardHCSFamily",
      "176 of 440 cores free, 0 free after 4 nodes",
    ]);
    // The fix quotes what the server sent, and the cores this plan's other sets take apart from it.
    expect(fitB.binding?.fix).toBe(
      "raise the subscription's standardHCSFamily vCPU quota in eastus (familyQuotaCoreCount 440, " +
        "familyConsumedCoreCount 0 + 264 planned for other sets of this plan; Azure portal > Quotas > Compute)",
    );
    // Another region has its own family quota.
    expect(capacityFit(after, { nodearray: "c", machineType: "Standard_HC44rs" }, 10).fits).toBe(true);
    expect(after.nodearrays[1]?.buckets[0]?.regionalConsumedCoreCount).toBeUndefined();
  });

  it("charges a bucket's own family and combined quota when its VM size is unknown (no definition, MachineType names two)", () => {
    const { definition: _definition, ...unnamed } = bucket({
      machineType: "Standard_HC44rs",
      availableCount: 50,
      availableCoreCount: 2200,
      quotaCoreCount: 440,
      consumedCoreCount: 0,
      familyQuotaCoreCount: 880,
      familyConsumedCoreCount: 0,
    });
    const status = seedStatus({
      nodearrays: [oneBucket(unnamed, { MachineType: "Standard_HC44rs,Standard_F2s_v2" }, "a")],
    });
    const spec = { nodearray: "a" };
    expect(maxNodesThatFit(status, spec)).toBe(10);
    const after = withAddedNodes(status, spec, 4);
    expect(maxNodesThatFit(after, spec)).toBe(6);
    const charged = after.nodearrays[0]?.buckets[0];
    expect([charged?.consumedCoreCount, charged?.familyConsumedCoreCount]).toEqual([176, 176]);
  });

  it("does not charge a bucket of another family", () => {
    const status = seedStatus({
      nodearrays: [
        oneBucket(bucket({ machineType: "Standard_HC44rs", familyQuotaCoreCount: 440 }), {}, "a"),
        oneBucket(
          bucket({ machineType: "Standard_F2s_v2", bucketId: "f", vcpuCount: 2, familyQuotaCoreCount: 10 }),
          {},
          "b",
        ),
      ],
    });
    const after = withAddedNodes(status, { nodearray: "a", machineType: "Standard_HC44rs" }, 10);
    expect(after.nodearrays[1]?.buckets[0]?.familyConsumedCoreCount).toBeUndefined();
    expect(capacityFit(after, { nodearray: "b", machineType: "Standard_F2s_v2" }, 5).fits).toBe(true);
  });
});

describe("capacityFit: the cluster's maxCount", () => {
  it("reads it as what remains, and warns when the plan fits only under that reading", () => {
    const status = seedStatus({
      maxCount: 10,
      nodearrays: [
        oneBucket(bucket({ machineType: "Standard_HC44rs", activeCount: 6, activeCoreCount: 264 })),
      ],
    });
    const fit = capacityFit(status, { nodearray: "ondemand", machineType: "Standard_HC44rs" }, 5);
    expect(fit.fits).toBe(true);
    expect(fit.warnings).toEqual([
      "cluster maxCount 10 / maxCoreCount 10000 are read as what can still be added (the API reference); a server that " +
        "meant them as totals (6 nodes, 264 cores active) would take only 4 more",
    ]);
    expect(
      capacityFit(status, { nodearray: "ondemand", machineType: "Standard_HC44rs" }, 4).warnings,
    ).toEqual([]);
  });
});

describe("capacityFit: status fields optional in the reference", () => {
  it("works on a never-started cluster (no state, no targetState)", () => {
    const { state: _s, targetState: _t, ...status } = seedStatus();
    expect(capacityFit(status, hc, 4).fits).toBe(true);
  });

  it("matches a bucket without definition by the nodearray's MachineType, when that names one size", () => {
    const { definition: _d, ...bare } = bucket({ machineType: "Standard_HC44rs", availableCount: 5 });
    const status = seedStatus({ nodearrays: [oneBucket(bare, { MachineType: "Standard_HC44rs" })] });
    const fit = capacityFit(status, { nodearray: "ondemand", machineType: "Standard_HC44rs" }, 5);
    expect([fit.fits, fit.machineType]).toEqual([true, "Standard_HC44rs"]);
    expect(
      describeFit("hpc", { nodearray: "ondemand" }, capacityFit(status, { nodearray: "ondemand" }, 1)),
    ).toBe(
      "hpc/ondemand Standard_HC44rs: +1 requested, 5 available (binding limit: bucket availableCount) - fits",
    );
  });

  it("skips a bucket without definition when matching a machine type it cannot tell", () => {
    const { definition: _d, ...bare } = bucket({ machineType: "Standard_HC44rs" });
    const status = seedStatus({
      nodearrays: [oneBucket(bare, { MachineType: "Standard_HC44rs, Standard_F2s_v2" })],
    });
    const fit = capacityFit(status, { nodearray: "ondemand", machineType: "Standard_HC44rs" }, 1);
    expect(fit.problem).toBe(
      "machine type 'Standard_HC44rs' is not offered by nodearray 'ondemand' (machine types: (a bucket without definition))",
    );
    // Without a machine type, CycleCloud's first valid bucket is still used.
    expect(capacityFit(status, { nodearray: "ondemand" }, 1).fits).toBe(true);
    expect(
      describeFit("hpc", { nodearray: "ondemand" }, capacityFit(status, { nodearray: "ondemand" }, 1)),
    ).toMatch(/^hpc\/ondemand \(first bucket\): \+1 requested/);
  });
});

describe("azureQuotaFamilyOf", () => {
  it.each([
    ["Standard_HC44rs", "standardHCSFamily"],
    ["Standard_Hc44rs", "standardHCSFamily"],
    ["Standard_HB120rs_v2", "standardHBrsv2Family"],
    ["Standard_HB120rs_v3", "standardHBv3Family"],
    ["Standard_HB120-96rs_v3", "standardHBv3Family"],
    ["Standard_HB176rs_v4", "standardHBv4Family"],
    ["Standard_F2s_v2", "standardFSv2Family"],
    ["Standard_D4s_v3", "standardDSv3Family"],
    ["Standard_ND96asr_v4", "standardNDASv4_A100Family"],
    ["Standard_NC24ads_A100_v4", "StandardNCADSA100v4Family"],
    ["Standard_Unknown9", undefined],
  ])("%s → %s", (machineType, family) => {
    expect(azureQuotaFamilyOf(machineType)).toBe(family);
  });
});
