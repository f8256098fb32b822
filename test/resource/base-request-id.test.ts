import { describe, expect, it } from "vitest";
import { baseRequestIdFor, requestIdFailures } from "../../provider/core/base-request-id";
import { UNKNOWN } from "../../provider/core/inputs-unknown";
import { deriveBaseRequestId } from "../../provider/core/request-id";

const identity = "urn:pulumi:prod::hpc::pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet::mpi#0f1e2d3c";
const spec = { identity, cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Hc44rs", count: 4 };
const explicit = { ...spec, requestId: "mpi" };

describe("baseRequestIdFor", () => {
  it("gives a new set with an explicit requestId the base `<requestId>.<8 hex digits>`", () => {
    const base = baseRequestIdFor(new Map(), {}, explicit);
    expect(base).toMatch(/^mpi\.[0-9a-f]{8}$/);
    expect(base).toBe(deriveBaseRequestId(identity, explicit));
  });

  it("keeps the stored base of a set in state: verbatim `mpi` stays `mpi` (existing stacks are unaffected)", () => {
    const olds = { ...explicit, baseRequestId: "mpi" };
    expect(baseRequestIdFor(new Map(), olds, { ...explicit, count: 9 })).toBe("mpi");
  });

  it("chains the stored base on a replacement, and gives the engine's second check the same base", () => {
    const bases = new Map<string, string>();
    const olds = { ...explicit, baseRequestId: "mpi" };
    const news = { ...explicit, machineType: "Standard_Fs32_v2" };
    const first = baseRequestIdFor(bases, olds, news);
    expect(first).toBe(deriveBaseRequestId(identity, news, "mpi"));
    expect(first).not.toBe(deriveBaseRequestId(identity, news));
    expect(baseRequestIdFor(bases, {}, news)).toBe(first);
  });

  it("chains the stored base when the explicit requestId itself changes", () => {
    const olds = { ...explicit, baseRequestId: "mpi.0123abcd" };
    const news = { ...explicit, requestId: "cfd" };
    expect(baseRequestIdFor(new Map(), olds, news)).toBe(deriveBaseRequestId(identity, news, "mpi.0123abcd"));
  });

  it("keeps the base through a rename; a rename with a pending retype gets the retype's base (campaign seed 20261207 step 818)", () => {
    const base = deriveBaseRequestId(identity, spec);
    const olds = { ...spec, name: "set1-9", baseRequestId: base };
    expect(baseRequestIdFor(new Map(), olds, { ...spec, name: "set1-9-r44" })).toBe(base);
    const retyped = { ...spec, machineType: "Standard_D8s_v3" };
    const renamedAndRetyped = baseRequestIdFor(new Map(), olds, { ...retyped, name: "set1-9-r44" });
    expect(renamedAndRetyped).toBe(baseRequestIdFor(new Map(), olds, retyped));
    expect(renamedAndRetyped).toBe(deriveBaseRequestId(identity, retyped, base));
  });

  it("is unknown while the identity is", () => {
    expect(baseRequestIdFor(new Map(), {}, { ...explicit, identity: UNKNOWN })).toBe(UNKNOWN);
  });
});

describe("requestIdFailures", () => {
  const reason = (requestId: string, prefix: string) =>
    `\`requestId\` "${requestId}" has the format of a base request id this library derives ` +
    "(`pcc-` and 24 hex digits, or ending `.` and 8 hex digits), so it may be another node set's, " +
    "whose nodes this set would then take over: give a readable prefix instead, such as " +
    `"${prefix}" (the set appends \`.<8 hex digits>\` of its own), or omit \`requestId\`. ` +
    "(The nodes of a set destroyed while its create was pending, which no stack holds any more, " +
    'are taken over with `adoptExisting` and `orphaned: true` instead: README, "Errors and troubleshooting".)';

  it("refuses another stack's derived base, naming requestId and the fix", () => {
    const requestId = "pcc-0123456789abcdef01234567";
    expect(requestIdFailures(new Map(), {}, { ...spec, requestId })).toEqual([
      { property: "requestId", reason: reason(requestId, "mpi") },
    ]);
  });

  it("refuses an explicit base (ending `.` and 8 hex digits), suggesting its prefix", () => {
    const requestId = "mpi.0123abcd";
    expect(requestIdFailures(new Map(), {}, { ...spec, requestId })).toEqual([
      { property: "requestId", reason: reason(requestId, "mpi") },
    ]);
    // Also as a change of an existing set's requestId.
    const olds = { ...explicit, baseRequestId: "mpi.99999999" };
    expect(requestIdFailures(new Map(), olds, { ...spec, requestId })).toHaveLength(1);
  });

  it("accepts a plain prefix, an unknown value, and no requestId", () => {
    for (const requestId of ["mpi", "mpi.0123abc", "run.2024", UNKNOWN, undefined]) {
      expect(requestIdFailures(new Map(), {}, { ...spec, requestId })).toEqual([]);
    }
  });

  it("accepts the set's own stored base, and a requestId already in its state", () => {
    const own = "pcc-0123456789abcdef01234567";
    expect(
      requestIdFailures(new Map(), { ...spec, baseRequestId: own }, { ...spec, requestId: own }),
    ).toEqual([]);
    // State written when an explicit requestId was the base verbatim, then replaced (base chained).
    const legacy = { ...spec, requestId: "job.20241130", baseRequestId: "job.20241130.89abcdef" };
    const news = { ...spec, requestId: "job.20241130", machineType: "Standard_Fs32_v2" };
    const bases = new Map<string, string>();
    expect(requestIdFailures(bases, legacy, news)).toEqual([]);
    // The engine's second check of that replacement has no olds: the first one's base admits it.
    baseRequestIdFor(bases, legacy, news);
    expect(requestIdFailures(bases, {}, news)).toEqual([]);
    // Another set (another identity) with the same inputs is still refused.
    expect(requestIdFailures(bases, {}, { ...news, identity: `${identity}x` })).toHaveLength(1);
  });
});
