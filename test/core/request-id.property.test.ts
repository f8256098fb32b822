/**
 * Properties of request ids (the campaign's shared and duplicate invariants): a set's sequence is
 * monotonic and never reuses an id, ids of different bases never collide, and distinct identities
 * never derive one base.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  deriveBaseRequestId,
  isLibraryBase,
  isLibraryRequestId,
  isRequestIdOf,
  nextSequence,
  requestIdFor,
  sequenceOf,
} from "../../provider/core/request-id";
import { groupRequestBase } from "../../provider/core/placement-groups";
import { RUNS, baseArb } from "./arbitraries";

const identityArb = fc
  .stringMatching(/^[a-z0-9]{4,10}$/)
  .map((t) => `urn:pulumi:dev::hpc::cyclecloud:NodeSet::s#${t}`);
const specArb = fc.record(
  {
    cluster: fc.constantFrom("hpc", "hpc2"),
    nodearray: fc.constantFrom("ondemand", "gpu"),
    machineType: fc.constantFrom("Standard_HC44rs", "Standard_F2s_v2"),
    requestId: fc.constantFrom("mpi", "hpc-job", "team.a", "a_b-c"),
  },
  { requiredKeys: ["cluster", "nodearray"] },
);

describe("request ids (properties)", () => {
  it("a set's sequence is monotonic: each next id is new, of the set's base, one past the highest used", () => {
    fc.assert(
      fc.property(
        baseArb,
        baseArb,
        fc.array(fc.oneof(fc.nat(20), fc.constant(-1)), { maxLength: 12 }),
        fc.integer({ min: 1, max: 6 }),
        (base, other, used, creates) => {
          // Ids already held: the set's own, another base's, and ones of another format.
          const held = used.map((s, i) =>
            s < 0 ? `manual-${i}` : i % 3 === 2 ? requestIdFor(other, s) : requestIdFor(base, s),
          );
          const own = held.flatMap((id) => {
            const s = sequenceOf(base, id);
            return s === undefined ? [] : [s];
          });
          const ids = [...held];
          let previous = Math.max(-1, ...own);
          for (let i = 0; i < creates; i++) {
            const sequence = nextSequence(base, ids);
            const id = requestIdFor(base, sequence);
            expect(sequence).toBe(previous + 1);
            expect(ids).not.toContain(id);
            expect(sequenceOf(base, id)).toBe(sequence);
            expect(isLibraryRequestId(id)).toBe(true);
            ids.push(id);
            previous = sequence;
          }
        },
      ),
      { seed: 4401, numRuns: RUNS },
    );
  });

  it("different identities or specs derive different bases, each of the library's format", () => {
    fc.assert(
      fc.property(identityArb, specArb, identityArb, specArb, (idA, specA, idB, specB) => {
        const a = deriveBaseRequestId(idA, specA);
        const b = deriveBaseRequestId(idB, specB);
        expect(isLibraryBase(a)).toBe(true);
        expect(a === b).toBe(idA === idB && JSON.stringify(specA) === JSON.stringify(specB));
        // A replacement never shares its base with the set it replaces.
        expect(deriveBaseRequestId(idA, specA, a)).not.toBe(a);
      }),
      { seed: 4402, numRuns: RUNS },
    );
  });

  it("ids of two different bases never collide, and neither base reads the other's ids as its own", () => {
    fc.assert(
      fc.property(baseArb, baseArb, fc.nat(50), fc.nat(50), fc.nat(4), (a, b, i, j, g) => {
        fc.pre(a !== b);
        const idsOfA = [requestIdFor(a, i), requestIdFor(groupRequestBase(a, g), i)];
        const idsOfB = [requestIdFor(b, j), requestIdFor(groupRequestBase(b, g), j)];
        for (const id of idsOfA) {
          expect(idsOfB).not.toContain(id);
          expect(sequenceOf(b, id)).toBeUndefined();
          expect(sequenceOf(groupRequestBase(b, g), id)).toBeUndefined();
          expect(isRequestIdOf(b, id)).toBe(false);
          expect(isRequestIdOf(a, id)).toBe(true);
        }
      }),
      { seed: 4403, numRuns: RUNS },
    );
  });

  it("a readable requestId made of another set's base (allowed by check) gives ids that base does not read as its own", () => {
    fc.assert(
      fc.property(
        baseArb,
        identityArb,
        fc.constantFrom("-", ".pg", "-x", "_"),
        fc.nat(9),
        fc.nat(20),
        (other, identity, joint, k, i) => {
          const requestId = `${other}${joint}${k}`;
          fc.pre(requestId.length <= 64 && !isLibraryBase(requestId));
          const base = deriveBaseRequestId(identity, { cluster: "hpc", nodearray: "ondemand", requestId });
          const id = requestIdFor(base, i);
          expect(sequenceOf(other, id)).toBeUndefined();
          expect(isRequestIdOf(other, id)).toBe(false);
        },
      ),
      { seed: 4404, numRuns: RUNS },
    );
  });
});
