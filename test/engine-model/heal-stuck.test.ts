/**
 * A node that never becomes ready, in a bucket with no room for its replacement until it is gone
 * (user trial). Converging passes through its stages once: a node that turns stuck while the set
 * waits for readiness is named in the timeout and replaced by the next `up`, not healed after the
 * wait with its replacement left out of state; a node already stuck is replaced first, and the
 * replacement is waited for.
 */
import { beforeEach, afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { admin } from "../provider/harness";
import type { Declared, EngineModel } from "./engine";
import { declared, liveNodes, redeclared, stackFor } from "./helpers";

const HC = "Standard_Hc44rs";
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 300 } });
});
afterAll(async () => {
  await emulator?.close();
});

let stack: EngineModel;
let set: Declared;

/** A set of 3 in a bucket of 3, its third node stuck acquiring (its grow timed out after 1 s). */
beforeEach(async () => {
  emulator.reset();
  await admin(emulator, "/capacity", { cluster: "hpc", nodearray: "ondemand", machineType: HC, maxCount: 3 });
  stack = stackFor(emulator);
  set = declared("workers", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: HC,
    count: 2,
    readyTimeoutSeconds: 1,
  });
  expect((await stack.up([set])).failures).toEqual([]);
  await admin(emulator, "/fail-next-nodes", { count: 1, phase: "stuck" });
  set = redeclared(set, { count: 3 });
  expect((await stack.up([set])).failures.map((f) => f.op)).toEqual(["update"]);
  // A replacement takes 1.5 s to be ready, within a readyTimeoutSeconds of 3.
  await admin(emulator, "/timing", { acquiringMs: 1500 });
  set = redeclared(set, { readyTimeoutSeconds: 3 });
});

const stateIds = (): string[] => [...stack.set("workers").outputs.nodeIds].sort();
const liveIds = (): string[] =>
  liveNodes(emulator)
    .map((n) => n.record.NodeId)
    .sort();

describe("a stuck node in a full bucket", () => {
  it("not yet stuck when the up starts: the wait times out naming it, and every node stays in state", async () => {
    const up = await stack.up([set]);

    // On a slow machine the node may already be past 3 s: then it is replaced first (the next test).
    if (up.failures.length > 0) {
      expect(up.failures[0]?.message).toContain("1 node(s) not ready (ondemand-3: Acquiring)");
      expect(up.info.join("\n")).not.toContain("replacing");
    }
    expect(stateIds()).toEqual(liveIds());
    expect(liveIds()).toHaveLength(3);
  });

  it("stuck when the up starts: replaced once it is gone, and the replacement is waited for", async () => {
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const up = await stack.up([set]);

    const text = up.info.join("\n");
    expect(text).toContain("replacing 1 failed node(s) (1 not ready after 3s): ondemand-3");
    expect(text).toContain("waiting for 1 replaced node(s) to terminate before asking again");
    expect(up.failures).toEqual([]);
    expect(liveNodes(emulator).map((n) => n.record.Status)).toEqual(["Ready", "Ready", "Ready"]);
    expect(stateIds()).toEqual(liveIds());
  });
});
