/**
 * The capacity preflight through the engine model (moved from the first scenarios of
 * test/e2e/preflight.e2e.test.ts): examples/preflight asks for 12 Standard_Hc44rs nodes where the
 * seed's bucket holds 11, so `check` fails during preview and up, before any request that changes
 * the cluster; with `count` 8 the preview passes. Through the real engine (test/e2e/preflight.e2e.test.ts):
 * the refusal of an update as the engine prints a diff's error, and lines naming component parents.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import type { Declared, EngineModel } from "./engine";
import { admin, createOutside } from "../provider/harness";
import { declared, liveNodes, mutations, redeclared, stackFor } from "./helpers";

const HC = "Standard_Hc44rs";

const REFUSAL =
  "preflight hpc/ondemand Standard_Hc44rs: +12 requested, 11 available (binding limit: bucket availableCount) - does not fit: " +
  'lower `count` to at most 11, free capacity in the cluster, or set `preflight: "warn"` to try anyway';

let emulator: RunningEmulator;
let stack: EngineModel;
/** examples/preflight's set (count 12 unless stack config says otherwise). */
let solvers: Declared;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  stack = stackFor(emulator);
  solvers = declared("solvers", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: "Standard_Hc44rs",
    count: 12,
    preflight: "enforce",
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe("a capacity increase the cluster cannot hold, through the engine model", () => {
  it("fails the preview with the capacity message and creates nothing", async () => {
    const preview = await stack.preview([solvers]);

    expect(preview.failures).toEqual([{ name: "solvers", op: "check", message: `count: ${REFUSAL}` }]);
    expect(emulator.nodes()).toEqual([]);
    expect(mutations(emulator)).toBe(0);
  });

  it("fails an up of the same program before any change, leaving nothing in state", async () => {
    const up = await stack.up([solvers]);

    expect(up.failures).toEqual([{ name: "solvers", op: "check", message: `count: ${REFUSAL}` }]);
    expect(emulator.nodes()).toEqual([]);
    expect(mutations(emulator)).toBe(0);
    expect(stack.state).toEqual([]);
  });

  it("passes the preview once `count` fits", async () => {
    solvers = redeclared(solvers, { count: 8 });

    const preview = await stack.preview([solvers]);

    expect(preview.failures).toEqual([]);
    expect(preview.info).toContain(
      "cyclecloud solvers: preflight hpc/ondemand Standard_Hc44rs: +8 requested, 11 available (binding limit: bucket availableCount) - fits",
    );
    expect(preview.steps).toEqual({ solvers: "create" });
    expect(liveNodes(emulator)).toEqual([]);
    expect(mutations(emulator)).toBe(0);
  });
});

describe("an up after a grow that was killed once CycleCloud had made the nodes, in a full bucket", () => {
  it("adopts the nodes the killed run made and creates none: the update's preflight does not count them again", async () => {
    await withEmulator(async (emu) => {
      const model = stackFor(emu);
      let grown = declared("grown", { cluster: "hpc", nodearray: "ondemand", machineType: HC, count: 4 });
      expect((await model.up([grown])).failures).toEqual([]);
      const [first] = model.set("grown").outputs.requestIds;
      // The killed `count` 4 -> 6: CycleCloud made the next request's 2 nodes, the state never heard.
      await createOutside(emu, (first ?? "").replace(/-0$/, "-1"), 2, HC);
      // Another deployment then took the rest of the bucket (11 - 4 - 2).
      await createOutside(emu, "elsewhere-1", 5, HC);
      const creates = emu.counters().create;

      grown = redeclared(grown, { count: 6 });
      const up = await model.up([grown]);

      expect(up.failures).toEqual([]);
      expect(up.info).toContain(
        "cyclecloud grown: preflight hpc/ondemand Standard_Hc44rs: +0 requested, 0 available (binding limit: bucket availableCount) - fits (6 node(s) of this set already exist)",
      );
      expect(emu.counters().create).toBe(creates);
      expect(model.set("grown").outputs.nodeIds).toHaveLength(6);
    });
  });
});

describe("an up after a grow recorded as a partial failure, in a full bucket", () => {
  it("counts the nodes the set holds, not its old `count`: a `count` equal to them needs no room", async () => {
    await withEmulator(async (emu) => {
      const model = stackFor(emu);
      let workers = declared("workers", { cluster: "hpc", nodearray: "ondemand", machineType: HC, count: 3 });
      expect((await model.up([workers])).failures).toEqual([]);
      await admin(emu, "/capacity", { cluster: "hpc", nodearray: "ondemand", machineType: HC, maxCount: 4 });
      // 3 -> 5 with room for one: CycleCloud adds 1 of 2; the engine keeps the old inputs (count 3).
      workers = redeclared(workers, { count: 5, preflight: "warn" });
      expect((await model.up([workers])).failures.map((f) => f.op)).toEqual(["update"]);
      expect(model.set("workers").inputs["count"]).toBe(3);
      expect(model.set("workers").outputs.nodeIds).toHaveLength(4);

      const preview = await model.preview([redeclared(workers, { count: 4, preflight: "enforce" })]);

      expect(preview.failures).toEqual([]);
      expect(preview.info).toContain(
        "cyclecloud workers: preflight hpc/ondemand Standard_Hc44rs: +0 requested, 0 available (binding limit: bucket availableCount) - fits (4 node(s) of this set already exist)",
      );
    });
  });
});

describe("preflight of a set one of whose create requests has no node left (a heal replaced them)", () => {
  it("counts the nodes of its later requests too: a `count` equal to what it holds after a partial failure needs no room", async () => {
    await withEmulator(async (emu) => {
      const model = stackFor(emu);
      let workers = declared("workers", { cluster: "hpc", nodearray: "ondemand", machineType: HC, count: 3 });
      const up = async (inputs: Record<string, unknown>) =>
        (await model.up([(workers = redeclared(workers, inputs))])).failures;
      expect(await up({})).toEqual([]);
      expect(await up({ count: 4 })).toEqual([]);
      // Request -1's only node fails; the grow to 5 replaces it in request -2: request -1 is empty.
      await admin(emu, "/fail-nodes", { cluster: "hpc", names: ["ondemand-4"] });
      expect(await up({ count: 5 })).toEqual([]);
      // Room for one more: 5 -> 7 adds 1 of 2 in request -3 (a partial failure; the engine keeps count 5).
      await admin(emu, "/capacity", { cluster: "hpc", nodearray: "ondemand", machineType: HC, maxCount: 6 });
      expect((await up({ count: 7, preflight: "warn" })).map((f) => f.op)).toEqual(["update"]);
      const liveRequests = liveNodes(emu).map((n) => (n.requestId ?? "").slice(-2));
      expect(liveRequests.sort()).toEqual(["-0", "-0", "-0", "-2", "-2", "-3"]);

      const preview = await model.preview([redeclared(workers, { count: 6, preflight: "enforce" })]);

      expect(preview.failures).toEqual([]);
      expect(preview.info).toContain(
        "cyclecloud workers: preflight hpc/ondemand Standard_Hc44rs: +0 requested, 0 available (binding limit: bucket availableCount) - fits (6 node(s) of this set already exist)",
      );
    });
  });
});

describe("the reads of one preflight that needs what the set holds, per group, its warm pool and kept nodes", () => {
  it("lists the cluster's nodes once in the set's check", async () => {
    await withEmulator(async (emu) => {
      await admin(emu, "/capacity", {
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        maxPlacementGroupSize: 4,
      });
      const model = stackFor(emu);
      let workers = declared("workers", {
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        count: 3,
        placementGroupId: "pg0",
      });
      expect((await model.up([workers])).failures).toEqual([]);
      const [first] = model.set("workers").outputs.requestIds;
      // A killed grow: CycleCloud made the next request's node in the set's group, the state never heard.
      await createInGroup(emu, (first ?? "").replace(/-0$/, "-1"), "pg0");
      // Another deployment took the rest of the bucket (11 - 3 - 1).
      await createOutside(emu, "elsewhere-1", 7, HC);
      // `count` 5 is more than the group holds (heldByGroup), and does not fit (held, the warm pool, kept nodes).
      workers = redeclared(workers, { count: 5, preflight: "warn" });
      const before = await unfilteredListings(emu);

      const preview = await model.preview([workers]);

      expect(preview.failures).toEqual([]);
      expect(preview.warnings.join("\n")).toContain("(4 node(s) of this set already exist)");
      expect((await unfilteredListings(emu)) - before).toBe(1);
    });
  });
});

/** One node of `requestId` in placement group `group`, made outside Pulumi. */
async function createInGroup(emu: RunningEmulator, requestId: string, group: string): Promise<void> {
  const response = await fetch(`${emu.url}/clusters/hpc/nodes/create`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`${emu.username}:${emu.password}`).toString("base64")}` },
    body: JSON.stringify({
      requestId,
      sets: [{ count: 1, nodearray: "ondemand", definition: { machineType: HC }, placementGroupId: group }],
    }),
  });
  expect(response.status).toBe(202);
}

/** Requests the emulator got for the unfiltered listing of cluster hpc's nodes. */
async function unfilteredListings(emu: RunningEmulator): Promise<number> {
  const response = await fetch(`${emu.adminUrl}/requests`, { headers: emu.adminHeaders() });
  const { requests } = (await response.json()) as { requests: { method: string; path: string }[] };
  return requests.filter((r) => r.method === "GET" && r.path === "/clusters/hpc/nodes").length;
}

describe('a set with `preflight: "warn"` whose increase does not fit', () => {
  it("is warned once in a preview of its update, with the refusal's fix (check and diff both judge it)", async () => {
    await withEmulator(async (emu) => {
      const model = stackFor(emu);
      let grown = declared("grown", { cluster: "hpc", nodearray: "ondemand", machineType: HC, count: 8 });
      expect((await model.up([grown])).failures).toEqual([]);
      grown = redeclared(grown, { count: 12, preflight: "warn" });

      const preview = await model.preview([grown]);

      expect(preview.failures).toEqual([]);
      expect(preview.warnings).toEqual([
        "cyclecloud grown: preflight hpc/ondemand Standard_Hc44rs: +4 requested, 3 available (binding limit: bucket availableCount) - does not fit: " +
          "lower `count` to at most 11, free capacity in the cluster",
      ]);
    });
  });

  it("a new set is warned once too, with the fix", async () => {
    await withEmulator(async (emu) => {
      const fresh = declared("fresh", {
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        count: 12,
        preflight: "warn",
      });

      const preview = await stackFor(emu).preview([fresh]);

      expect(preview.failures).toEqual([]);
      expect(preview.warnings).toEqual([
        `cyclecloud fresh: ${REFUSAL.replace(', or set `preflight: "warn"` to try anyway', "")}`,
      ]);
    });
  });
});

/** Runs `test` against an emulator of its own (nodes at once), closed after. */
async function withEmulator(test: (emu: RunningEmulator) => Promise<void>): Promise<void> {
  const emu = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  try {
    await test(emu);
  } finally {
    await emu.close();
  }
}
