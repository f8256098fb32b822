/**
 * Which set owns which node, through the real engine, where two node sets could take each other's
 * nodes: two sets of the same name under different parents, a set renamed (with an alias) whose
 * old name is then given to a new set, a stack renamed whose old name is then given to a new
 * stack, one program with an explicit `requestId` deployed to two stacks, and a set whose
 * `requestId` names another stack's base. Every node must be held by exactly one set, each set
 * must create its own nodes, and removing or destroying one set must terminate only its own nodes.
 *
 * After every step: the live nodes of the emulator are exactly the union of the nodes the sets in
 * state hold, and no node is held by two sets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import type { CommandResult } from "./harness";
import {
  emulatorNodes,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  NODE_SET_TYPE,
  nodeSetSteps,
  output,
  previewDiagnostics,
  startE2eEmulator,
  tail,
  Workspace,
} from "./harness";

const PROJECT = "cyclecloud-quickstart";
/** The seed's Standard_Hc44rs bucket has room for 11 nodes: every situation fits. */
const SPEC = `{ cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Hc44rs" }`;

let emulator: RunningEmulator;
/** Every workspace (and renamed stack) of the file, for the credentials check. */
const workspaces: Workspace[] = [];

const ids = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.NodeId);
const sorted = (values: readonly string[]): string[] => [...values].sort();
const statuses = (nodes: readonly AdminNodeView[]): string[] => nodes.map((n) => n.record.Status);
const names = (nodes: readonly AdminNodeView[]): string[] => sorted(nodes.map((n) => n.record.Name));
/** The names of the nodes whose ids are in `held`. */
const namesOf = (nodes: readonly AdminNodeView[], held: readonly string[]): string[] =>
  names(nodes.filter((n) => held.includes(n.record.NodeId)));

/** Lines where a set said it adopted nodes it found under its request id: another set's, here. */
function adoptions(result: CommandResult): string[] {
  return output(result)
    .split("\n")
    .filter((line) => line.includes("adopting"));
}

/** Creates nodes outside Pulumi with a request id of their own, as another tool would. */
async function adminCreate(requestId: string, count: number): Promise<void> {
  const response = await fetch(`${emulator.url}/clusters/hpc/nodes/create`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${emulator.username}:${emulator.password}`).toString("base64")}`,
    },
    body: JSON.stringify({
      requestId,
      sets: [{ count, nodearray: "ondemand", definition: { machineType: "Standard_Hc44rs" } }],
    }),
  });
  expect(response.status).toBe(202);
}

/** A program of the quickstart project: the imports, the spec, then `body`. The connection comes from the stack config. */
function program(body: string): string {
  return [
    `import * as pulumi from "@pulumi/pulumi";`,
    `import { CycleCloudNodeSet } from "pulumi-cyclecloud";`,
    ``,
    `const spec = ${SPEC};`,
    ``,
    body.trim(),
    ``,
  ].join("\n");
}

/** The URN of a node set inside a `acme:hpc:Pool` component. */
function poolSetUrn(ws: Workspace, name: string): string {
  return `urn:pulumi:${ws.stack}::${PROJECT}::acme:hpc:Pool$${NODE_SET_TYPE}::${name}`;
}

/** A fresh stack of the quickstart project on a reset emulator, running `text`. */
async function freshStack(label: string, text: string): Promise<Workspace> {
  emulator.reset();
  const ws = await Workspace.create({ example: "quickstart", label });
  workspaces.push(ws);
  await ws.init(emulator);
  await ws.writeProgram(text);
  return ws;
}

/** The node ids each node set in the state of these stacks holds, by URN. */
async function holdings(stacks: readonly Workspace[]): Promise<Record<string, string[]>> {
  const held: Record<string, string[]> = {};
  for (const ws of stacks) {
    for (const set of await ws.nodeSets()) {
      expect(held[set.urn], `${set.urn} is in two stacks`).toBeUndefined();
      held[set.urn] = sorted((set.outputs?.["nodeIds"] as string[] | undefined) ?? []);
    }
  }
  return held;
}

/**
 * Asserts that the live nodes of the emulator are exactly the nodes the sets in state hold, and
 * that no node is held by two sets. Returns what each set holds, by URN.
 */
async function expectEachLiveNodeHeldOnce(stacks: readonly Workspace[]): Promise<Record<string, string[]>> {
  const held = await holdings(stacks);
  const all = Object.values(held).flat();
  const twice = all.filter((id, index) => all.indexOf(id) !== index);
  expect(twice, `nodes held by more than one set: ${JSON.stringify(held)}`).toEqual([]);
  expect(sorted(all), `the sets in state: ${JSON.stringify(held)}`).toEqual(
    sorted(ids(await liveNodes(emulator))),
  );
  return held;
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
});

afterAll(async () => {
  for (const ws of workspaces) await ws.dispose();
  await emulator?.close();
});

describe("two node sets of the same name under different parents", () => {
  const both = program(`
class Pool extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("acme:hpc:Pool", name, {}, opts);
    new CycleCloudNodeSet("workers", { ...spec, count: 2 }, { parent: this });
    this.registerOutputs({});
  }
}

new CycleCloudNodeSet("workers", { ...spec, count: 2 });
new Pool("pool");
`);
  const topOnly = program(`new CycleCloudNodeSet("workers", { ...spec, count: 2 });`);

  let ws: Workspace;
  let top: string;
  let pooled: string;
  /** The nodes the top-level set holds after the first up. */
  let topNodes: string[];

  beforeAll(async () => {
    ws = await freshStack("ownership-parents", both);
    top = ws.urn(PROJECT, "workers");
    pooled = poolSetUrn(ws, "workers");
  });

  it("creates two nodes for each set on up, and no node is held by both", async () => {
    const preview = expectSuccess(await ws.preview());
    expect(nodeSetSteps(preview)).toEqual([`create ${top}`, `create ${pooled}`].sort());

    const up = expectSuccess(await ws.up());
    // Kept before any check, so the next steps show what happens to these nodes whatever fails here.
    topNodes = (await holdings([ws]))[top] ?? [];

    expect(adoptions(up)).toEqual([]);
    const live = await liveNodes(emulator);
    expect(statuses(live)).toEqual(["Ready", "Ready", "Ready", "Ready"]);
    expect(names(live)).toEqual(["ondemand-1", "ondemand-2", "ondemand-3", "ondemand-4"]);
    const held = await expectEachLiveNodeHeldOnce([ws]);
    expect(Object.keys(held).sort()).toEqual([top, pooled].sort());
    // The two sets create at once, so which names each gets is not fixed: two each.
    expect(namesOf(live, held[top] ?? [])).toHaveLength(2);
    expect(namesOf(live, held[pooled] ?? [])).toHaveLength(2);
  });

  it("terminates only the component's nodes when the component leaves the program", async () => {
    await ws.writeProgram(topOnly);

    const preview = expectSuccess(await ws.preview());
    expect(nodeSetSteps(preview)).toEqual([`delete ${pooled}`]);
    expectSuccess(await ws.up());

    expect(sorted(ids(await emulatorNodes(emulator)))).toEqual(topNodes);
    expect(statuses(await liveNodes(emulator))).toEqual(["Ready", "Ready"]);
    expect(await expectEachLiveNodeHeldOnce([ws])).toEqual({ [top]: topNodes });
  });

  it("still reads the top-level set's own nodes back on refresh", async () => {
    expectSuccess(await ws.refresh());

    expect(await expectEachLiveNodeHeldOnce([ws])).toEqual({ [top]: topNodes });
    expect((await ws.nodeSet()).outputs["readyCount"]).toBe(2);
  });

  it("terminates every node on destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});

describe("a node set renamed with an alias, then its old name given to a new set", () => {
  const workersOnly = program(`new CycleCloudNodeSet("workers", { ...spec, count: 2 });`);
  const renamed = program(`
new CycleCloudNodeSet("compute", { ...spec, count: 2 }, { aliases: [{ name: "workers" }] });
`);
  const renamedAndNew = program(`
new CycleCloudNodeSet("compute", { ...spec, count: 2 }, { aliases: [{ name: "workers" }] });
new CycleCloudNodeSet("workers", { ...spec, count: 1 });
`);

  let ws: Workspace;
  let workers: string;
  let compute: string;
  /** The two nodes of the first `workers`, which `compute` holds after the rename. */
  let first: string[];
  /** Their names. */
  let firstNames: string[];

  beforeAll(async () => {
    ws = await freshStack("ownership-alias", workersOnly);
    workers = ws.urn(PROJECT, "workers");
    compute = ws.urn(PROJECT, "compute");
    expectSuccess(await ws.up());
    const live = await liveNodes(emulator);
    first = sorted(ids(live));
    firstNames = names(live);
  });

  it("holds the first up's two nodes in `workers`", async () => {
    expect(firstNames).toEqual(["ondemand-1", "ondemand-2"]);
    expect(await expectEachLiveNodeHeldOnce([ws])).toEqual({ [workers]: first });
  });

  it("renames the set without touching a node", async () => {
    await ws.writeProgram(renamed);
    const before = await mutatingRequests(emulator);

    expectSuccess(await ws.up());

    expect(await mutatingRequests(emulator)).toBe(before);
    expect(sorted(ids(await emulatorNodes(emulator)))).toEqual(first);
    expect(await expectEachLiveNodeHeldOnce([ws])).toEqual({ [compute]: first });
  });

  it("creates exactly one new node for a new `workers` beside `compute`, and `compute` keeps its two", async () => {
    await ws.writeProgram(renamedAndNew);

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "create", urn: workers }]);
    const up = expectSuccess(await ws.up());

    expect(adoptions(up)).toEqual([]);

    const all = await emulatorNodes(emulator);
    const added = ids(all).filter((id) => !first.includes(id));
    expect(namesOf(all, added)).toEqual(["ondemand-3"]);
    // Nothing terminated: the emulator holds the first two nodes and the new one, all Ready.
    expect(sorted(ids(all))).toEqual(sorted([...first, ...added]));
    expect(statuses(all)).toEqual(["Ready", "Ready", "Ready"]);
    expect(await expectEachLiveNodeHeldOnce([ws])).toEqual({ [compute]: first, [workers]: added });
  });

  it("terminates only the new set's node when it leaves the program", async () => {
    await ws.writeProgram(renamed);

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "delete", urn: workers }]);
    expectSuccess(await ws.up());

    expect(sorted(ids(await emulatorNodes(emulator)))).toEqual(first);
    expect(await expectEachLiveNodeHeldOnce([ws])).toEqual({ [compute]: first });
  });

  it("terminates every node on destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});

describe("a stack renamed, then its old name given to a new stack", () => {
  const workersOnly = program(`new CycleCloudNodeSet("workers", { ...spec, count: 2 });`);

  /** The first stack, then (after the rename) the new stack of the same name. */
  let ws: Workspace;
  /** The first stack under its new name. */
  let old: Workspace;
  /** The first stack's two nodes. */
  let first: string[];
  /** Their names. */
  let firstNames: string[];
  /** The new stack's two nodes. */
  let second: string[];

  beforeAll(async () => {
    ws = await freshStack("ownership-stack", workersOnly);
    expectSuccess(await ws.up());
    const live = await liveNodes(emulator);
    first = sorted(ids(live));
    firstNames = names(live);
  });

  it("keeps the nodes in the renamed stack's state, touching none", async () => {
    expect(firstNames).toEqual(["ondemand-1", "ondemand-2"]);
    const before = await mutatingRequests(emulator);

    old = await ws.renameStack(`${ws.stack}-old`);
    workspaces.push(old);

    expect(await mutatingRequests(emulator)).toBe(before);
    expect(await expectEachLiveNodeHeldOnce([old])).toEqual({ [old.urn(PROJECT, "workers")]: first });
  });

  it("creates two new nodes in a new stack of the old name, which holds only its own", async () => {
    // `stack init` of the old name, configured as the first stack was.
    await ws.init(emulator);
    expect(await ws.nodeSets()).toEqual([]);

    const preview = expectSuccess(await ws.preview());
    expect(preview.steps).toEqual([{ op: "create", urn: ws.urn(PROJECT, "workers") }]);
    const up = expectSuccess(await ws.up());

    expect(adoptions(up)).toEqual([]);

    const live = await liveNodes(emulator);
    expect(statuses(live)).toEqual(["Ready", "Ready", "Ready", "Ready"]);
    second = sorted(ids(live).filter((id) => !first.includes(id)));
    expect(namesOf(live, second)).toEqual(["ondemand-3", "ondemand-4"]);
    expect(await expectEachLiveNodeHeldOnce([old, ws])).toEqual({
      [old.urn(PROJECT, "workers")]: first,
      [ws.urn(PROJECT, "workers")]: second,
    });
  });

  it("terminates only the new stack's nodes on its destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(sorted(ids(await emulatorNodes(emulator)))).toEqual(first);
    expect(await ws.nodeSets()).toEqual([]);
    expect(await expectEachLiveNodeHeldOnce([old, ws])).toEqual({ [old.urn(PROJECT, "workers")]: first });
  });

  it("still reads the renamed stack's nodes back on refresh", async () => {
    expectSuccess(await old.refresh());

    expect(await expectEachLiveNodeHeldOnce([old, ws])).toEqual({ [old.urn(PROJECT, "workers")]: first });
    expect((await old.nodeSet()).outputs["readyCount"]).toBe(2);
  });

  it("terminates the renamed stack's nodes on its destroy", async () => {
    expectSuccess(await old.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await old.nodeSets()).toEqual([]);
  });
});

describe("one program with an explicit `requestId` in two stacks (dev and prod)", () => {
  // Both stacks declare `requestId: "mpi"`; `derived` has none. Each set's base is unique to it
  // (`mpi.<8 hex digits>` of its identity), so neither stack's create meets the other's request id.
  const both = program(`
new CycleCloudNodeSet("workers", { ...spec, count: 2, requestId: "mpi" });
new CycleCloudNodeSet("derived", { ...spec, count: 1 });
`);
  /** A set of the second stack that names a base of the first as its `requestId`. */
  const claiming = (base: string) =>
    program(`new CycleCloudNodeSet("claim", { ...spec, count: 1, requestId: ${JSON.stringify(base)} });`);

  let dev: Workspace;
  let prod: Workspace;
  /** Each stack's nodes, by set name. */
  const devNodes: Record<string, string[]> = {};
  const prodNodes: Record<string, string[]> = {};
  /** The bases of dev's sets, by set name. */
  const devBases: Record<string, string> = {};

  /** The nodes and base of each set of a stack, by set name. */
  async function setsOf(ws: Workspace): Promise<Record<string, { nodes: string[]; base: string }>> {
    const sets: Record<string, { nodes: string[]; base: string }> = {};
    for (const set of await ws.nodeSets()) {
      sets[set.urn.split("::").pop() ?? ""] = {
        nodes: sorted((set.outputs?.["nodeIds"] as string[] | undefined) ?? []),
        base: String(set.outputs?.["baseRequestId"]),
      };
    }
    return sets;
  }

  beforeAll(async () => {
    dev = await freshStack("ownership-dev", both);
    prod = await Workspace.create({ example: "quickstart", label: "ownership-prod" });
    workspaces.push(prod);
    await prod.init(emulator);
    await prod.writeProgram(both);
  });

  it("gives each stack's sets their own nodes: the emulator holds both stacks' counts", async () => {
    expect(adoptions(expectSuccess(await dev.up()))).toEqual([]);
    const up = expectSuccess(await prod.up());
    expect(adoptions(up)).toEqual([]);

    const devSets = await setsOf(dev);
    const prodSets = await setsOf(prod);
    for (const name of ["workers", "derived"]) {
      devNodes[name] = devSets[name]?.nodes ?? [];
      prodNodes[name] = prodSets[name]?.nodes ?? [];
      devBases[name] = devSets[name]?.base ?? "";
    }
    expect(devSets["workers"]?.base).toMatch(/^mpi\.[0-9a-f]{8}$/);
    expect(prodSets["workers"]?.base).toMatch(/^mpi\.[0-9a-f]{8}$/);
    expect(prodSets["workers"]?.base).not.toBe(devSets["workers"]?.base);
    expect(devSets["derived"]?.base).toMatch(/^pcc-[0-9a-f]{24}$/);
    const live = await liveNodes(emulator);
    expect(statuses(live)).toEqual(Array<string>(6).fill("Ready"));
    expect([devNodes, prodNodes].map((held) => [held["workers"]?.length, held["derived"]?.length])).toEqual([
      [2, 1],
      [2, 1],
    ]);
    // Every live node held by exactly one set of one stack.
    await expectEachLiveNodeHeldOnce([dev, prod]);
    const all = [...Object.values(devSets), ...Object.values(prodSets)];
    for (const node of live) {
      const owners = all.filter((set) => set.nodes.includes(node.record.NodeId)).map((set) => set.base);
      expect(owners).toHaveLength(1);
      // Made by its own set's create request: no set adopted another's nodes.
      expect(node.record.RequestId).toBe(`${owners[0]}-0`);
    }
  });

  it("terminates only prod's nodes when prod is destroyed; dev keeps and reads back its own", async () => {
    expectSuccess(await prod.destroy());

    expect(sorted(ids(await liveNodes(emulator)))).toEqual(
      sorted([...(devNodes["workers"] ?? []), ...(devNodes["derived"] ?? [])]),
    );
    expect(await prod.nodeSets()).toEqual([]);
    expectSuccess(await dev.refresh());
    const devSets = await setsOf(dev);
    expect([devSets["workers"]?.nodes, devSets["derived"]?.nodes]).toEqual([
      devNodes["workers"],
      devNodes["derived"],
    ]);
    await expectEachLiveNodeHeldOnce([dev, prod]);
  });

  it("refuses, in preview and up, a set whose `requestId` is a base of the other stack, before any node is touched", async () => {
    for (const name of ["workers", "derived"]) {
      const base = devBases[name] ?? "";
      await prod.writeProgram(claiming(base));
      const before = await mutatingRequests(emulator);
      const reason = `\`requestId\` "${base}" has the format of a base request id this library derives`;

      const preview = await prod.preview();
      expect(preview.code, tail(preview)).not.toBe(0);
      const diagnostics = previewDiagnostics(preview);
      expect(diagnostics).toContain(reason);
      expect(diagnostics).toContain("taken over with `adoptExisting` and `orphaned: true` instead");
      expect(diagnostics).not.toContain(`${base}-0`);
      const up = await prod.up();
      expect(up.code, tail(up)).not.toBe(0);
      expect(output(up)).toContain(reason);
      expect(adoptions(up)).toEqual([]);

      expect(await mutatingRequests(emulator)).toBe(before);
      expect(await prod.nodeSets()).toEqual([]);
      await expectEachLiveNodeHeldOnce([dev, prod]);
    }
  });

  it("terminates dev's nodes on its destroy", async () => {
    expectSuccess(await dev.destroy());

    expect(await liveNodes(emulator)).toEqual([]);
    expect(await dev.nodeSets()).toEqual([]);
  });
});

describe("one literal `requestId` in a component instantiated twice and in a copied set", () => {
  const program3 = program(`
class Pool extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("acme:hpc:Pool", name, {}, opts);
    new CycleCloudNodeSet(name + "-workers", { ...spec, count: 1, requestId: "mpi" }, { parent: this });
    this.registerOutputs({});
  }
}

new Pool("a");
new Pool("b");
new CycleCloudNodeSet("workers", { ...spec, count: 1, requestId: "mpi" });
`);

  it("gives each of the three sets its own base and its own node", async () => {
    const ws = await freshStack("ownership-literal", program3);
    expect(adoptions(expectSuccess(await ws.up()))).toEqual([]);

    const sets = await ws.nodeSets();
    const bases = sets.map((set) => String(set.outputs?.["baseRequestId"]));
    expect(bases).toEqual(Array<unknown>(3).fill(expect.stringMatching(/^mpi\.[0-9a-f]{8}$/)));
    expect(new Set(bases).size).toBe(3);
    const held = await expectEachLiveNodeHeldOnce([ws]);
    expect(Object.values(held).map((nodes) => nodes.length)).toEqual([1, 1, 1]);
    expect(statuses(await liveNodes(emulator))).toEqual(["Ready", "Ready", "Ready"]);

    expectSuccess(await ws.destroy());
    expect(await liveNodes(emulator)).toEqual([]);
  });
});

describe("two sets adopting the same nodes, and a destroy that deallocates", () => {
  const adopted = `new CycleCloudNodeSet("adopted", { ...spec, count: 2, adoptExisting: { requestId: "outside-1" } });`;
  const keeper = `new CycleCloudNodeSet("keeper", { ...spec, count: 1, onDelete: "deallocate" });`;
  const adopted2 = `new CycleCloudNodeSet("adopted2", { ...spec, count: 2, adoptExisting: { requestId: "outside-1" } });`;
  let ws: Workspace;
  /** The two nodes of `outside-1`, made outside Pulumi. */
  let outside: string[];

  beforeAll(async () => {
    ws = await freshStack("ownership-adopt-twice", program(`${adopted}\n${keeper}`));
    await adminCreate("outside-1", 2);
    outside = sorted(ids(await liveNodes(emulator)));
    expectSuccess(await ws.up());
  });

  it("refuses in preview a second set that adopts the nodes the first holds, naming both, with no mutating request", async () => {
    const held = await expectEachLiveNodeHeldOnce([ws]);
    expect(held[ws.urn(PROJECT, "adopted")]).toEqual(outside);
    await ws.writeProgram(program(`${adopted}\n${keeper}\n${adopted2}`));
    const before = await mutatingRequests(emulator);

    const preview = await ws.preview();

    expect(preview.code).not.toBe(0);
    expect(previewDiagnostics(preview)).toContain(
      "`adoptExisting`: refusing to let two node sets of this stack hold the nodes of request 'outside-1': " +
        "cyclecloud adopted holds them and cyclecloud adopted2 adopts them. A node belongs to one set (removing " +
        "either set would terminate the nodes the other holds): remove `adoptExisting` from cyclecloud adopted2.",
    );
    expect(await mutatingRequests(emulator)).toBe(before);
    expect(await expectEachLiveNodeHeldOnce([ws])).toEqual(held);
  });

  it('says, as a warning of the destroy, which nodes `onDelete: "deallocate"` keeps and the adoptExisting that takes them back', async () => {
    const keeperSet = (await ws.nodeSets()).find((set) => set.urn === ws.urn(PROJECT, "keeper"));
    const request = (keeperSet?.outputs?.["requestIds"] as string[] | undefined)?.[0] ?? "";
    expect(request).toMatch(/^pcc-[0-9a-f]{24}-0$/);

    const destroy = expectSuccess(await ws.destroy());

    expect(destroy.stdout).toContain(
      `warning: cyclecloud keeper: onDelete: "deallocate" keeps 1 deallocated node(s) that no node set holds any more: ` +
        `ondemand-3 (request '${request}'). They keep their quota until they are terminated in CycleCloud. ` +
        `To bring them back, declare a node set of cluster 'hpc', nodearray 'ondemand', machineType 'Standard_Hc44rs' with:`,
    );
    expect(destroy.stdout).toContain(
      `adoptExisting: { requestId: "${request}", orphaned: true }, // ondemand-3`,
    );
    const left = await liveNodes(emulator);
    expect(left.map((n) => `${n.record.Name} ${n.record.Status}`)).toEqual(["ondemand-3 Deallocated"]);
  });
});

describe("credentials", () => {
  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere(workspaces);
  });
});
