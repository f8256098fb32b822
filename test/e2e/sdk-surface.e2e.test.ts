/**
 * What the Node.js SDK and Node's runtime take part in, on one stack with as few `pulumi` commands
 * as show it: the compatibility legs of `.ci/run` (scripts/compat.sh, Node 22 with the newest SDK,
 * and the oldest SDK of the peer range) run this file and packed-package instead of the whole
 * suite. Each of these behaviours is also shown, at length, by its own file (named in brackets),
 * which the main e2e step runs with the repository's SDK.
 *
 * 1. The SDK serializes the provider, the dynamic provider host loads it and `configure`s it with
 *    the stack config, whose secret it keeps as ciphertext; a set whose `connection` holds a secret
 *    Output of the program's config, and getClusterStatus's Promise and Output forms with it; sets
 *    at the top level and under a component parent (quickstart-lifecycle, connection-inputs,
 *    ownership).
 * 2. An alias renames a set without touching its nodes; the `deleteBeforeReplace` resource option
 *    reaches the provider's preview and the engine's replacement order (ownership, set-changes).
 * 3. A node that fails in a grow: the SDK hands the engine the partial failure, which records the
 *    set with every node and the reason (partial-failure).
 * 4. `pulumi-cyclecloud plan` through the Automation API of the staged package's SDK, then the up
 *    it planned heals the set (plan).
 * 5. Destroy; no password in any output, state or config.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import type { CapacityPlan } from "../../provider/plan";
import type { StateResource } from "./harness";
import {
  adminPost,
  emulatorNodes,
  expectFailure,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  NODE_SET_TYPE,
  nodeSetSteps,
  output,
  previewDiagnostics,
  run,
  startE2eEmulator,
  Workspace,
} from "./harness";

const PROJECT = "cyclecloud-quickstart";
const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;
let ws: Workspace;
/** The URNs of the top-level `workers`, the component's `workers`, `old` and `renamed`. */
let top: string;
let pooled: string;
let old: string;
let renamed: string;

const ids = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.NodeId).sort();
const sorted = (values: readonly string[]): string[] => [...values].sort();

/** The program: a top-level `workers` (delete-first), a component's `workers`, and `third`. */
function program(options: { tag: string; pooledCount: number; third: string }): string {
  return [
    `import * as pulumi from "@pulumi/pulumi";`,
    `import { CycleCloudNodeSet, getClusterStatus, getClusterStatusOutput } from "pulumi-cyclecloud";`,
    ``,
    `const config = new pulumi.Config();`,
    `const spec = { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}" };`,
    `// The third set's own connection, its password from a secret of the program's config.`,
    `const connection = { url: config.require("url"), username: config.require("username"), password: config.requireSecret("pw") };`,
    ``,
    `class Pool extends pulumi.ComponentResource {`,
    `  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {`,
    `    super("acme:hpc:Pool", name, {}, opts);`,
    `    new CycleCloudNodeSet("workers", { ...spec, count: ${options.pooledCount} }, { parent: this });`,
    `    this.registerOutputs({});`,
    `  }`,
    `}`,
    ``,
    `new CycleCloudNodeSet(`,
    `  "workers",`,
    `  { ...spec, count: 2, nodeAttributes: { Tags: { v: "${options.tag}" } } },`,
    `  { deleteBeforeReplace: true },`,
    `);`,
    `new Pool("pool");`,
    options.third,
    `export const clusterState = getClusterStatus({ cluster: "hpc", connection }).then((s) => s.state);`,
    `export const clusterStateOutput = getClusterStatusOutput({ cluster: "hpc", connection }).apply((s) => s.state);`,
    ``,
  ].join("\n");
}

const third = `new CycleCloudNodeSet("old", { ...spec, count: 1, connection });`;
const thirdRenamed = `new CycleCloudNodeSet("renamed", { ...spec, count: 1, connection }, { aliases: [{ name: "old" }] });`;

/** A value the engine stores encrypted, as `pulumi stack export` shows it. */
const CIPHERTEXT = {
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  ciphertext: expect.stringMatching(/^v1:/),
};

/** The node ids each node set in state holds, by URN; every live node held by exactly one set. */
async function holdings(state?: readonly StateResource[]): Promise<Record<string, string[]>> {
  const held: Record<string, string[]> = {};
  for (const set of (state ?? (await ws.stateResources())).filter((r) => r.type === NODE_SET_TYPE)) {
    held[set.urn] = sorted((set.outputs?.["nodeIds"] as string[] | undefined) ?? []);
  }
  const all = Object.values(held).flat();
  expect(all.filter((id, index) => all.indexOf(id) !== index)).toEqual([]);
  expect(sorted(all)).toEqual(ids(await liveNodes(emulator)));
  return held;
}

/** The set of this URN in state. */
async function setAt(
  urn: string,
  state?: readonly StateResource[],
): Promise<{ inputs: Record<string, unknown>; outputs: Record<string, unknown>; initErrors?: string[] }> {
  const set = (state ?? (await ws.stateResources())).find((s) => s.urn === urn);
  if (set?.outputs === undefined || set.inputs === undefined) throw new Error(`no node set ${urn} in state`);
  const found = { inputs: set.inputs, outputs: set.outputs };
  return set.initErrors ? { ...found, initErrors: set.initErrors } : found;
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "quickstart", label: "sdk-surface" });
  await ws.init(emulator);
  await ws.setConfig({ url: emulator.url, username: emulator.username });
  expectSuccess(await ws.pulumi(["config", "set", "--secret", "pw"], { input: emulator.password }));
  top = ws.urn(PROJECT, "workers");
  pooled = `urn:pulumi:${ws.stack}::${PROJECT}::acme:hpc:Pool$${NODE_SET_TYPE}::workers`;
  old = ws.urn(PROJECT, "old");
  renamed = ws.urn(PROJECT, "renamed");
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("the SDK's surfaces on one stack", () => {
  /** What each set held after the first up. */
  let first: Record<string, string[]>;
  /** The component's node that failed in the grow. */
  let failed: AdminNodeView;

  it("loads the serialized provider, configures it from the stack config (the password kept as ciphertext), and creates sets at the top and under a component", async () => {
    await ws.writeProgram(program({ tag: "1", pooledCount: 1, third }));

    const preview = expectSuccess(await ws.preview());
    expect(nodeSetSteps(preview)).toEqual(sorted([`create ${top}`, `create ${pooled}`, `create ${old}`]));
    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain("cyclecloud workers: 2/2 ready");
    expect((await liveNodes(emulator)).map((n) => n.record.Status)).toEqual([
      "Ready",
      "Ready",
      "Ready",
      "Ready",
    ]);
    const state = await ws.stateResources();
    first = await holdings(state);
    expect(Object.keys(first).sort()).toEqual(sorted([top, pooled, old]));
    expect([first[top]?.length, first[pooled]?.length, first[old]?.length]).toEqual([2, 1, 1]);
    // The engine keeps the whole stack config as the default dynamic provider's inputs: both
    // secrets (the stack's password, the program's `pw`) only as ciphertext.
    const providers = state.filter((r) => r.type === "pulumi:providers:pulumi-nodejs");
    expect(providers.map((r) => [r.urn.split("::").pop(), r.inputs])).toEqual([
      [
        "default",
        {
          "cyclecloud:url": emulator.url,
          "cyclecloud:username": emulator.username,
          "cyclecloud:password": CIPHERTEXT,
          "cyclecloud-quickstart:url": emulator.url,
          "cyclecloud-quickstart:username": emulator.username,
          "cyclecloud-quickstart:pw": CIPHERTEXT,
        },
      ],
    ]);
    // A secret Output in a set's inputs: stored as ciphertext in inputs and outputs; the Output
    // form of getClusterStatus keeps it secret, the Promise form does not carry it.
    const oldSet = await setAt(old, state);
    expect(oldSet.inputs["connection"]).toEqual(CIPHERTEXT);
    expect(oldSet.outputs["connection"]).toEqual(CIPHERTEXT);
    expect(await ws.outputs()).toEqual({ clusterState: "Started", clusterStateOutput: "[secret]" });
  });

  it("renames a set with an alias, touching none of its nodes, and replaces another old nodes first (deleteBeforeReplace) where create-first does not fit", async () => {
    // 4 nodes live: 1 more fits; the replacement's 2 new nodes fit only once its 2 old ones are gone.
    await adminPost(emulator, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: HC,
      maxCount: 5,
    });
    await ws.writeProgram(program({ tag: "2", pooledCount: 1, third: thirdRenamed }));

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "replace", urn: top, replaceReasons: ["nodeAttributes"] }]);
    const diagnostics = previewDiagnostics(preview);
    expect(diagnostics).toContain(
      `+2 requested, 3 available (binding limit: bucket availableCount) - fits (after the replaced set's 2 node(s) are terminated first)`,
    );
    expect(diagnostics).toContain(
      'cyclecloud workers: replace: nodeAttributes {"Tags":{"v":"1"}} -> {"Tags":{"v":"2"}}; the old 2 node(s) are terminated first, then 2 new one(s) are created',
    );
    expectSuccess(await ws.up());

    const held = await holdings();
    expect(Object.keys(held).sort()).toEqual(sorted([top, pooled, renamed]));
    expect(held[renamed]).toEqual(first[old]);
    expect(held[pooled]).toEqual(first[pooled]);
    expect(held[top]).toHaveLength(2);
    expect((held[top] ?? []).filter((id) => first[top]?.includes(id))).toEqual([]);
    expect((await liveNodes(emulator)).map((n) => n.record.Status)).toEqual([
      "Ready",
      "Ready",
      "Ready",
      "Ready",
    ]);
  });

  it("fails an up whose grow has a failed node, yet the engine records the set with every node and the reason", async () => {
    await ws.writeProgram(program({ tag: "2", pooledCount: 2, third: thirdRenamed }));
    expect(await adminPost(emulator, "/fail-next-nodes", { count: 1 })).toEqual({ pending: 1 });

    const up = expectFailure(await ws.up());

    const failedNodes = (await liveNodes(emulator)).filter((n) => n.record.Status === "Failed");
    expect(failedNodes).toHaveLength(1);
    [failed] = failedNodes as [AdminNodeView];
    const reason = `1 failed: ${failed.record.StatusMessage ?? "?"} (${failed.record.Name}); the next \`pulumi up\` replaces them`;
    expect(output(up)).toContain(reason);
    const state = await ws.stateResources();
    const set = await setAt(pooled, state);
    expect(set.initErrors).toEqual([reason]);
    expect(set.outputs["failedCount"]).toBe(1);
    const inState = set.outputs["nodes"] as { id: string; status: string }[];
    const mine = (await liveNodes(emulator)).filter((n) => inState.some((s) => s.id === n.record.NodeId));
    expect(Object.fromEntries(inState.map((n) => [n.id, n.status]))).toEqual(
      Object.fromEntries(mine.map((n) => [n.record.NodeId, n.record.Status])),
    );
    expect(ids(mine)).toEqual(sorted([...(first[pooled] ?? []), failed.record.NodeId]));
    await holdings(state);
  });

  it("plans the healing update through the Automation API, and the up heals the set as planned", async () => {
    const cli = join(inject("stagedModules"), "pulumi-cyclecloud", "dist", "provider", "plan", "cli.js");
    const plan = await run(process.execPath, [cli, "plan", "--stack", ws.stack, "--json"], {
      cwd: ws.programDir,
      env: ws.env(),
    });
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
    const answer = JSON.parse(plan.stdout) as CapacityPlan;
    expect(answer.stack).toBe(ws.stack);
    expect(answer.fits).toBe(true);
    // The failed up kept the component's set's old inputs (count 1) beside its new outputs.
    const set = (name: string, action: string, from: number, to: number) => ({
      name,
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: HC,
      action,
      from,
      to,
    });
    // The sets are judged at once, so in no fixed order: by URN.
    const changes = answer.changes.map(({ urn, ...change }) => [urn, change] as const);
    expect(changes.sort(([a], [b]) => a.localeCompare(b))).toEqual(
      [
        [renamed, set("renamed", "same", 1, 1)],
        [pooled, set("workers", "update", 1, 2)],
        [top, set("workers", "same", 2, 2)],
      ].sort(([a], [b]) => String(a).localeCompare(String(b))),
    );

    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain(
      `cyclecloud workers (in acme:hpc:Pool): replacing 1 failed node(s): ${failed.record.Name}`,
    );
    const state = await ws.stateResources();
    const healed = await setAt(pooled, state);
    expect(healed.initErrors).toBeUndefined();
    expect(healed.outputs["failedCount"]).toBe(0);
    expect((await emulatorNodes(emulator)).map((n) => n.record.Status)).toEqual([
      "Ready",
      "Ready",
      "Ready",
      "Ready",
      "Ready",
    ]);
    expect((await holdings(state))[pooled]).toHaveLength(2);
  });

  it("terminates every node on destroy and leaves no set in state", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere([ws]);
    const config = (await ws.persistedFiles()).find((f) => f.path.endsWith(`Pulumi.${ws.stack}.yaml`));
    expect(config?.text).toMatch(/ {2}cyclecloud:password:\n {4}secure: v1:/);
  });
});
