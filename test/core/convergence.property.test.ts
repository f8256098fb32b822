/**
 * Properties of the convergence plan (what `converge` does to a set) over generated node lists:
 * the reliability campaign's overshoot, duplicate, shortfall and convergence invariants, and that
 * the plan touches only the set's own members. `applyPlan` carries a plan out the way `converge`
 * (provider/ops/converge-node-set.ts) does, with a given room for new and started nodes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chooseNodesToRemove } from "../../provider/core/choose-nodes-to-remove";
import { cannotCome, planConvergence } from "../../provider/core/convergence-plan";
import { isCapacityFailure } from "../../provider/core/failure-messages";
import type { NodeInfo, NodePhase, NodeSetState } from "../../provider/core/node-set-state";
import { isHealthy, isMember, isStuck, nodePhase, nodeSetState } from "../../provider/core/node-set-state";
import { nextSequence, requestIdFor, sequenceOf } from "../../provider/core/request-id";
import { chooseRemovals } from "../../provider/core/placement-groups";
import type { NodeSetInputs } from "../../provider/core/inputs";
import { withDefaults } from "../../provider/core/inputs-pick";
import { diffNodeSet } from "../../provider/core/diff-node-set";
import { NOW, READY_TIMEOUT_SECONDS, RUNS, nodesOf, setArb } from "./arbitraries";
import { pickInputs as pickChecked } from "../../provider/core/inputs-pick";

/** The engine adapter reads the checked inputs from the property bag with `pickInputs`. */
const diffOf = (olds: NodeSetState, news: Record<string, unknown>, now?: number) =>
  diffNodeSet(olds, pickChecked(news), now);

function inputsOf(base: string, count: number): NodeSetInputs {
  return { cluster: "hpc", nodearray: "ondemand", count, baseRequestId: base } as NodeSetInputs;
}

/**
 * The set after one `converge`: replaced members terminating, up to `room` nodes started from the
 * warm pool or created (none created when the pool could not be started whole, as `converge`
 * does), then the healthy members beyond `target` terminated, newest first.
 */
function applyPlan(base: string, nodes: readonly NodeInfo[], target: number, room: number): NodeInfo[] {
  const plan = planConvergence(nodes, target, READY_TIMEOUT_SECONDS, NOW);
  const started = plan.start.slice(0, room);
  const created = started.length < plan.start.length ? 0 : Math.min(plan.create, room - started.length);
  let after = nodes.map((n): NodeInfo => {
    if (plan.replace.includes(n)) return { ...n, status: "Terminating" };
    if (started.includes(n)) return { ...n, status: "Ready", privateIp: n.privateIp ?? `10.2.0.${n.id}` };
    return n;
  });
  const sequence = nextSequence(
    base,
    nodes.flatMap((n) => (n.requestId ? [n.requestId] : [])),
  );
  for (let i = 0; i < created; i++) {
    after.push({
      id: `new-${i}`,
      name: `ondemand-${1000 + i}`,
      status: "Ready",
      privateIp: `10.3.0.${i}`,
      requestId: requestIdFor(base, sequence),
      requestedAt: new Date(NOW).toISOString(),
    });
  }
  const healthy = after.filter((n) => isMember(n) && isHealthy(n));
  if (healthy.length > target) {
    const excess = chooseRemovals(inputsOf(base, target), healthy, healthy.length - target);
    after = after.map((n) => (excess.includes(n) ? { ...n, status: "Terminating" } : n));
  }
  return after;
}

const healthyCount = (nodes: readonly NodeInfo[]) => nodes.filter((n) => isMember(n) && isHealthy(n)).length;

const roomArb = fc.nat(25);

describe("planConvergence (properties)", () => {
  it("counts: missing = target - healthy members kept, start + create = missing, replaced = min(replace, missing)", () => {
    fc.assert(
      fc.property(setArb, ({ base, drafts, target }) => {
        const nodes = nodesOf(base, drafts);
        const plan = planConvergence(nodes, target, READY_TIMEOUT_SECONDS, NOW);
        const kept = nodes.filter((n) => isMember(n) && isHealthy(n) && !plan.replace.includes(n)).length;
        expect(plan.missing).toBe(Math.max(0, target - kept));
        expect(plan.start.length + plan.create).toBe(plan.missing);
        expect(plan.create).toBeGreaterThanOrEqual(0);
        expect(plan.replaced).toBe(Math.min(plan.replace.length, plan.missing));
      }),
      { seed: 4101, numRuns: RUNS },
    );
  });

  it("touches only the set's members: each replaced node failed, stuck or unable to come; each started node deallocated", () => {
    fc.assert(
      fc.property(setArb, ({ base, drafts, target }) => {
        const nodes = nodesOf(base, drafts);
        const plan = planConvergence(nodes, target, READY_TIMEOUT_SECONDS, NOW);
        const members = nodes.filter(isMember);
        const abandoned = cannotCome(members);
        for (const n of [...plan.replace, ...plan.start]) expect(members).toContain(n);
        expect(new Set(plan.replace).size).toBe(plan.replace.length);
        expect(new Set(plan.start).size).toBe(plan.start.length);
        for (const n of plan.replace) {
          const why =
            nodePhase(n) === "failed" || isStuck(n, READY_TIMEOUT_SECONDS, NOW) || abandoned.includes(n);
          expect(why).toBe(true);
        }
        // Every failed member goes; a ready member (with an address) never does.
        const failed = members.filter((n) => nodePhase(n) === "failed");
        expect(plan.replace.filter((n) => nodePhase(n) === "failed")).toEqual(failed);
        for (const n of plan.start) expect(nodePhase(n)).toBe("deallocated");
        for (const n of plan.replace) expect(nodePhase(n)).not.toBe("ready");
      }),
      { seed: 4102, numRuns: RUNS },
    );
  });

  it("cannotCome: exactly the address-less Acquiring/Allocation members of a request with a capacity failure", () => {
    fc.assert(
      fc.property(setArb, ({ base, drafts }) => {
        const members = nodesOf(base, drafts).filter(isMember);
        const hit = new Set(
          members
            .filter((n) => nodePhase(n) === "failed" && isCapacityFailure(n.statusMessage))
            .map((n) => n.requestId ?? ""),
        );
        const expected = members.filter(
          (n) =>
            (n.status === "Acquiring" || n.status === "Allocation") &&
            n.privateIp === undefined &&
            hit.has(n.requestId ?? ""),
        );
        expect(cannotCome(members)).toEqual(expected);
      }),
      { seed: 4103, numRuns: RUNS },
    );
  });

  it("after converging, no more than `count` healthy members, exactly `count` when the room allows (overshoot, duplicate, shortfall)", () => {
    fc.assert(
      fc.property(setArb, roomArb, ({ base, drafts, target }, room) => {
        const nodes = nodesOf(base, drafts);
        const plan = planConvergence(nodes, target, READY_TIMEOUT_SECONDS, NOW);
        const after = applyPlan(base, nodes, target, room);
        const healthy = healthyCount(after);
        expect(healthy).toBeLessThanOrEqual(target);
        const needed = plan.start.length + plan.create;
        if (room >= needed) expect(healthy).toBe(target);
        else expect(healthy).toBe(target - plan.missing + room);
      }),
      { seed: 4104, numRuns: RUNS },
    );
  });

  it("idempotent: the plan of a converged set is empty, and converging it again changes nothing", () => {
    fc.assert(
      fc.property(setArb, ({ base, drafts, target }) => {
        const nodes = nodesOf(base, drafts);
        const once = applyPlan(base, nodes, target, Number.MAX_SAFE_INTEGER);
        const plan = planConvergence(once, target, READY_TIMEOUT_SECONDS, NOW);
        expect(plan).toEqual({
          replace: [],
          replaced: 0,
          abandoned: 0,
          missing: 0,
          start: [],
          excess: 0,
          create: 0,
        });
        expect(applyPlan(base, once, target, Number.MAX_SAFE_INTEGER)).toEqual(once);
      }),
      { seed: 4105, numRuns: RUNS },
    );
  });

  it("creates under the set's own base only, after every sequence it used", () => {
    fc.assert(
      fc.property(setArb, ({ base, drafts, target }) => {
        const nodes = nodesOf(base, drafts);
        const after = applyPlan(base, nodes, target, Number.MAX_SAFE_INTEGER);
        const used = nodes.flatMap((n) =>
          n.requestId === undefined ? [] : [sequenceOf(base, n.requestId) ?? -1],
        );
        for (const n of after.filter((a) => !nodes.some((b) => b.id === a.id))) {
          const sequence = sequenceOf(base, n.requestId ?? "");
          expect(sequence).toBeDefined();
          expect(sequence).toBe(Math.max(-1, ...used) + 1);
        }
        // Nodes that were not the set's members are left exactly as they were.
        for (const n of nodes.filter((x) => !isMember(x))) expect(after).toContainEqual(n);
      }),
      { seed: 4106, numRuns: RUNS },
    );
  });
});

describe("nodeSetState (properties)", () => {
  it("holds exactly the members (nothing terminating, terminated or a kept record), once each, counted by phase", () => {
    fc.assert(
      fc.property(setArb, ({ base, drafts, target }) => {
        const nodes = nodesOf(base, drafts);
        const state = nodeSetState(inputsOf(base, target), { requestIds: [], nodes });
        // Members, read from the records without the library's phase functions.
        const gone = (n: NodeInfo) =>
          n.status === "Terminating" || n.status === "Terminated" || n.recordKept === true;
        const expected = nodes.filter((n) => !gone(n)).map((n) => n.id);
        expect([...state.nodeIds].sort()).toEqual([...expected].sort());
        const ready = nodes.filter(
          (n) => !gone(n) && n.status === "Ready" && n.privateIp !== undefined,
        ).length;
        const failed = nodes.filter(
          (n) => !gone(n) && (n.status === "Failed" || n.status === "Unavailable"),
        ).length;
        const pool = nodes.filter(
          (n) => !gone(n) && (n.status === "Deallocated" || n.status === "Stopping"),
        ).length;
        expect([state.readyCount, state.failedCount, state.deallocatedCount]).toEqual([ready, failed, pool]);
      }),
      { seed: 4108, numRuns: RUNS },
    );
  });
});

describe("diffNodeSet against the plan (properties)", () => {
  it("with inputs unchanged, the preview shows a change exactly when converging would do something, and none once converged", () => {
    fc.assert(
      fc.property(setArb, ({ base, drafts, target }) => {
        const inputs = withDefaults(
          {
            cluster: "hpc",
            nodearray: "ondemand",
            count: target,
            readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
          },
          base,
        );
        const nodes = nodesOf(base, drafts);
        const news: Record<string, unknown> = { ...inputs };
        const plan = planConvergence(nodes, target, READY_TIMEOUT_SECONDS, NOW);
        const acts = plan.replace.length > 0 || plan.missing > 0 || healthyCount(nodes) > target;
        const before = diffOf(nodeSetState(inputs, { requestIds: [], nodes }), news, NOW);
        expect([before.changes, before.replaces, before.updates]).toEqual([acts, [], []]);
        const after = applyPlan(base, nodes, target, Number.MAX_SAFE_INTEGER);
        const converged = diffOf(nodeSetState(inputs, { requestIds: [], nodes: after }), news, NOW);
        expect(converged).toEqual({
          changes: false,
          replaces: [],
          updates: [],
          nodes: [],
          deleteBeforeReplace: false,
        });
      }),
      { seed: 4109, numRuns: RUNS },
    );
  });
});

const RANK: Record<NodePhase, number> = {
  failed: 0,
  deallocated: 1,
  provisioning: 2,
  ready: 3,
  leaving: 4,
  gone: 4,
};

describe("chooseNodesToRemove (properties)", () => {
  it("picks exactly min(n, members) distinct members: broken, then deallocated, then unfinished, then the newest ready", () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: -2, max: 30 }), ({ base, drafts }, n) => {
        const members = nodesOf(base, drafts).filter(isMember);
        const chosen = chooseNodesToRemove(members, n, base);
        expect(chosen.length).toBe(Math.max(0, Math.min(n, members.length)));
        expect(new Set(chosen).size).toBe(chosen.length);
        for (const c of chosen) expect(members).toContain(c);
        const left = members.filter((m) => !chosen.includes(m));
        const age = (x: NodeInfo) => (x.requestId ? (sequenceOf(base, x.requestId) ?? -1) : -1);
        for (const c of chosen) {
          for (const l of left) {
            const rc = RANK[nodePhase(c)];
            const rl = RANK[nodePhase(l)];
            expect(rc).toBeLessThanOrEqual(rl);
            // Among ready nodes, none kept is newer (a higher request sequence) than one removed.
            if (rc === rl) expect(age(c)).toBeGreaterThanOrEqual(age(l));
          }
        }
      }),
      { seed: 4107, numRuns: RUNS },
    );
  });
});
