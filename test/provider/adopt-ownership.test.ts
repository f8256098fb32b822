import { describe, expect, it } from "vitest";
import type { NodeSetState } from "../../provider/resource/node-set-state";
import { foreignNodesProblem } from "../../provider/resource/adoption-ownership";
import type { NodeSetInputs } from "../../provider/resource/inputs";
import { isLibraryRequestId, isRequestIdOf } from "../../provider/resource/request-id";
import type { NodeRecord } from "../../provider/schemas";
import {
  checked,
  createOutside,
  createSet,
  declare,
  liveNodes,
  mutations,
  provider,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();
const HC = "Standard_Hc44rs";
const FIX = "adopt only nodes made outside Pulumi. Fix `adoptExisting`";

function liveIds(): string[] {
  return env.emu
    .nodes()
    .filter((n) => !["Terminating", "Terminated"].includes(n.record.Status))
    .map((n) => n.record.NodeId)
    .sort();
}

describe("adoptExisting never takes another set's nodes", () => {
  it("refuses the request id of another set in check and in update, touching no node", async () => {
    const owner = await createSet(declare({ count: 3, machineType: HC }));
    const ownerRequest = owner.state.requestIds[0] ?? "";
    expect(ownerRequest).toMatch(/^pcc-[0-9a-f]{24}-0$/);
    await createOutside(env.emu, "outside-b", 1, HC);
    const declared = declare({ count: 1, machineType: HC, adoptExisting: { requestId: "outside-b" } });
    const other = await createSet(declared);
    const before = liveIds();
    const mutated = mutations(env.emu);

    const news = { ...declared, adoptExisting: { requestId: ownerRequest } };
    const result = await provider.check(other.state as unknown as Record<string, unknown>, news);
    expect(result.failures).toEqual([
      {
        property: "adoptExisting",
        reason: expect.stringContaining(
          `\`adoptExisting.requestId\`: refusing to adopt request '${ownerRequest}': this library made it for another node set`,
        ) as unknown as string,
      },
    ]);
    expect(result.failures?.[0]?.reason).toContain(FIX);
    // The engine would stop at the check; the update refuses on its own too, before any node is touched.
    await expect(
      provider.update(other.id, other.state, result.inputs as Record<string, unknown>),
    ).rejects.toThrow(`refusing to adopt request '${ownerRequest}'`);
    expect(liveIds()).toEqual(before);
    expect(mutations(env.emu)).toBe(mutated);
    expect(liveNodes(env.emu, [ownerRequest])).toHaveLength(3);
  });

  it("refuses a node id of another set's node, naming the node and its request id, also with preflight off", async () => {
    const owner = await createSet(declare({ count: 2, machineType: HC }));
    const [node] = owner.state.nodes;
    const ownerRequest = owner.state.requestIds[0] ?? "";
    const mutated = mutations(env.emu);
    for (const preflight of ["enforce", "off"]) {
      const news = declare({ count: 1, machineType: HC, preflight, adoptExisting: { nodeIds: [node?.id] } });
      const result = await provider.check({}, news);
      const expected = `\`adoptExisting\`: refusing to adopt ${node?.name} (node id ${node?.id}, request id '${ownerRequest}'): this library made it for another node set`;
      if (preflight === "enforce") {
        expect((result.failures ?? []).map((f) => f.property)).toEqual(["adoptExisting"]);
        expect(result.failures?.[0]?.reason).toContain(expected);
      }
      await expect(provider.create(result.inputs as Record<string, unknown>)).rejects.toThrow(expected);
    }
    expect(mutations(env.emu)).toBe(mutated);
    expect(liveNodes(env.emu, [ownerRequest])).toHaveLength(2);
  });

  it("refuses the nodes of another set's placement-group request", async () => {
    const groupRequest = "pcc-0123456789abcdef01234567.pg1-0";
    await createOutside(env.emu, groupRequest, 1, HC);
    const result = await provider.check(
      {},
      declare({ count: 1, machineType: HC, adoptExisting: { requestId: groupRequest } }),
    );
    expect(result.failures?.[0]?.property).toBe("adoptExisting");
    expect(result.failures?.[0]?.reason).toContain(`refusing to adopt request '${groupRequest}'`);
    const ids = env.emu.nodes().map((n) => n.record.NodeId);
    const byId = await provider.check(
      {},
      declare({ count: 1, machineType: HC, adoptExisting: { nodeIds: ids } }),
    );
    expect(byId.failures?.[0]?.reason).toContain(`request id '${groupRequest}'`);
  });

  it("still adopts nodes made outside Pulumi, by request id and by node id", async () => {
    // Ids that merely look alike are not the library's: only `pcc-` and 24 hex digits, then `-<n>` or `.pg<i>-<n>`.
    for (const requestId of ["outside-ok", "pcc-0123-0", "pcc-0123456789abcdef01234567"]) {
      await createOutside(env.emu, requestId, 1, HC);
      const inputs = await checked(declare({ count: 1, machineType: HC, adoptExisting: { requestId } }));
      const state = (await provider.create(inputs)).outs as NodeSetState;
      expect(state.requestIds).toEqual([requestId]);
      expect(liveNodes(env.emu, [requestId])).toHaveLength(1);
    }
    await createOutside(env.emu, "outside-ids", 2, HC);
    const ids = liveNodes(env.emu, ["outside-ids"]).map((n) => n.record.NodeId);
    const inputs = await checked(declare({ count: 2, machineType: HC, adoptExisting: { nodeIds: ids } }));
    const state = (await provider.create(inputs)).outs as NodeSetState;
    expect([...(state.adoptedNodeIds ?? [])].sort()).toEqual([...ids].sort());
  });
});

describe("a set that already holds a request id", () => {
  it("keeps passing check and update (count unchanged) when its state already holds the library request id it names", async () => {
    // State written before the refusal existed: the set adopted such a request, which is its own now.
    const legacy = "pcc-aabbccddeeff001122334455-0";
    await createOutside(env.emu, legacy, 1, HC);
    const declared = declare({ count: 1, machineType: HC, adoptExisting: { requestId: "outside-l" } });
    await createOutside(env.emu, "outside-l", 1, HC);
    const { id, state } = await createSet(declared);
    const legacyNode = liveNodes(env.emu, [legacy])[0];
    const olds = {
      ...state,
      adoptExisting: { requestId: legacy },
      requestIds: [...state.requestIds, legacy],
      count: 2,
    } as NodeSetState;
    const news = { ...declared, count: 2, adoptExisting: { requestId: legacy } };
    const inputs = await checked(news, olds);
    const updated = (await provider.update(id, olds, inputs)).outs as NodeSetState;
    expect(updated.nodeIds).toContain(legacyNode?.record.NodeId);
    expect(updated.nodes).toHaveLength(2);
  });
});

describe("recovering the nodes of a set whose state was lost", () => {
  it("takes them back with `requestId` set to the lost set's base: the create's 409 adopts them, nothing is created", async () => {
    const base = "pcc-00112233445566778899aabb";
    await createOutside(env.emu, `${base}-0`, 3, HC);
    const creates = env.emu.counters().create;
    const inputs = await checked(declare({ count: 3, machineType: HC, requestId: base }));
    expect(inputs["baseRequestId"]).toBe(base);
    const state = (await provider.create(inputs)).outs as NodeSetState;
    expect(state.requestIds).toEqual([`${base}-0`]);
    expect(state.nodes).toHaveLength(3);
    expect(env.emu.counters().create).toBe(creates + 1); // the answered 409, no new node
    expect(liveNodes(env.emu, [`${base}-0`])).toHaveLength(3);
    expect(env.emu.nodes()).toHaveLength(3); // no node made
  });
});

describe("library request ids", () => {
  const base = "pcc-0123456789abcdef01234567";
  it("recognises the library's format and a set's own ids", () => {
    expect([`${base}-0`, `${base}-12`, `${base}.pg0-3`].map(isLibraryRequestId)).toEqual([true, true, true]);
    expect(
      ["outside-1", `${base}`, `${base}-01`, "pcc-0123-0", `x${base}-0`].map(isLibraryRequestId),
    ).toEqual([false, false, false, false, false]);
    expect([`${base}-0`, `${base}.pg2-1`, `${base}7-0`].map((id) => isRequestIdOf(base, id))).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("lets through nodes without a request id and the set's own nodes", () => {
    const inputs = { baseRequestId: base } as NodeSetInputs;
    const record = (id: string, requestId?: string) =>
      ({ NodeId: id, Name: id, Template: "ondemand", Status: "Ready", RequestId: requestId }) as NodeRecord;
    expect(
      foreignNodesProblem(inputs, [record("a"), record("b", `${base}-0`), record("c", `${base}.pg0-1`)]),
    ).toBe(undefined);
    expect(foreignNodesProblem(inputs, [record("d", "pcc-aaaaaaaaaaaaaaaaaaaaaaaa-0")])).toContain(
      "refusing to adopt d (node id d, request id 'pcc-aaaaaaaaaaaaaaaaaaaaaaaa-0')",
    );
  });
});
