import { describe, expect, it } from "vitest";
import { capacityFit, describeFit, findBucket, maxNodesThatFit } from "../../provider/capacity";
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
    ]);
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

  it("refuses a placement group on a bucket without InfiniBand", () => {
    const fit = capacityFit(
      seedStatus(),
      { nodearray: "ondemand", machineType: "Standard_Fs32_v2", placementGroupId: "pg0" },
      1,
    );
    expect(fit.problemField).toBe("placementGroupId");
    expect(fit.problem).toBe(
      "placement group 'pg0' needs InfiniBand, which Standard_Fs32_v2 does not have: choose an InfiniBand machine type or drop placementGroupId",
    );
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
