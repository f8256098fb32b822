/**
 * Adoption is bounded to nodearray nodes (a head node is never adopted, hence never terminated),
 * and preflight counts the nodes a set will adopt as existing, not as new.
 */
import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../provider/core/inputs-unknown";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  admin,
  checked,
  configureFor,
  declare,
  mutations,
  output,
  createOutside,
  provider,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();

interface NodeView {
  requestId: string | null;
  record: { NodeId: string; Name: string; Status: string; Template: string };
}

async function standaloneNodes(): Promise<NodeView[]> {
  const response = await fetch(`${env.emu.adminUrl}/standalone-nodes`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { nodes: NodeView[] }).nodes;
}

async function headNode(): Promise<NodeView["record"]> {
  const head = (await standaloneNodes()).find((node) => node.record.Name === "scheduler");
  if (!head) throw new Error("the emulator has no head node");
  return head.record;
}

const HEAD_REFUSED =
  "`adoptExisting`: cannot adopt scheduler: it is not in a nodearray of cluster 'hpc' (a head node or other standalone node); " +
  "a node set adopts only nodearray nodes. Remove scheduler from `adoptExisting.nodeIds`";
const NODEARRAY_REFUSED =
  "`nodearray`: 'scheduler' is not a nodearray of cluster 'hpc' (its nodearrays: 'ondemand'); " +
  "a node set adopts only nodearray nodes. Fix `nodearray`";

describe("adopting a node that is not in a nodearray", () => {
  for (const preflight of ["off", "warn", "enforce"] as const) {
    it(`refuses the head node named by id (preflight ${preflight}), touching nothing`, async () => {
      const head = await headNode();
      const before = mutations(env.emu);
      const result = await provider.check(
        {},
        declare({ count: 1, preflight, adoptExisting: { nodeIds: [head.NodeId] } }),
      );
      // Preflight (warn or enforce) already adopts on paper: the check refuses; create refuses too.
      expect(result.failures).toEqual(
        preflight === "off" ? [] : [{ property: "adoptExisting", reason: HEAD_REFUSED }],
      );
      const inputs = result.inputs as Record<string, unknown>;
      await expect(provider.create(inputs)).rejects.toThrow(HEAD_REFUSED);
      expect(mutations(env.emu)).toBe(before);
      expect(env.emu.counters().terminate).toBe(0);
      expect((await headNode()).Status).toBe("Started");
    });
  }

  for (const preflight of ["off", "warn"] as const) {
    it(`refuses the head node with \`nodearray\` set to its template (preflight ${preflight})`, async () => {
      const head = await headNode();
      const before = mutations(env.emu);
      const inputs = await checked(
        declare({
          count: 1,
          nodearray: head.Template,
          machineType: "Standard_D4s_v3",
          preflight,
          adoptExisting: { nodeIds: [head.NodeId] },
        }),
      );
      const refused = provider.create(inputs);
      await expect(refused).rejects.toThrow(HEAD_REFUSED);
      await expect(refused).rejects.toThrow(NODEARRAY_REFUSED);
      await expect(refused).rejects.toThrow(/nothing was created and nothing is recorded in state$/);
      expect(mutations(env.emu)).toBe(before);
      expect((await headNode()).Status).toBe("Started");
    });
  }

  it("refuses a `nodearray` that is not a nodearray when adopting by request id", async () => {
    await createOutside(env.emu, "outside-na", 1, "Standard_Fs32_v2");
    const before = mutations(env.emu);
    const inputs = await checked(
      declare({
        count: 1,
        nodearray: "scheduler",
        preflight: "off",
        adoptExisting: { requestId: "outside-na" },
      }),
    );
    await expect(provider.create(inputs)).rejects.toThrow(NODEARRAY_REFUSED);
    expect(mutations(env.emu)).toBe(before);
  });
});

describe("preflight with adoptExisting", () => {
  async function fullBucketWithManualNode(): Promise<void> {
    await admin(env.emu, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      maxCount: 1,
    });
    await createOutside(env.emu, "manual-1", 1, "Standard_Hc44rs");
  }

  it("counts the node the set will adopt as existing, in preview (identity unknown) and in up", async () => {
    await fullBucketWithManualNode();
    const news = declare({
      count: 1,
      machineType: "Standard_Hc44rs",
      adoptExisting: { requestId: "manual-1" },
    });
    output.info.length = 0;
    const preview = await provider.check({}, { ...news, identity: UNKNOWN });
    expect(preview.failures).toEqual([]);
    expect(output.info.join("\n")).toMatch(/\+0 requested.*\(1 node\(s\) of this set already exist\)/);

    await configureFor(env.emu); // the update after the preview: a new provider process
    const inputs = await checked(news);
    const creates = env.emu.counters().create;
    const state = (await provider.create(inputs)).outs as NodeSetState;
    expect(env.emu.counters().create).toBe(creates);
    expect(state.requestIds).toEqual(["manual-1"]);
    expect(state.nodes.map((node) => node.name)).toEqual(["ondemand-1"]);
  });

  it("still refuses the nodes beyond those it adopts", async () => {
    await fullBucketWithManualNode();
    const news = declare({
      count: 2,
      machineType: "Standard_Hc44rs",
      adoptExisting: { requestId: "manual-1" },
    });
    const result = await provider.check({}, { ...news, identity: UNKNOWN });
    expect(result.failures).toHaveLength(1);
    expect(result.failures?.[0]?.reason).toMatch(
      /\+1 requested, 0 available .*\(1 node\(s\) of this set already exist\): lower `count` to at most 1/,
    );
  });
});

describe("preflight when `adoptExisting` changes to another request", () => {
  it("counts the nodes the set adopted before as held: a full bucket still fits, and the update creates none", async () => {
    await createOutside(env.emu, "ext-0", 1, "Standard_Hc44rs");
    const news = declare({ count: 2, machineType: "Standard_Hc44rs", adoptExisting: { requestId: "ext-0" } });
    const olds = await checked(news);
    const created = await provider.create(olds);
    const state = created.outs as NodeSetState;
    expect(state.nodes).toHaveLength(2);
    await createOutside(env.emu, "ext-1", 1, "Standard_Hc44rs");
    // The bucket is full: its 3 nodes are the set's 2 and the one of ext-1.
    await admin(env.emu, "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      maxCount: 3,
    });
    await configureFor(env.emu); // the next run: a new provider process, no cached status
    const grown = { ...news, count: 3, adoptExisting: { requestId: "ext-1" } };

    const result = await provider.check(olds, grown);

    expect(result.failures).toEqual([]);
    expect(output.info.join("\n")).toMatch(
      /\+0 requested, 0 available.*fits.*\(3 node\(s\) of this set already exist\)/,
    );
    const inputs = result.inputs as Record<string, unknown>;
    const diff = await provider.diff(created.id, state, inputs);
    expect(diff.changes).toBe(true);
    // The diff's preflight stays silent: no line counting the adopted node as created.
    expect(output.info.join("\n")).not.toMatch(/\+1 requested/);
    expect(output.info.join("\n")).not.toContain("the update creates");
    const creates = env.emu.counters().create;
    const updated = (await provider.update(created.id, state, inputs)).outs as NodeSetState;
    expect(env.emu.counters().create).toBe(creates);
    expect(updated.nodes).toHaveLength(3);
    expect(updated.requestIds).toEqual(expect.arrayContaining(["ext-0", "ext-1"]));
  });
});
