import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  deriveBaseRequestId,
  isLibraryBase,
  isLibraryRequestId,
  isRequestIdOf,
  nextSequence,
  replaceKeysChanged,
  requestIdFor,
  sequenceOf,
} from "../../provider/core/request-id";

const identity = "hpc-infra/prod/mpi";
const spec = {
  cluster: "hpc",
  nodearray: "ondemand",
  machineType: "Standard_Hc44rs",
  placementGroupId: "pg0",
};

describe("deriveBaseRequestId", () => {
  it("is deterministic: the same identity and spec give the same id", () => {
    const id = deriveBaseRequestId(identity, spec);
    expect(id).toMatch(/^pcc-[0-9a-f]{24}$/);
    expect(deriveBaseRequestId(identity, { ...spec })).toBe(id);
    expect(
      deriveBaseRequestId(identity, {
        placementGroupId: "pg0",
        machineType: "Standard_Hc44rs",
        nodearray: "ondemand",
        cluster: "hpc",
      }),
    ).toBe(id);
  });

  it("is a fixed function of its inputs across versions (a golden value)", () => {
    // sha256 of the canonical JSON {"cluster":"hpc","identity":"p/s/n","nodearray":"ondemand"}
    expect(deriveBaseRequestId("p/s/n", { cluster: "hpc", nodearray: "ondemand" })).toBe(
      "pcc-2893bf348ad4c244599364af",
    );
  });

  const changes: [string, object | string][] = [
    ["the resource name", "hpc-infra/prod/other"],
    ["the stack", "hpc-infra/dev/mpi"],
    ["the project", "other/prod/mpi"],
    ["cluster", { cluster: "hpc2" }],
    ["nodearray", { nodearray: "gpu" }],
    ["machineType", { machineType: "Standard_Fs32_v2" }],
    ["placementGroupId", { placementGroupId: "pg1" }],
    ["nodeAttributes", { nodeAttributes: { KeepAlive: true } }],
    ["nameFormat", { nameFormat: "mpi-%d" }],
    ["nameOffset", { nameOffset: 10 }],
  ];
  for (const [what, change] of changes) {
    it(`changes when ${what} changes`, () => {
      const other =
        typeof change === "string"
          ? deriveBaseRequestId(change, spec)
          : deriveBaseRequestId(identity, { ...spec, ...change });
      expect(other).not.toBe(deriveBaseRequestId(identity, spec));
    });
  }

  it("ignores count, timeouts and settings that do not replace the set", () => {
    const base = deriveBaseRequestId(identity, spec);
    const withOthers = { ...spec, count: 7, readyTimeoutSeconds: 5, preflight: "off" } as typeof spec;
    expect(deriveBaseRequestId(identity, withOthers)).toBe(base);
  });

  it("does not depend on the order of nodeAttributes keys", () => {
    const a = deriveBaseRequestId(identity, {
      ...spec,
      nodeAttributes: { KeepAlive: true, Tags: { a: "1", b: "2" } },
    });
    const b = deriveBaseRequestId(identity, {
      ...spec,
      nodeAttributes: { Tags: { b: "2", a: "1" }, KeepAlive: true },
    });
    expect(a).toBe(b);
  });

  it("makes an explicit requestId a readable prefix, with 8 hex digits of the same digest", () => {
    const derived = deriveBaseRequestId(identity, spec);
    const explicit = deriveBaseRequestId(identity, { ...spec, requestId: "my-mpi" });
    expect(explicit).toBe(`my-mpi.${derived.slice("pcc-".length, "pcc-".length + 8)}`);
  });

  it("gives two instances of one program with the same explicit requestId different bases", () => {
    // Two stacks, a component instantiated twice, a copied set: the identity (URN#token) differs.
    const explicit = { ...spec, requestId: "mpi" };
    const dev = deriveBaseRequestId("urn:pulumi:dev::hpc::cyclecloud:CycleCloudNodeSet::mpi#a1", explicit);
    const prod = deriveBaseRequestId("urn:pulumi:prod::hpc::cyclecloud:CycleCloudNodeSet::mpi#b2", explicit);
    const copy = deriveBaseRequestId("urn:pulumi:dev::hpc::cyclecloud:CycleCloudNodeSet::mpi#c3", explicit);
    expect([dev, prod, copy].every((base) => /^mpi\.[0-9a-f]{8}$/.test(base))).toBe(true);
    expect(new Set([dev, prod, copy]).size).toBe(3);
  });
});

describe("request id sequence", () => {
  it("numbers the requests of a base", () => {
    expect(requestIdFor("pcc-abc", 0)).toBe("pcc-abc-0");
    expect(requestIdFor("pcc-abc", 12)).toBe("pcc-abc-12");
  });

  it("reads the sequence back, and refuses foreign ids", () => {
    expect(sequenceOf("pcc-abc", "pcc-abc-12")).toBe(12);
    expect(sequenceOf("pcc-abc", "pcc-abc-012")).toBeUndefined();
    expect(sequenceOf("pcc-abc", "pcc-abcd-1")).toBeUndefined();
    expect(sequenceOf("pcc-abc", "463270ca-abcd-1234-98d6-431ee3ef8ed5")).toBeUndefined();
  });

  it("continues after the highest sequence used, ignoring adopted foreign ids", () => {
    expect(nextSequence("b", [])).toBe(0);
    expect(nextSequence("b", ["b-0", "b-3", "b-1"])).toBe(4);
    expect(nextSequence("b", ["outside-request", "b-0"])).toBe(1);
  });
});

describe("replaceKeysChanged and canonicalJson", () => {
  it("lists exactly the replace-triggering inputs that differ", () => {
    expect(replaceKeysChanged(spec, { ...spec })).toEqual([]);
    expect(replaceKeysChanged(spec, { ...spec, machineType: "X", nameFormat: "n-%d" })).toEqual([
      "machineType",
      "nameFormat",
    ]);
    expect(
      replaceKeysChanged(
        { ...spec, nodeAttributes: { A: 1, B: 2 } },
        { ...spec, nodeAttributes: { B: 2, A: 1 } },
      ),
    ).toEqual([]);
  });

  it("sorts object keys and drops undefined values", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: "x" }] })).toBe('{"a":[2,{"c":"x"}],"b":1}');
  });
});

describe("replacement bases", () => {
  it("chains the base of the replaced set, so a replacement never shares a base with a live set", () => {
    const first = deriveBaseRequestId(identity, spec);
    const replaced = deriveBaseRequestId(identity, { ...spec, machineType: "Standard_Fs32_v2" }, first);
    const back = deriveBaseRequestId(identity, spec, replaced);
    expect(new Set([first, replaced, back]).size).toBe(3);
    expect(back).toMatch(/^pcc-[0-9a-f]{24}$/);
    expect(deriveBaseRequestId(identity, spec, replaced)).toBe(back);
  });

  it("chains the replaced base for an explicit requestId too, kept or changed", () => {
    const explicit = { ...spec, requestId: "my-mpi" };
    const first = deriveBaseRequestId(identity, explicit);
    const replaced = deriveBaseRequestId(identity, { ...explicit, nameFormat: "mpi-%d" }, first);
    const back = deriveBaseRequestId(identity, explicit, replaced);
    const renamed = deriveBaseRequestId(identity, { ...explicit, requestId: "other" }, back);
    expect([first, replaced, back]).toEqual([
      expect.stringMatching(/^my-mpi\.[0-9a-f]{8}$/),
      expect.stringMatching(/^my-mpi\.[0-9a-f]{8}$/),
      expect.stringMatching(/^my-mpi\.[0-9a-f]{8}$/),
    ]);
    expect(new Set([first, replaced, back]).size).toBe(3);
    expect(renamed).toMatch(/^other\.[0-9a-f]{8}$/);
    expect(renamed.slice(-8)).not.toBe(
      deriveBaseRequestId(identity, { ...explicit, requestId: "other" }).slice(-8),
    );
  });
});

describe("library request ids and bases", () => {
  const derived = "pcc-0123456789abcdef01234567";
  it("recognises derived and explicit bases, and nothing else", () => {
    expect([derived, "mpi.0123abcd", "a.b-c_d.deadbeef", "mpi.0123abcd.89abcdef"].map(isLibraryBase)).toEqual(
      [true, true, true, true],
    );
    expect(
      ["mpi", "pcc-0123", `${derived}0`, "mpi.0123abc", "mpi.0123ABCD", "mpi0123abcd", "mpi.0123abcdx"].map(
        isLibraryBase,
      ),
    ).toEqual([false, false, false, false, false, false, false]);
  });

  it("recognises request ids of either base, by create or by placement group", () => {
    const ids = [
      `${derived}-0`,
      `${derived}.pg1-3`,
      "mpi.0123abcd-0",
      "mpi.0123abcd-12",
      "mpi.0123abcd.pg0-2",
    ];
    expect(ids.map(isLibraryRequestId)).toEqual([true, true, true, true, true]);
    const others = [
      "mpi-0",
      "mpi.0123abcd",
      "mpi.0123abcd-01",
      "mpi.0123abcd-x",
      "mpi.0123abcd.pg-1",
      "outside.9-0",
    ];
    expect(others.map(isLibraryRequestId)).toEqual([false, false, false, false, false, false]);
  });

  it("reads as a set's own only `<base>-<n>` and `<base>.pg<i>-<n>`, not the ids of a requestId made of its base", () => {
    // Another set's explicit `requestId` "<base>-0" (or "<base>.pg1") is allowed by `check` (it is
    // not a base's format); its base "<base>-0.<8 hex>" makes ids that start with "<base>-".
    const other = deriveBaseRequestId("hpc-infra/prod/other", { ...spec, requestId: `${derived}-0` });
    const grouped = deriveBaseRequestId("hpc-infra/prod/other", { ...spec, requestId: `${derived}.pg1` });
    expect(
      [`${other}-0`, `${grouped}-3`, `${derived}.pgx-1`].map((id) => isRequestIdOf(derived, id)),
    ).toEqual([false, false, false]);
    expect(
      [`${derived}-0`, `${derived}-12`, `${derived}.pg1-3`].map((id) => isRequestIdOf(derived, id)),
    ).toEqual([true, true, true]);
  });
});
