/**
 * A replica from a status snapshot (issue 13, item 1): the status of an emulator, saved, rebuilds
 * a cluster whose status is the same; optional fields may be missing; what cannot be used is
 * named by its JSON path.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EmulatorConfig, RunningEmulator } from "../../emulator";
import { replicaFromStatus } from "../../emulator/config/replica";
import { parseCliArgs } from "../../emulator/server/cli-args";
import { ClusterStatusSchema } from "../../wire/schemas";
import { api, parseWith, start } from "./helpers";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "replica-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function snapshot(
  emulator: RunningEmulator,
  cluster: string,
): Promise<{ json: unknown; file: string }> {
  const reply = await api(emulator).get(`/clusters/${cluster}/status?nodes=true`);
  expect(reply.status).toBe(200);
  const file = join(dir, `${cluster}-${String(Math.random()).slice(2)}.json`);
  await writeFile(file, reply.text);
  return { json: reply.json, file };
}

async function withEmulator<T>(
  emulator: RunningEmulator,
  body: (e: RunningEmulator) => Promise<T>,
): Promise<T> {
  try {
    return await body(emulator);
  } finally {
    await emulator.close();
  }
}

const QUOTA_CONFIG: EmulatorConfig = {
  clusters: [
    {
      name: "q",
      maxCount: 20,
      maxCoreCount: 2000,
      quotas: {
        regions: {
          eastus: { coreCount: 400, consumedCoreCount: 40, spotCoreCount: 64, spotConsumedCoreCount: 16 },
        },
      },
      nodearrays: [
        {
          name: "hpc",
          maxCount: 10,
          maxCoreCount: 1000,
          region: "eastus",
          attributes: { SubnetId: "rg/vnet/hpc", Configuration: { a: 1 } },
          buckets: [
            {
              machineType: "Standard_HC44rs",
              vcpuCount: 44,
              memory: 352,
              maxCount: 6,
              quotaCount: 5,
              consumedCoreCount: 44,
              infiniband: true,
            },
            {
              machineType: "Standard_F4s_v2",
              vcpuCount: 4,
              memory: 8,
              maxCount: 4,
              valid: false,
              invalidReason: "QuotaExceeded",
            },
          ],
        },
        {
          name: "spot",
          maxCount: 10,
          maxCoreCount: 500,
          region: "eastus",
          attributes: { Interruptible: true },
          buckets: [{ machineType: "Standard_F16s_v2", vcpuCount: 16, memory: 32, maxCount: 10 }],
        },
      ],
    },
  ],
};

describe("replica from a status snapshot", () => {
  test("the seed cluster with live, deallocated and placement-group nodes: the replica's status is the same", async () => {
    const original = await start();
    const { json, file } = await withEmulator(original, async (e) => {
      const http = api(e);
      await http.post("/clusters/hpc/nodes/create", {
        sets: [
          {
            count: 3,
            nodearray: "ondemand",
            definition: { machineType: "Standard_Hc44rs" },
            nodeAttributes: { Tags: { team: "a" } },
          },
        ],
      });
      await http.post("/clusters/hpc/nodes/create", {
        sets: [
          {
            count: 2,
            nodearray: "ondemand",
            definition: { machineType: "Standard_Fs32_v2" },
            placementGroupId: "pg1",
          },
        ],
      });
      expect((await http.post("/clusters/hpc/nodes/deallocate", { names: ["ondemand-2"] })).status).toBe(202);
      return snapshot(e, "hpc");
    });
    const status = parseWith(ClusterStatusSchema, json);
    expect(status.nodes).toHaveLength(5);
    expect(status.nodearrays[0]?.buckets[1]?.activeCount).toBe(2);

    const replica = await start({ fromStatus: { hpc: file } });
    const again = await withEmulator(replica, (e) => snapshot(e, "hpc"));
    expect(again.json).toEqual(json);
  });

  test("regional and spot quotas, an invalid bucket and a used baseline come back the same", async () => {
    const original = await start({ config: QUOTA_CONFIG });
    const { json, file } = await withEmulator(original, async (e) => {
      const http = api(e);
      await http.post("/clusters/q/nodes/create", {
        sets: [{ count: 2, nodearray: "hpc", definition: { machineType: "Standard_HC44rs" } }],
      });
      await http.post("/clusters/q/nodes/create", { sets: [{ count: 1, nodearray: "spot" }] });
      return snapshot(e, "q");
    });
    const replica = await start({ fromStatus: { q: file } });
    const again = await withEmulator(replica, (e) => snapshot(e, "q"));
    expect(again.json).toEqual(json);
  });

  test("an answer without the optional fields and without nodes: capacity as the answer says", async () => {
    const minimal = {
      maxCount: 8,
      maxCoreCount: 400,
      nodearrays: [
        {
          name: "execute",
          maxCount: 10,
          maxCoreCount: 400,
          nodearray: { MachineType: "Standard_D8s_v3" },
          buckets: [
            {
              bucketId: "b1",
              valid: true,
              maxCount: 10,
              maxCoreCount: 80,
              activeCount: 2,
              activeCoreCount: 16,
              availableCount: 8,
              availableCoreCount: 64,
              maxPlacementGroupSize: 100,
              placementGroups: [],
              virtualMachine: { vcpuCount: 8, memory: 32, infiniband: false },
            },
          ],
        },
      ],
    };
    const file = join(dir, "minimal.json");
    await writeFile(file, JSON.stringify(minimal));
    const replica = await start({ fromStatus: { prod: file } });
    const again = await withEmulator(replica, (e) => snapshot(e, "prod"));
    const status = parseWith(ClusterStatusSchema, again.json);
    expect(status.maxCount).toBe(8);
    const bucket = status.nodearrays[0]?.buckets[0];
    expect(bucket?.definition?.machineType).toBe("Standard_D8s_v3");
    expect(bucket?.activeCount).toBe(2);
    expect(bucket?.availableCount).toBe(8);
    expect(status.nodes?.map((n) => n.Name)).toEqual(["execute-replica-1", "execute-replica-2"]);
  });

  test("what cannot be used is named by its JSON path", () => {
    const bucket = {
      bucketId: "b1",
      valid: true,
      maxCount: 1,
      maxCoreCount: 4,
      activeCount: 0,
      activeCoreCount: 0,
      availableCount: 1,
      availableCoreCount: 4,
      maxPlacementGroupSize: 1,
      placementGroups: [],
      virtualMachine: { vcpuCount: 4, memory: 8, infiniband: false },
    };
    const answer = (nodes: unknown, b: unknown = bucket) => ({
      maxCount: 1,
      maxCoreCount: 4,
      nodearrays: [{ name: "a", maxCount: 1, maxCoreCount: 4, buckets: [b] }],
      nodes,
    });
    expect(() => replicaFromStatus("c", answer([]), "s.json")).toThrow(
      "s.json: nodearrays[0].buckets[0].definition.machineType: the bucket names no machine type",
    );
    const named = { ...bucket, definition: { machineType: "D4" } };
    expect(() => replicaFromStatus("c", answer([{ Name: "x-1", Template: "b" }], named), "s.json")).toThrow(
      'nodes[0].Template: nodearray "b" is not in the answer\'s nodearrays',
    );
    expect(() => replicaFromStatus("c", answer([], { ...named, maxCount: "many" }), "s.json")).toThrow(
      "nodearrays[0].buckets[0].maxCount",
    );
    expect(() =>
      replicaFromStatus(
        "c",
        answer([], { ...named, virtualMachine: { vcpuCount: 0, memory: 8, infiniband: false } }),
        "s.json",
      ),
    ).toThrow("nodearrays[0].buckets[0].virtualMachine.vcpuCount: must be at least 1");
  });

  test("--from-status CLUSTER=FILE is repeatable and checked", () => {
    const run = parseCliArgs(["--from-status", "a=one.json", "--from-status=b=two.json"], {});
    expect(run.kind === "run" && run.fromStatus).toEqual({ a: "one.json", b: "two.json" });
    expect(() => parseCliArgs(["--from-status", "one.json"], {})).toThrow("--from-status takes CLUSTER=FILE");
  });

  test("a cluster both in config and fromStatus is refused", async () => {
    const file = join(dir, "clash.json");
    const original = await start();
    await withEmulator(original, async (e) =>
      writeFile(file, (await api(e).get("/clusters/hpc/status")).text),
    );
    await expect(
      start({
        fromStatus: { hpc: file },
        config: { clusters: [{ name: "hpc", maxCount: 1, maxCoreCount: 1, nodearrays: [] }] },
      }),
    ).rejects.toThrow("Cluster hpc is both in `config` and in `fromStatus`");
  });
});

describe("cyclecloud-emulator --from-status (the built command)", () => {
  const CLI = join(process.cwd(), "dist", "emulator", "cli.js");

  /** Runs the command until it prints its first line (then stops it) or exits. */
  function command(
    args: string[],
    onLine: (line: string) => Promise<void> = async () => undefined,
  ): Promise<{ code: number | null; line: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env["PATH"] ?? "" } });
      let stdout = "";
      let stderr = "";
      let line = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        if (line === "" && stdout.includes("\n")) {
          line = stdout.slice(0, stdout.indexOf("\n"));
          void onLine(line).finally(() => child.kill("SIGTERM"));
        }
      });
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.once("close", (code) => resolve({ code, line, stderr }));
    });
  }

  test("a snapshot it cannot use exits 2 naming the file and the JSON path", async () => {
    const file = join(dir, "bad-snapshot.json");
    await writeFile(file, JSON.stringify({ maxCount: 1, maxCoreCount: 1, nodearrays: [{ name: "a" }] }));
    const { code, stderr } = await command(["--port", "0", "--from-status", `prod=${file}`]);
    expect(code).toBe(2);
    expect(stderr).toContain(`Invalid status snapshot ${file}: nodearrays[0].maxCount`);
  });

  test("a good snapshot serves the replica under the cluster name given", async () => {
    const original = await start();
    const { file } = await withEmulator(original, (e) => snapshot(e, "hpc"));
    let served: unknown;
    await command(["--port", "0", "--json", "--quiet", "--from-status", `prod=${file}`], async (line) => {
      const { url, username, password } = JSON.parse(line) as {
        url: string;
        username: string;
        password: string;
      };
      const response = await fetch(`${url}/clusters/prod/status?nodes=true`, {
        headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` },
      });
      served = await response.json();
    });
    const { json } = await withEmulator(await start(), (e) => snapshot(e, "hpc"));
    expect(served).toEqual(json);
  });
});
