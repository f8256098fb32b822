import { describe, expect, it } from "vitest";
import type { NodeSetState } from "../../provider/core/node-set-state";
import { foreignNodesProblem, foreignRequestIdProblem } from "../../provider/core/adoption-ownership";
import type { NodeSetInputs } from "../../provider/core/inputs";
import { isLibraryRequestId, isRequestIdOf } from "../../provider/core/request-id";
import type { NodeRecord } from "../../wire/schemas";
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

describe("two sets with the same explicit requestId (two stacks of one program)", () => {
  it("each create their own nodes under their own base, adopting none of the other's", async () => {
    const dev = await createSet(declare({ count: 2, machineType: HC, requestId: "mpi" }));
    const prod = await createSet(declare({ count: 2, machineType: HC, requestId: "mpi" }));
    expect(dev.state.baseRequestId).toMatch(/^mpi\.[0-9a-f]{8}$/);
    expect(prod.state.baseRequestId).toMatch(/^mpi\.[0-9a-f]{8}$/);
    expect(prod.state.baseRequestId).not.toBe(dev.state.baseRequestId);
    const devIds = dev.state.nodes.map((n) => n.id);
    expect(prod.state.nodes.map((n) => n.id).filter((id) => devIds.includes(id))).toEqual([]);
    expect(liveIds()).toHaveLength(4);
    await provider.delete(prod.id, prod.state);
    expect(liveIds()).toEqual([...devIds].sort());
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
  const base = "pcc-00112233445566778899aabb";

  it("refuses `requestId` set to the lost set's base in check, and the request id in adoptExisting, naming `orphaned`", async () => {
    await createOutside(env.emu, `${base}-0`, 3, HC);
    const mutated = mutations(env.emu);
    const byRequestId = await provider.check({}, declare({ count: 3, machineType: HC, requestId: base }));
    expect(byRequestId.failures).toEqual([
      {
        property: "requestId",
        reason: expect.stringContaining(
          `\`requestId\` "${base}" has the format of a base request id this library derives`,
        ) as unknown as string,
      },
    ]);
    // The exception is named, never spelt out with the refused id (that would hand the nodes over).
    expect(byRequestId.failures?.[0]?.reason).toContain(
      "taken over with `adoptExisting` and `orphaned: true`",
    );
    expect(byRequestId.failures?.[0]?.reason).not.toContain(`${base}-0`);
    const adopting = await provider.check(
      {},
      declare({ count: 3, machineType: HC, adoptExisting: { requestId: `${base}-0` } }),
    );
    expect(adopting.failures?.[0]?.reason).toContain(
      `refusing to adopt request '${base}-0': this library made it for another node set`,
    );
    expect(adopting.failures?.[0]?.reason).toContain(
      '`orphaned: true` in `adoptExisting` asserts it (README, "Errors and troubleshooting"): the library cannot check it',
    );
    expect(adopting.failures?.[0]?.reason).not.toContain("orphaned: true }");
    expect(mutations(env.emu)).toBe(mutated);
  });

  it("takes them back with `adoptExisting: { requestId, orphaned: true }`, creating nothing; delete then removes them", async () => {
    await createOutside(env.emu, `${base}-0`, 3, HC);
    const creates = env.emu.counters().create;
    const inputs = await checked(
      declare({ count: 3, machineType: HC, adoptExisting: { requestId: `${base}-0`, orphaned: true } }),
    );
    expect(inputs["baseRequestId"]).toMatch(/^pcc-[0-9a-f]{24}$/);
    expect(inputs["baseRequestId"]).not.toBe(base);
    const { id, outs } = await provider.create(inputs);
    const state = outs as NodeSetState;
    expect(state.requestIds).toEqual([`${base}-0`]);
    expect(state.nodes).toHaveLength(3);
    expect(env.emu.counters().create).toBe(creates); // no create request at all
    expect(env.emu.nodes()).toHaveLength(3); // no node made
    await provider.delete(id, state);
    expect(liveNodes(env.emu, [`${base}-0`])).toEqual([]);
  });

  it("lifts the refusal for the asserted request only", () => {
    const other = "pcc-aaaaaaaaaaaaaaaaaaaaaaaa-0";
    const inputs = {
      baseRequestId: "pcc-bbbbbbbbbbbbbbbbbbbbbbbb",
      adoptExisting: { requestId: `${base}-0`, orphaned: true },
    } as NodeSetInputs;
    const record = (id: string, requestId: string) =>
      ({ NodeId: id, Name: id, Template: "ondemand", Status: "Ready", RequestId: requestId }) as NodeRecord;
    expect(foreignNodesProblem(inputs, [record("a", `${base}-0`)])).toBe(undefined);
    expect(foreignNodesProblem(inputs, [record("a", `${base}-0`), record("b", other)])).toContain(
      `refusing to adopt b (node id b, request id '${other}')`,
    );
    expect(foreignRequestIdProblem(inputs)).toBe(undefined);
    const notAsserted = { ...inputs, adoptExisting: { requestId: `${base}-0` } } as NodeSetInputs;
    expect(foreignRequestIdProblem(notAsserted)).toContain(`refusing to adopt request '${base}-0'`);
  });
});

describe("library request ids", () => {
  const base = "pcc-0123456789abcdef01234567";
  it("recognises the library's format and a set's own ids", () => {
    expect([`${base}-0`, `${base}-12`, `${base}.pg0-3`].map(isLibraryRequestId)).toEqual([true, true, true]);
    // An explicit requestId's base: `<requestId>.<8 hex digits>`.
    expect(["mpi.0123abcd-0", "mpi.0123abcd.pg2-1"].map(isLibraryRequestId)).toEqual([true, true]);
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
    // The fix names the `orphaned` exception without spelling it out with the refused request id.
    const refusal = foreignNodesProblem(inputs, [record("d", "pcc-aaaaaaaaaaaaaaaaaaaaaaaa-0")]);
    expect(refusal).toContain("`orphaned: true` in `adoptExisting` asserts it");
    expect(refusal).not.toContain("orphaned: true }");
  });
});
