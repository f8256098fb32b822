/** The plan converge follows and the update's preflight counts: replace, start, create. */
import { describe, expect, it } from "vitest";
import { planConvergence } from "../../provider/core/convergence-plan";
import type { NodeInfo } from "../../provider/core/node-set-state";

const NOW = Date.parse("2026-01-01T01:00:00Z");
const node = (name: string, status: string, extra: Partial<NodeInfo> = {}): NodeInfo => ({
  id: `id-${name}`,
  name,
  status,
  ...(status === "Ready" ? { privateIp: "10.0.0.1" } : {}),
  ...extra,
});
const names = (nodes: readonly NodeInfo[]) => nodes.map((n) => n.name);

describe("planConvergence", () => {
  it("replaces a failed node with one new node, count unchanged", () => {
    const plan = planConvergence(
      [node("a-1", "Failed"), node("a-2", "Ready"), node("a-3", "Ready")],
      3,
      1800,
      NOW,
    );
    expect({ ...plan, replace: names(plan.replace), start: names(plan.start) }).toEqual({
      replace: ["a-1"],
      replaced: 1,
      abandoned: 0,
      missing: 1,
      start: [],
      excess: 0,
      create: 1,
    });
  });

  it("counts the healthy members beyond the target after the heal step as excess", () => {
    const nodes = [node("a-1", "Failed"), node("a-2", "Ready"), node("a-3", "Ready"), node("a-4", "Ready")];
    const plan = planConvergence(nodes, 2, 1800, NOW);
    expect({
      replace: names(plan.replace),
      missing: plan.missing,
      excess: plan.excess,
      create: plan.create,
    }).toEqual({ replace: ["a-1"], missing: 0, excess: 1, create: 0 });
    expect(planConvergence(nodes, 3, 1800, NOW).excess).toBe(0);
  });

  it("creates the nodes missing from the set (removed outside Pulumi)", () => {
    const plan = planConvergence([node("a-1", "Ready")], 3, 1800, NOW);
    expect([names(plan.replace), plan.missing, plan.create]).toEqual([[], 2, 2]);
  });

  it("replaces a node stuck past readyTimeoutSeconds, not one still within it", () => {
    const stuck = node("a-1", "Acquiring", { requestedAt: "2026-01-01T00:00:00Z" });
    const young = node("a-2", "Acquiring", { requestedAt: "2026-01-01T00:59:00Z" });
    const plan = planConvergence([stuck, young], 2, 1800, NOW);
    expect([names(plan.replace), plan.replaced, plan.create]).toEqual([["a-1"], 1, 1]);
  });

  it("starts the warm pool first, oldest name first, and creates only the rest", () => {
    const nodes = [node("a-3", "Deallocated"), node("a-2", "Deallocated"), node("a-1", "Ready")];
    const plan = planConvergence(nodes, 4, 1800, NOW);
    expect([names(plan.start), plan.missing, plan.create]).toEqual([["a-2", "a-3"], 3, 1]);
  });

  it("terminates a failed node without replacing it when count is already met", () => {
    const plan = planConvergence([node("a-1", "Failed"), node("a-2", "Ready")], 1, 1800, NOW);
    expect([names(plan.replace), plan.replaced, plan.missing, plan.create]).toEqual([["a-1"], 0, 0, 0]);
  });

  it("ignores nodes leaving or gone", () => {
    const plan = planConvergence([node("a-1", "Terminating"), node("a-2", "Ready")], 2, 1800, NOW);
    expect([names(plan.replace), plan.missing, plan.create]).toEqual([[], 1, 1]);
  });
});
