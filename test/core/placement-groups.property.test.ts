/**
 * Properties of a set spread over placement groups (the campaign's placement invariant): groups
 * filled in order up to their size, never overfilled, emptied from the last.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NodeSetInputs } from "../../provider/core/inputs";
import type { NodeInfo } from "../../provider/core/node-set-state";
import { isHealthy } from "../../provider/core/node-set-state";
import {
  bucketGroupLimit,
  chooseRemovals,
  groupCounts,
  groupIndexOf,
  groupRequestBase,
  heldPerGroup,
  planGrowth,
} from "../../provider/core/placement-groups";
import { requestIdFor } from "../../provider/core/request-id";
import type { Bucket } from "../../wire/schemas";
import { RUNS, baseArb, nodeDraftArb, nodesOf } from "./arbitraries";

const sizeArb = fc.integer({ min: 1, max: 8 });
const groups = (size: number) => ({ prefix: "pg", size });

function spreadInputs(base: string, size: number): NodeSetInputs {
  return {
    cluster: "hpc",
    nodearray: "ondemand",
    count: 0,
    baseRequestId: base,
    placementGroups: groups(size),
  } as NodeSetInputs;
}

/** `count` ready nodes of a spread set filled in order, as CycleCloud lists them. */
function filledSet(base: string, count: number, size: number): NodeInfo[] {
  return groupCounts(count, size).flatMap((inGroup, g) =>
    Array.from({ length: inGroup }, (_, i) => ({
      id: `pg${g}-node-${i}`,
      name: `ondemand-${g * size + i + 1}`,
      status: "Ready",
      privateIp: `10.4.${g}.${i}`,
      placementGroupId: `pg${g}`,
      requestId: requestIdFor(groupRequestBase(base, g), 0),
    })),
  );
}

describe("placement groups (properties)", () => {
  it("groupCounts: sums to count, every group full (size) but the last, which holds the rest", () => {
    fc.assert(
      fc.property(fc.nat(200), sizeArb, (count, size) => {
        const full = Math.floor(count / size);
        const expected = [
          ...Array.from({ length: full }, () => size),
          ...(count % size ? [count % size] : []),
        ];
        expect(groupCounts(count, size)).toEqual(expected);
      }),
      { seed: 4201, numRuns: RUNS },
    );
  });

  it("planGrowth: places exactly n, never overfills a group, fills the first groups with room in order", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(10), { maxLength: 6 }), fc.nat(30), sizeArb, (held, n, size) => {
        const plan = planGrowth(held, n, size);
        expect(plan.reduce((sum, [, take]) => sum + take, 0)).toBe(n);
        const indexes = plan.map(([index]) => index);
        expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);
        expect(new Set(indexes).size).toBe(indexes.length);
        for (const [index, take] of plan) {
          expect(take).toBeGreaterThan(0);
          expect((held[index] ?? 0) + take).toBeLessThanOrEqual(size);
        }
        // Every group before the last one used is full afterwards (filled in order).
        const last = indexes.at(-1) ?? -1;
        for (let g = 0; g < last; g++) {
          const take = plan.find(([index]) => index === g)?.[1] ?? 0;
          expect(Math.max(held[g] ?? 0, (held[g] ?? 0) + take)).toBeGreaterThanOrEqual(size);
        }
      }),
      { seed: 4202, numRuns: RUNS },
    );
  });

  it("heldPerGroup: the healthy members of each of the set's groups, nothing else", () => {
    fc.assert(
      fc.property(baseArb, fc.array(nodeDraftArb, { maxLength: 24 }), (base, drafts) => {
        const nodes = nodesOf(base, drafts, "pg");
        // A node of another prefix or a malformed group name is in none of the set's groups.
        const odd = nodes.map((n, i) =>
          i % 7 === 3 ? { ...n, placementGroupId: i % 2 ? "other0" : "pg01" } : n,
        );
        const held = heldPerGroup(groups(4), odd);
        for (let g = 0; g < held.length; g++) {
          const expected = odd.filter((n) => isHealthy(n) && n.placementGroupId === `pg${g}`).length;
          expect(held[g]).toBe(expected);
        }
        const inGroups = odd.filter(
          (n) => isHealthy(n) && groupIndexOf(groups(4), n.placementGroupId) !== undefined,
        );
        expect(held.reduce((a, b) => a + b, 0)).toBe(inGroups.length);
      }),
      { seed: 4203, numRuns: RUNS },
    );
  });

  it("chooseRemovals: exactly min(n, members) distinct members, the last group emptied first", () => {
    fc.assert(
      fc.property(
        baseArb,
        fc.array(nodeDraftArb, { maxLength: 24 }),
        sizeArb,
        fc.nat(30),
        (base, drafts, size, n) => {
          const members = nodesOf(base, drafts, "pg");
          const chosen = chooseRemovals(spreadInputs(base, size), members, n);
          expect(chosen.length).toBe(Math.min(n, members.length));
          expect(new Set(chosen).size).toBe(chosen.length);
          for (const c of chosen) expect(members).toContain(c);
          const indexOf = (node: NodeInfo) => groupIndexOf(groups(size), node.placementGroupId) ?? -1;
          const left = members.filter((m) => !chosen.includes(m));
          const lowestChosen = Math.min(...chosen.map(indexOf));
          const highestLeft = Math.max(...left.map(indexOf));
          if (chosen.length > 0 && left.length > 0) expect(highestLeft).toBeLessThanOrEqual(lowestChosen);
        },
      ),
      { seed: 4204, numRuns: RUNS },
    );
  });

  it("a filled set shrunk with chooseRemovals, then grown with planGrowth, holds groupCounts(count, size)", () => {
    fc.assert(
      fc.property(baseArb, sizeArb, fc.nat(30), fc.nat(30), fc.nat(30), (base, size, from, to, again) => {
        const nodes = filledSet(base, from, size);
        const removed = chooseRemovals(spreadInputs(base, size), nodes, Math.max(0, from - to));
        const kept = nodes.filter((n) => !removed.includes(n));
        expect(heldPerGroup(groups(size), kept)).toEqual(groupCounts(Math.min(from, to), size));
        const held = heldPerGroup(groups(size), kept);
        const grown = [...held];
        for (const [g, take] of planGrowth(held, again, size)) grown[g] = (grown[g] ?? 0) + take;
        expect(Array.from(grown, (x) => x ?? 0)).toEqual(groupCounts(Math.min(from, to) + again, size));
      }),
      { seed: 4205, numRuns: RUNS },
    );
  });

  it("bucketGroupLimit: the most nodes one group holds within maxPlacementGroupSize and maxPlacementGroupCoreSize", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.option(fc.integer({ min: -100, max: 20000 }), { nil: undefined }),
        fc.integer({ min: 0, max: 192 }),
        (size, coreSize, vcpus) => {
          const bucket = {
            maxPlacementGroupSize: size,
            virtualMachine: { vcpuCount: vcpus, memory: 1, infiniband: true },
            ...(coreSize === undefined ? {} : { maxPlacementGroupCoreSize: coreSize }),
          } as Bucket;
          const limit = bucketGroupLimit(bucket);
          const cores = Math.max(1, vcpus);
          const within = (nodes: number) =>
            nodes <= size && (coreSize === undefined || nodes * cores <= coreSize);
          expect(limit).toBeGreaterThanOrEqual(0);
          if (limit > 0) expect(within(limit)).toBe(true);
          expect(within(limit + 1)).toBe(false);
        },
      ),
      { seed: 4206, numRuns: RUNS },
    );
  });
});
