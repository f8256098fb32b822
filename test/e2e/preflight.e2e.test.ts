/**
 * The capacity preflight through the engine (examples/preflight): an update refused by its
 * preflight as the engine prints the error of `diff` (the set's message, a short pointer on the
 * host's stderr, no stack trace), then the healing `up`; and the lines of two sets named alike
 * under different components. The refusal of a create in `check` during preview and up, and the
 * preview that passes once `count` fits, test the provider's own logic:
 * test/engine-model/preflight.test.ts (the engine's line for a failed check: tls.e2e.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import {
  adminPost,
  expectFailure,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  output,
  startE2eEmulator,
  Workspace,
} from "./harness";

let emulator: RunningEmulator;
/** The workspaces of the describe blocks below, disposed at the end. */
const others: Workspace[] = [];

beforeAll(async () => {
  emulator = await startE2eEmulator();
});

afterAll(async () => {
  for (const other of others) await other.dispose();
  await emulator?.close();
});

/** What the healing update of the set below creates, as its preflight says it. */
const HEAL =
  "the update creates 2 node(s) with `count` 3 unchanged: 1 replacing failed ondemand-1 (its room is reused once terminated), 1 replacing node(s) missing from the set (not made by an earlier `up`, or removed outside Pulumi: see `externalRemovals`)";

describe("an update that re-creates nodes with `count` unchanged, through the Pulumi engine", () => {
  const capacity = (maxCount: number) =>
    adminPost(emulator, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      maxCount,
    });

  let healed: Workspace;

  beforeAll(async () => {
    emulator.reset();
    healed = await Workspace.create({ example: "preflight", label: "heal" });
    others.push(healed);
    await healed.init(emulator, { count: "3" });
    expectSuccess(await healed.up());
    // One node fails, one is removed outside Pulumi; the refresh records both in state, even with
    // the bucket full (a refresh diffs without a check: no preflight can fail it).
    await adminPost(emulator, "/fail-nodes", { names: ["ondemand-1"] });
    await adminPost(emulator, "/remove-nodes", { names: ["ondemand-2"] });
    await capacity(2);
    expectSuccess(await healed.refresh());
    const state = await healed.pulumi(["stack", "export"]);
    expect(state.stdout).toContain('"name": "ondemand-3"');
    expect(state.stdout).not.toContain('"name": "ondemand-2"');
  });

  it("refuses the preview in a full bucket, naming the replacements, and touches nothing", async () => {
    // The bucket holds the set's 2 live nodes (ondemand-1 Failed, ondemand-3) and no more.
    await capacity(2);
    const before = await mutatingRequests(emulator);

    const preview = expectFailure(await healed.pulumi(["preview"]));

    expect(output(preview)).toContain(
      "error: cyclecloud solvers: preflight hpc/ondemand Standard_Hc44rs: +1 requested, 0 available (binding limit: bucket availableCount) - does not fit; " +
        HEAL +
        ': free capacity in the cluster, lower `count` to at most 2, or set `preflight: "warn"` to try anyway',
    );
    // The host's stderr line for an error thrown by diff is a short pointer: no stack trace, no copy.
    expect(output(preview)).toContain(
      "cyclecloud: preflight refused the update: the reason is the node set's error",
    );
    expect(output(preview)).not.toMatch(/DiffRefusalError|\n\s+at \S+ \(/);
    expect(await mutatingRequests(emulator)).toBe(before);
  });

  it("passes the preview with room for the one node the failed node's room does not give, and up heals", async () => {
    await capacity(3);

    const preview = expectSuccess(await healed.pulumi(["preview"]));

    expect(output(preview)).toContain(
      "cyclecloud solvers: preflight hpc/ondemand Standard_Hc44rs: +1 requested, 1 available (binding limit: bucket availableCount) - fits; " +
        HEAL,
    );
    expectSuccess(await healed.up());
    const live = await liveNodes(emulator);
    expect(live.map((n) => n.record.Status)).toEqual(["Ready", "Ready", "Ready"]);
  });
});

describe("two sets named alike under different components, through the Pulumi engine", () => {
  it("print lines that name the component types, so one can tell them apart", async () => {
    emulator.reset();
    const twins = await Workspace.create({ example: "preflight", label: "twins" });
    others.push(twins);
    await twins.writeProgram(`import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet } from "pulumi-cyclecloud";

class Training extends pulumi.ComponentResource {
  constructor(name: string) {
    super("lab:index:Training", name);
    new CycleCloudNodeSet("workers", { cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Hc44rs", count: 1 }, { parent: this });
  }
}
class Inference extends pulumi.ComponentResource {
  constructor(name: string) {
    super("lab:index:Inference", name);
    new CycleCloudNodeSet("workers", { cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Hc44rs", count: 1 }, { parent: this });
  }
}
new Training("train");
new Inference("infer");
`);
    await twins.init(emulator);

    const up = expectSuccess(await twins.up());

    for (const parent of ["lab:index:Training", "lab:index:Inference"]) {
      expect(output(up)).toMatch(
        new RegExp(
          `cyclecloud workers \\(in ${parent}\\): requested 1 node\\(s\\) as pcc-[0-9a-f]+-0: 1 added`,
        ),
      );
    }
  });
});

describe("secrets", () => {
  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere(others);
  });
});
