/**
 * The life of one quickstart stack, command by command, through the real engine: preview, create,
 * no-op, resize both ways, replace, out-of-band loss with refresh, destroy. The scenarios build on
 * each other (each starts from the state the previous one left), as a user's stack would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import {
  adminPost,
  emulatorNodes,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  output,
  outputsOf,
  startE2eEmulator,
  Workspace,
} from "./harness";

const PROJECT = "cyclecloud-quickstart";

let emulator: RunningEmulator;
let ws: Workspace;
let urn: string;
/** The two nodes the first `up` created, sorted by name. */
let firstNodes: AdminNodeView[];
/** The set's base request id (its resource id) before the replace. */
let base: string;

const ids = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.NodeId);
const summary = (nodes: readonly AdminNodeView[]) =>
  nodes.map((n) => ({ status: n.record.Status, machineType: n.record.MachineType, requestId: n.requestId }));

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "quickstart" });
  await ws.init(emulator);
  urn = ws.urn(PROJECT, "workers");
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("a quickstart stack through the Pulumi engine", () => {
  it("previews one node set to create on a new stack and creates no node", async () => {
    const preview = expectSuccess(await ws.preview());

    expect(preview.steps).toEqual([{ op: "create", urn }]);
    // The stack, the set and the set's identity (see provider/engine/node-set-identity.ts).
    expect(preview.changeSummary).toEqual({ create: 3 });
    expect(output(preview)).toContain(
      "cyclecloud workers: preflight hpc/ondemand Standard_Fs32_v2: +2 requested, 3 available (binding limit: bucket availableCount) - fits",
    );
    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await mutatingRequests(emulator)).toBe(0);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("creates exactly `count` Ready nodes on up, and the stack outputs list them", async () => {
    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain("cyclecloud workers: 2/2 ready");
    const set = await ws.nodeSet();
    base = set.id ?? "";
    expect(base).toMatch(/^pcc-[0-9a-f]{24}$/);
    firstNodes = await liveNodes(emulator);
    expect(summary(firstNodes)).toEqual([
      { status: "Ready", machineType: "Standard_Fs32_v2", requestId: `${base}-0` },
      { status: "Ready", machineType: "Standard_Fs32_v2", requestId: `${base}-0` },
    ]);
    expect(ids(await emulatorNodes(emulator)).sort()).toEqual(ids(firstNodes).sort());
    expect(firstNodes.map((n) => n.record.Name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(await ws.outputs()).toEqual({ ...outputsOf(firstNodes), readyCount: 2 });
    expect(set.outputs["requestIds"]).toEqual([`${base}-0`]);
    // The engine keeps the whole stack config as the default dynamic provider's inputs (see the
    // README): the secret password only as ciphertext.
    const providers = (await ws.stateResources()).filter((r) => r.type === "pulumi:providers:pulumi-nodejs");
    expect(providers.map((r) => [r.urn.split("::").pop(), r.inputs])).toEqual([
      [
        "default",
        {
          "cyclecloud:url": emulator.url,
          "cyclecloud:username": emulator.username,
          "cyclecloud:password": {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            ciphertext: expect.stringMatching(/^v1:/),
          },
        },
      ],
    ]);
  });

  it("reports no changes on a second preview and up, and sends CycleCloud no change", async () => {
    const before = await mutatingRequests(emulator);

    expectSuccess(await ws.pulumi(["preview", "--expect-no-changes"]));
    const up = expectSuccess(await ws.up(["--expect-no-changes"]));

    expect(up.stdout).toMatch(/Resources:\n\s+3 unchanged\n/);
    expect(await mutatingRequests(emulator)).toBe(before);
    expect(ids(await emulatorNodes(emulator))).toEqual(ids(firstNodes));
  });

  it("previews a larger count as an update, not a replace, and adds nodes beside the existing ones", async () => {
    await ws.setConfig({ count: "3" });

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "update", urn }]);
    expect(preview.changeSummary).toEqual({ same: 2, update: 1 });
    const diff = expectSuccess(await ws.pulumi(["preview", "--diff"]));
    expect(diff.stdout).toMatch(/~ count\s+: 2 => 3\n/);

    expectSuccess(await ws.up());
    const nodes = await liveNodes(emulator);
    expect(summary(nodes)).toEqual([
      { status: "Ready", machineType: "Standard_Fs32_v2", requestId: `${base}-0` },
      { status: "Ready", machineType: "Standard_Fs32_v2", requestId: `${base}-0` },
      { status: "Ready", machineType: "Standard_Fs32_v2", requestId: `${base}-1` },
    ]);
    expect(ids(nodes).slice(0, 2)).toEqual(ids(firstNodes));
    expect(await ws.outputs()).toEqual({ ...outputsOf(nodes), readyCount: 3 });
  });

  it("previews a smaller count as an update and terminates only the newest node", async () => {
    await ws.setConfig({ count: "2" });

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "update", urn }]);

    const up = expectSuccess(await ws.up());
    expect(up.stdout).toContain("cyclecloud workers: shrinking from 3 to 2: terminating ondemand-3");
    // The shrink waited for the node to be gone: nothing is left terminating.
    expect(ids(await emulatorNodes(emulator))).toEqual(ids(firstNodes));
    expect(await ws.outputs()).toEqual({ ...outputsOf(firstNodes), readyCount: 2 });
  });

  it("previews a new machineType as a replace, and after up only new nodes of that type exist", async () => {
    await ws.setConfig({ machineType: "Standard_Hc44rs" });

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "replace", urn, replaceReasons: ["machineType"] }]);

    expectSuccess(await ws.up());
    const set = await ws.nodeSet();
    const newBase = set.id ?? "";
    expect(newBase).toMatch(/^pcc-[0-9a-f]{24}$/);
    expect(newBase).not.toBe(base);
    const all = await emulatorNodes(emulator);
    expect(summary(all)).toEqual([
      { status: "Ready", machineType: "Standard_Hc44rs", requestId: `${newBase}-0` },
      { status: "Ready", machineType: "Standard_Hc44rs", requestId: `${newBase}-0` },
    ]);
    expect(ids(all).filter((id) => ids(firstNodes).includes(id))).toEqual([]);
    expect(await ws.outputs()).toEqual({ ...outputsOf(await liveNodes(emulator)), readyCount: 2 });
    base = newBase;
  });

  it("sees a node removed out of band on refresh, previews an update, and replaces it on up", async () => {
    const [lost, kept] = await liveNodes(emulator);
    if (!lost || !kept) throw new Error("expected two nodes");
    await adminPost(emulator, "/remove-nodes", { ids: [lost.record.NodeId] });

    expectSuccess(await ws.refresh());
    const refreshed = await ws.nodeSet();
    expect(refreshed.outputs["nodeIds"]).toEqual([kept.record.NodeId]);
    expect(refreshed.outputs["readyCount"]).toBe(1);
    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "update", urn }]);

    expectSuccess(await ws.up());
    const nodes = await liveNodes(emulator);
    expect(summary(nodes)).toEqual([
      { status: "Ready", machineType: "Standard_Hc44rs", requestId: `${base}-1` },
      { status: "Ready", machineType: "Standard_Hc44rs", requestId: `${base}-0` },
    ]);
    expect(ids(nodes)).toContain(kept.record.NodeId);
    expect(ids(nodes)).not.toContain(lost.record.NodeId);
    expect(await ws.outputs()).toEqual({ ...outputsOf(nodes), readyCount: 2 });
  });

  it("terminates every node of the stack on destroy and leaves nothing in state", async () => {
    const destroy = expectSuccess(await ws.destroy());

    expect(destroy.stdout).toContain("cyclecloud workers: terminating 2 node(s)");
    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
    expect(await ws.outputs()).toEqual({});
  });

  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere([ws]);
    const config = (await ws.persistedFiles()).find((f) => f.path.endsWith(`Pulumi.${ws.stack}.yaml`));
    expect(config?.text).toMatch(/ {2}cyclecloud:password:\n {4}secure: v1:/);
  });
});
