import { describe, expect, test } from "vitest";
import { observePhase } from "../../emulator/store/node-lifecycle";
import type { NodePhase, ProvisioningFailure } from "../../emulator/store/node-lifecycle";
import { ClusterStatusSchema, NodeCreationResultSchema, NodeListSchema } from "../../wire/schemas";
import type { NodeRecord } from "../../wire/schemas";
import { api, CLOCK_START, manualClock, parseWith, start, useEmulator } from "./helpers";

/** Phase durations; the clock is moved by hand, so the test sees each boundary exactly. */
const PHASE_MS = 500;

describe("lifecycle over the emulator's clock", () => {
  const clock = manualClock();
  const env = useEmulator(
    { timing: { acquiringMs: PHASE_MS, preparingMs: PHASE_MS, terminatingMs: PHASE_MS }, clock },
    { resetBeforeEach: false },
  );

  async function node(requestId: string): Promise<NodeRecord | undefined> {
    const list = parseWith(
      NodeListSchema,
      (await env.http.get(`/clusters/hpc/nodes?request_id=${requestId}`)).json,
    );
    return list.nodes[0];
  }

  function phase(record: NodeRecord | undefined) {
    return record && [record.Status, record.State, record.TargetState, record.Hostname, record.PrivateIp];
  }

  test("a node goes Acquiring -> Preparing -> Ready and gets its addresses when Preparing", async () => {
    clock.set(CLOCK_START);
    await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "life-1",
      sets: [{ count: 1, nodearray: "ondemand" }],
    });

    const acquiring = await node("life-1");
    expect(phase(acquiring)).toEqual(["Acquiring", "Acquiring", "Started", null, null]);
    // The address keys are there, null, while the VM has none (shipping clients index them).
    expect(acquiring?.InstanceId).toBeNull();
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect(status.nodearrays[0]?.buckets[0]?.activeCount).toBe(1);

    clock.advance(PHASE_MS - 1);
    expect(phase(await node("life-1"))).toEqual(["Acquiring", "Acquiring", "Started", null, null]);
    clock.advance(1);
    expect(phase(await node("life-1"))).toEqual([
      "Preparing",
      "Preparing",
      "Started",
      "ip-0A010004",
      "10.1.0.4",
    ]);

    clock.advance(PHASE_MS - 1);
    expect((await node("life-1"))?.Status).toBe("Preparing");
    clock.advance(1);
    expect(phase(await node("life-1"))).toEqual(["Ready", "Started", "Started", "ip-0A010004", "10.1.0.4"]);
  });

  test("a terminated node is Terminating, keeps its addresses, then is gone", async () => {
    const id = (await node("life-1"))?.NodeId;
    await env.http.post("/clusters/hpc/nodes/terminate", { ids: [id] });

    expect(phase(await node("life-1"))).toEqual([
      "Terminating",
      "Terminating",
      "Terminated",
      "ip-0A010004",
      "10.1.0.4",
    ]);
    clock.advance(PHASE_MS - 1);
    expect((await node("life-1"))?.Status).toBe("Terminating");
    clock.advance(1);
    expect(await node("life-1")).toBeUndefined();
  });

  test("a deallocated node is Stopping, then Deallocated; start goes through Acquiring again", async () => {
    await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "life-2",
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    // Deallocated while Acquiring: the node never gets addresses until it is started again.
    const id = (await node("life-2"))?.NodeId;
    await env.http.post("/clusters/hpc/nodes/deallocate", { ids: [id] });
    expect(phase(await node("life-2"))).toEqual(["Stopping", "Deallocating", "Deallocated", null, null]);

    clock.advance(PHASE_MS - 1);
    expect((await node("life-2"))?.Status).toBe("Stopping");
    clock.advance(1);
    expect(phase(await node("life-2"))).toEqual(["Deallocated", "Deallocated", "Deallocated", null, null]);

    await env.http.post("/clusters/hpc/nodes/start", { ids: [id] });
    expect(phase(await node("life-2"))).toEqual(["Acquiring", "Acquiring", "Started", null, null]);
    clock.advance(2 * PHASE_MS);
    expect(phase(await node("life-2"))).toEqual(["Ready", "Started", "Started", "ip-0A010005", "10.1.0.5"]);
  });

  test("a timing change applies to transitions that start afterwards", async () => {
    await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "life-3",
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    await env.http.admin("POST", "/timing", { acquiringMs: 0, preparingMs: 0 });
    expect((await node("life-3"))?.Status).toBe("Acquiring");
    await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "life-4",
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    expect((await node("life-4"))?.Status).toBe("Ready");
    clock.advance(PHASE_MS);
    expect((await node("life-3"))?.Status).toBe("Preparing");
  });

  test("operations start and capacity failures age on the emulator's clock", async () => {
    clock.set(Date.UTC(2026, 5, 1, 12, 0, 0, 250));
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      requestId: "life-5",
      sets: [{ count: 1, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } }],
    });
    const operation = parseWith(
      NodeListSchema,
      (await env.http.get("/clusters/hpc/nodes?request_id=life-5")).json,
    ).operation;
    expect(operation?.startTime).toBe("2026-06-01T12:00:00.250Z");
    // life-2, life-3 and life-4 fill the bucket's maxCount of 3.
    expect(parseWith(NodeCreationResultSchema, reply.json).sets).toEqual([
      {
        added: 0,
        message:
          "Added 0 of 1 requested nodes: nodearray ondemand bucket Standard_Fs32_v2 maxCount of 3 reached",
      },
    ]);
    clock.advance(2500);
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect(status.nodearrays[0]?.buckets.map((bucket) => bucket.lastCapacityFailure)).toEqual([2.5, -1]);
  });
});

describe("without a clock option", () => {
  test("the emulator runs on real time", async () => {
    const emulator = await start({ timing: { acquiringMs: 30, preparingMs: 30, terminatingMs: 0 } });
    try {
      const http = api(emulator);
      const before = Date.now();
      await http.post("/clusters/hpc/nodes/create", {
        requestId: "real-1",
        sets: [{ count: 1, nodearray: "ondemand" }],
      });
      const after = Date.now();
      const list = async () =>
        parseWith(NodeListSchema, (await http.get("/clusters/hpc/nodes?request_id=real-1")).json);
      const started = Date.parse((await list()).operation?.startTime ?? "");
      // Real time can only be bracketed: the operation started while the create was under way.
      expect(started).toBeGreaterThanOrEqual(before);
      expect(started).toBeLessThanOrEqual(after);
      await expect.poll(async () => (await list()).nodes[0]?.Status, { timeout: 5000 }).toBe("Ready");
    } finally {
      await emulator.close();
    }
  });
});

describe("observePhase", () => {
  const starting = (failure?: ProvisioningFailure): NodePhase => ({
    kind: "starting",
    since: 1000,
    acquiringMs: 100,
    preparingMs: 50,
    failure,
  });

  test.each([
    [999, "Acquiring", false],
    [1000, "Acquiring", false],
    [1099, "Acquiring", false],
    [1100, "Preparing", true],
    [1149, "Preparing", true],
    [1150, "Ready", true],
  ])("a starting node at %i ms is %s (addressed: %s)", (now, status, addressed) => {
    const seen = observePhase(starting(), now);
    expect([seen.status, seen.addressed, seen.holdsCapacity, seen.reducesAvailability]).toEqual([
      status,
      addressed,
      true,
      true,
    ]);
  });

  test("provisioning failures fail after acquiring or after preparing, or never leave Acquiring", () => {
    const acquiring = starting({ phase: "acquiring", message: "no VM" });
    expect([observePhase(acquiring, 1099).status, observePhase(acquiring, 1100)]).toEqual([
      "Acquiring",
      {
        status: "Failed",
        state: "Failed",
        targetState: "Started",
        addressed: false,
        statusMessage: "no VM",
        gone: false,
        holdsCapacity: true,
        reducesAvailability: true,
      },
    ]);
    const preparing = starting({ phase: "preparing", message: "cluster-init failed" });
    expect([observePhase(preparing, 1149).status, observePhase(preparing, 1150).status]).toEqual([
      "Preparing",
      "Failed",
    ]);
    expect(observePhase(preparing, 1150).addressed).toBe(true);
    expect(observePhase(starting({ phase: "stuck", message: "" }), 10_000_000).status).toBe("Acquiring");
  });

  test("terminating nodes hold capacity but not availability, then are gone", () => {
    const phase: NodePhase = { kind: "terminating", since: 0, durationMs: 10, addressed: true };
    const during = observePhase(phase, 9);
    expect([
      during.status,
      during.targetState,
      during.holdsCapacity,
      during.reducesAvailability,
      during.gone,
    ]).toEqual(["Terminating", "Terminated", true, false, false]);
    const after = observePhase(phase, 10);
    expect([after.gone, after.holdsCapacity]).toEqual([true, false]);
  });

  test("stopping nodes hold capacity until Deallocated, which holds none", () => {
    const phase: NodePhase = { kind: "stopping", since: 0, durationMs: 10, addressed: false };
    expect([
      observePhase(phase, 9).status,
      observePhase(phase, 9).state,
      observePhase(phase, 9).holdsCapacity,
    ]).toEqual(["Stopping", "Deallocating", true]);
    expect([observePhase(phase, 10).status, observePhase(phase, 10).holdsCapacity]).toEqual([
      "Deallocated",
      false,
    ]);
  });
});
