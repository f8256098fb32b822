import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  checkEmulatorConfig,
  DEFAULT_EMULATOR_CONFIG,
  EmulatorConfigError,
  loadEmulatorConfigFile,
  startEmulator,
} from "../../emulator";
import type { EmulatorConfig } from "../../emulator";
import { stableBucketId } from "../../emulator/config/config";
import { ClusterStatusSchema, NodeListSchema } from "../../wire/schemas";
import { api, parseWith, start, UUID } from "./helpers";

const LAB: EmulatorConfig = {
  clusters: [
    {
      name: "lab",
      maxCount: 20,
      maxCoreCount: 200,
      nodearrays: [
        {
          name: "gpu",
          maxCount: 4,
          maxCoreCount: 96,
          region: "eastus",
          attributes: { Interruptible: true, Configuration: { slurm: { partition: "gpu" } } },
          buckets: [
            { machineType: "Standard_NC24ads_A100_v4", vcpuCount: 24, memory: 220, maxCount: 4, gpuCount: 1 },
            {
              machineType: "Standard_ND96asr_v4",
              vcpuCount: 96,
              memory: 900,
              infiniband: true,
              maxCount: 2,
              valid: false,
            },
          ],
        },
      ],
    },
  ],
};

// Literal on purpose: the derived ids must not change between releases (state and clients keep them).
const NC24_BUCKET_ID = "dec82695-6f43-091d-a463-14844adc109b";
const ND96_BUCKET_ID = "afe15866-11ca-1c39-42c0-f9112cce580f";

let directory = "";

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "cyclecloud-emulator-config-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("a custom config", () => {
  test("fills in every default and serves its clusters", async () => {
    const emulator = await start({ config: LAB });
    try {
      const http = api(emulator);
      const status = parseWith(ClusterStatusSchema, (await http.get("/clusters/lab/status")).json);
      expect(status).toEqual({
        state: "Started",
        targetState: "Started",
        maxCount: 20,
        maxCoreCount: 200,
        nodearrays: [
          {
            name: "gpu",
            maxCount: 4,
            maxCoreCount: 96,
            nodearray: {
              Name: "gpu",
              Region: "eastus",
              Interruptible: true,
              Configuration: { slurm: { partition: "gpu" } },
            },
            buckets: [
              {
                bucketId: NC24_BUCKET_ID,
                definition: { machineType: "Standard_NC24ads_A100_v4" },
                valid: true,
                maxCount: 4,
                maxCoreCount: 96,
                activeCount: 0,
                activeCoreCount: 0,
                availableCount: 4,
                availableCoreCount: 96,
                // An Interruptible (spot) nodearray: the family fields are 0 and the quota is the
                // region's spot quota (the default, 100000 cores).
                quotaCount: 4166,
                quotaCoreCount: 100000,
                consumedCoreCount: 0,
                familyQuotaCount: 0,
                familyQuotaCoreCount: 0,
                familyConsumedCoreCount: 0,
                regionalQuotaCount: 4166,
                regionalQuotaCoreCount: 100000,
                regionalConsumedCoreCount: 0,
                invalidReason: "",
                maxPlacementGroupSize: 100,
                maxPlacementGroupCoreSize: 2400,
                lastCapacityFailure: -1,
                placementGroups: [],
                virtualMachine: { vcpuCount: 24, memory: 220, infiniband: false, pcpuCount: 24, gpuCount: 1 },
              },
              {
                bucketId: ND96_BUCKET_ID,
                definition: { machineType: "Standard_ND96asr_v4" },
                valid: false,
                invalidReason: "NotActivated",
                maxCount: 2,
                maxCoreCount: 192,
                activeCount: 0,
                activeCoreCount: 0,
                availableCount: 0,
                availableCoreCount: 0,
                quotaCount: 1041,
                quotaCoreCount: 100000,
                consumedCoreCount: 0,
                familyQuotaCount: 0,
                familyQuotaCoreCount: 0,
                familyConsumedCoreCount: 0,
                regionalQuotaCount: 1041,
                regionalQuotaCoreCount: 100000,
                regionalConsumedCoreCount: 0,
                maxPlacementGroupSize: 100,
                maxPlacementGroupCoreSize: 9600,
                lastCapacityFailure: -1,
                placementGroups: [],
                virtualMachine: { vcpuCount: 96, memory: 900, infiniband: true, pcpuCount: 96, gpuCount: 0 },
              },
            ],
          },
        ],
      });
      expect((await http.get("/clusters/hpc/status")).status).toBe(404);

      await http.post("/clusters/lab/nodes/create", {
        requestId: "lab-1",
        sets: [{ count: 1, nodearray: "gpu" }],
      });
      const raw = (await http.get("/clusters/lab/nodes")).json as { nodes: Record<string, unknown>[] };
      const node = parseWith(NodeListSchema, raw).nodes[0];
      expect(
        node && [node.Name, node.ClusterName, node.Region, node.Interruptible, node.MachineType],
      ).toEqual(["gpu-1", "lab", "eastus", true, "Standard_NC24ads_A100_v4"]);
      expect(raw.nodes[0]?.["Configuration"]).toEqual({ slurm: { partition: "gpu" } });
    } finally {
      await emulator.close();
    }
  });

  test("derived bucket ids are UUID-shaped, the same in every release and distinct per machine type", () => {
    expect([
      stableBucketId("lab", "gpu", "Standard_NC24ads_A100_v4"),
      stableBucketId("lab", "gpu", "Standard_ND96asr_v4"),
    ]).toEqual([NC24_BUCKET_ID, ND96_BUCKET_ID]);
    expect(NC24_BUCKET_ID).toMatch(UUID);
  });

  test("the default config is the seed's and passes its own schema", () => {
    expect(checkEmulatorConfig(DEFAULT_EMULATOR_CONFIG)).toEqual(DEFAULT_EMULATOR_CONFIG);
  });
});

describe("config errors name the bad path", () => {
  test.each([
    [
      "a wrong type and an unknown key",
      {
        clusters: [
          {
            name: "a",
            maxCount: 1,
            maxCoreCount: 1,
            nodearrays: [
              {
                name: "n",
                maxCount: 1,
                maxCoreCount: 1,
                buckets: [{ machineType: "X", vcpuCount: "4", memory: 1, maxCount: 1, maxcount: 2 }],
              },
            ],
          },
        ],
      },
      "Invalid `config` option: clusters[0].nodearrays[0].buckets[0].vcpuCount: Invalid input: expected number, " +
        'received string; clusters[0].nodearrays[0].buckets[0]: Unrecognized key: "maxcount"',
    ],
    [
      "no clusters",
      { clusters: [] },
      "Invalid `config` option: clusters: Too small: expected array to have >=1 items",
    ],
    [
      "duplicate names",
      {
        clusters: [
          {
            name: "a",
            maxCount: 1,
            maxCoreCount: 1,
            nodearrays: [
              {
                name: "n",
                maxCount: 1,
                maxCoreCount: 1,
                buckets: [
                  { machineType: "X", vcpuCount: 1, memory: 1, maxCount: 1 },
                  { machineType: "X", vcpuCount: 2, memory: 1, maxCount: 1 },
                ],
              },
            ],
          },
          { name: "a", maxCount: 1, maxCoreCount: 1, nodearrays: [] },
        ],
      },
      'Invalid `config` option: clusters[1]: duplicate cluster name "a"; ' +
        'clusters[0].nodearrays[0].buckets[1]: duplicate machineType "X"',
    ],
    [
      "a wrong attribute type",
      {
        clusters: [
          {
            name: "a",
            maxCount: 1,
            maxCoreCount: 1,
            nodearrays: [
              {
                name: "n",
                maxCount: 1,
                maxCoreCount: 1,
                attributes: { ShutdownPolicy: "Delete" },
                buckets: [{ machineType: "X", vcpuCount: 1, memory: 1, maxCount: 1 }],
              },
            ],
          },
        ],
      },
      'Invalid `config` option: clusters[0].nodearrays[0].attributes.ShutdownPolicy: Invalid option: expected one of "Terminate"|"Deallocate"',
    ],
  ])("%s", async (_name, config, message) => {
    const rejection = startEmulator({ port: 0, config: config as EmulatorConfig });
    await expect(rejection).rejects.toThrow(EmulatorConfigError);
    await expect(rejection).rejects.toThrow(message);
  });
});

describe("loadEmulatorConfigFile", () => {
  test("reads a valid file", async () => {
    const file = join(directory, "lab.json");
    await writeFile(file, JSON.stringify(LAB));
    expect(await loadEmulatorConfigFile(file)).toEqual(LAB);
  });

  test("names the file when it is missing, not JSON or not a config", async () => {
    const missing = join(directory, "missing.json");
    await expect(loadEmulatorConfigFile(missing)).rejects.toThrow(
      `Cannot read emulator config ${missing}: ENOENT: no such file or directory, open '${missing}'`,
    );
    const broken = join(directory, "broken.json");
    await writeFile(broken, "{ clusters: ");
    await expect(loadEmulatorConfigFile(broken)).rejects.toThrow(
      `Emulator config ${broken} is not valid JSON: `,
    );
    const wrong = join(directory, "wrong.json");
    await writeFile(wrong, JSON.stringify({ cluster: [] }));
    await expect(loadEmulatorConfigFile(wrong)).rejects.toThrow(
      `Invalid emulator config ${wrong}: clusters: Invalid input: expected array, received undefined; ` +
        '(root): Unrecognized key: "cluster"',
    );
  });
});

describe("startEmulator options", () => {
  test("invalid options are a TypeError naming the option", async () => {
    await expect(startEmulator({ port: -1 })).rejects.toThrow(
      new TypeError("Invalid emulator option `port`: Too small: expected number to be >=0"),
    );
    await expect(startEmulator({ timing: { acquiringMs: -5 } })).rejects.toThrow(
      "Invalid emulator option `timing.acquiringMs`: Too small: expected number to be >=0",
    );
    await expect(startEmulator({ username: "" })).rejects.toThrow(
      "Invalid emulator option `username`: Too small: expected string to have >=1 characters",
    );
    await expect(startEmulator({ clock: Date.now as never })).rejects.toThrow(
      "Invalid emulator option `clock`: expected an object with a now() method",
    );
  });

  test("a port in use is reported by the listen error", async () => {
    const first = await start();
    try {
      await expect(start({ port: first.port })).rejects.toThrow("EADDRINUSE");
    } finally {
      await first.close();
    }
  });

  test("the url, adminUrl, host and port describe where it listens", async () => {
    const emulator = await start();
    try {
      expect(emulator.url).toBe(`http://127.0.0.1:${String(emulator.port)}`);
      expect(emulator.adminUrl).toBe(`${emulator.url}/__emulator`);
      expect(emulator.host).toBe("127.0.0.1");
      expect(emulator.port).toBeGreaterThan(0);
    } finally {
      await emulator.close();
    }
  });
});
