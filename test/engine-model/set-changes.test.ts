/**
 * Set changes of the provider's own logic, through the engine model (moved from
 * test/e2e/set-changes.e2e.test.ts, assertions kept): a set that lets something else remove its
 * nodes (`externalRemovals: "forget"`), and a CycleCloud that answers every create with 503 (the
 * messages of the outage, nothing lost, the grow finished once CycleCloud answers). The engine
 * only carries these lines and records what the provider returns; what the real engine adds (the
 * `deleteBeforeReplace` resource option, why a set changes in `preview --diff`) stays in
 * test/e2e/set-changes.e2e.test.ts.
 *
 * The provider runs with the client's default retries (4, as in the e2e suite, whose messages
 * count the attempts) and the fast tier's short delays; the emulator keeps the e2e suite's timing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import { DEFAULT_CLIENT_SETTINGS } from "../../provider/client/settings";
import { admin, TEST_TUNING } from "../provider/harness";
import type { CommandResult, Declared, EngineModel } from "./engine";
import { EngineModel as Engine } from "./engine";
import { declared, liveNodes, mutations, redeclared } from "./helpers";

const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;

const ids = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.NodeId).sort();
const names = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.Name).sort();

/** What the engine prints of a command: the provider's lines, warnings and failure messages. */
const output = (result: CommandResult): string =>
  [...result.info, ...result.error, ...result.warnings, ...result.failures.map((f) => f.message)].join("\n");

/** A stack on a reset emulator, its provider with the client's default retries. */
function freshStack(): EngineModel {
  emulator.reset();
  return new Engine(
    {
      "cyclecloud:url": emulator.url,
      "cyclecloud:username": emulator.username,
      "cyclecloud:password": emulator.password,
    },
    { tuning: { ...TEST_TUNING, retries: DEFAULT_CLIENT_SETTINGS.retries } },
  );
}

/** The one set `workers` of the e2e file's program: hpc/ondemand and `inputs`. */
const workers = (inputs: Record<string, unknown>): Declared =>
  declared("workers", { cluster: "hpc", nodearray: "ondemand", ...inputs });

/** The node ids the set holds in state. */
const stateNodeIds = (stack: EngineModel): string[] => [...stack.set("workers").outputs.nodeIds].sort();

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    timing: { acquiringMs: 200, preparingMs: 200, terminatingMs: 100 },
  });
});

afterAll(async () => {
  await emulator?.close();
});

describe('a set that lets something else remove its nodes (externalRemovals: "forget")', () => {
  let stack: EngineModel;
  let set: Declared;

  beforeAll(async () => {
    stack = freshStack();
    set = workers({ count: 3, machineType: HC, externalRemovals: "forget" });
    expect((await stack.up([set])).failures).toEqual([]);
  });

  it("forgets a node removed outside Pulumi on refresh and does not re-create it", async () => {
    const live = liveNodes(emulator);
    expect(names(live)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3"]);
    const [gone, ...kept] = live;
    if (!gone) throw new Error("expected 3 nodes");
    await admin(emulator, "/remove-nodes", { names: [gone.record.Name] });

    const refresh = await stack.refresh();
    expect(refresh.failures).toEqual([]);
    expect(output(refresh)).toContain(
      `cyclecloud workers: 1 node(s) removed outside Pulumi, forgotten (externalRemovals: "forget"): ${gone.record.Name}`,
    );
    expect(stack.set("workers").outputs.forgottenCount).toBe(1);
    expect(stateNodeIds(stack)).toEqual(ids(kept));

    const before = mutations(emulator);
    const preview = await stack.preview([set]);
    // The e2e test's `changeSummary` { same: 3 }: the stack, the set's identity and the set.
    expect(preview.failures).toEqual([]);
    expect(preview.steps).toEqual({ workers: "same" });
    expect((await stack.up([set])).failures).toEqual([]);
    expect(mutations(emulator)).toBe(before);
    expect(ids(liveNodes(emulator))).toEqual(ids(kept));
  });

  it("grows again when count changes, from what it holds", async () => {
    set = redeclared(set, { count: 4 });
    expect((await stack.up([set])).failures).toEqual([]);
    // Two new nodes beside the two kept: the lowest free names, the forgotten node's among them.
    const live = liveNodes(emulator);
    expect(names(live)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3", "ondemand-4"]);
    expect(stateNodeIds(stack)).toEqual(ids(live));
    expect(stack.set("workers").outputs.forgottenCount).toBeUndefined();
    expect((await stack.destroy()).failures).toEqual([]);
  });
});

describe("a CycleCloud that answers every create with 503", () => {
  let stack: EngineModel;
  let set: Declared;
  /** The nodes the set held before the failed grow. */
  let held: string[] = [];

  beforeAll(async () => {
    stack = freshStack();
    set = workers({ count: 2, machineType: HC });
    expect((await stack.up([set])).failures).toEqual([]);
  });

  it("fails the grow naming the set, the operation, the cause and the next step, and loses nothing", async () => {
    held = stateNodeIds(stack);
    await admin(emulator, "/faults", { route: "create", status: 503, count: 10 });
    set = redeclared(set, { count: 4 });

    const up = await stack.up([set]);
    expect(up.ok).toBe(false);

    const text = output(up);
    expect(text).toMatch(
      /create request pcc-[0-9a-f]{24}-1 was answered 503 \(Service Unavailable.*\); CycleCloud does not know the request, so it was not applied: sending it again \(attempt 2 of 4\)/,
    );
    expect(text).not.toContain("got no answer");
    expect(text).toMatch(
      /workers: grow from 2 to 4 nodes did not finish: create request pcc-[0-9a-f]{24}-1 was sent 4 times and never applied \(CycleCloud does not know it\), so it created no node; last answer: CycleCloud answered 503 to POST \/clusters\/hpc\/nodes\/create[^;]*; the set is recorded with the 2 node\(s\) it holds \(2 ready\)\. CycleCloud is unavailable or overloaded: run `pulumi up` again later/,
    );
    expect(ids(liveNodes(emulator))).toEqual(held);
    expect(stateNodeIds(stack)).toEqual(held);
  });

  it("finishes the grow on the next up once CycleCloud answers again", async () => {
    await fetch(`${emulator.adminUrl}/faults`, { method: "DELETE", headers: emulator.adminHeaders() });
    expect((await stack.up([set])).failures).toEqual([]);
    const live = liveNodes(emulator);
    expect(names(live)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3", "ondemand-4"]);
    expect(ids(live)).toEqual(expect.arrayContaining(held));
    expect(stateNodeIds(stack)).toEqual(ids(live));
    expect((await stack.destroy()).failures).toEqual([]);
    expect(liveNodes(emulator)).toEqual([]);
  });
});
