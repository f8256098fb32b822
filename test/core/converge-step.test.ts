/**
 * The step function of converging, run as `converge` runs it (observe, step, carry out, observe)
 * with the carrying out simulated: each stage is passed through once, so a node that turns stuck
 * while the set waits for readiness is named by the timeout, not healed after the wait.
 */
import { describe, expect, it } from "vitest";
import type { Progress, Step } from "../../provider/core/converge-step";
import { nextStep, startOfConvergence } from "../../provider/core/converge-step";
import { surveyConvergence } from "../../provider/core/convergence-plan";
import { withDefaults } from "../../provider/core/inputs-pick";
import type { NodeInfo } from "../../provider/core/node-set-state";

const T0 = Date.parse("2026-12-07T12:00:00Z");
const inputs = withDefaults(
  { identity: "p/s/workers", cluster: "hpc", nodearray: "ondemand", count: 3, readyTimeoutSeconds: 3 },
  "base",
);
const node = (name: string, status: string): NodeInfo => ({
  id: `id-${name}`,
  name,
  status,
  ...(status === "Ready" ? { privateIp: "10.0.0.1" } : {}),
  requestId: "base-1",
  requestedAt: new Date(T0).toISOString(),
});

/** The kinds of the steps converging takes, the wait for readiness taking `waitMs` and timing out. */
function stepsOf(nodes: NodeInfo[], startMs: number, waitMs: number): { kinds: string[]; done: Step } {
  let now = T0 + startMs;
  let progress = startOfConvergence();
  const kinds: string[] = [];
  for (let i = 0; i < 50; i++) {
    const survey = surveyConvergence(nodes, 3, { inputs, now, first: progress.plan });
    const step = nextStep({ nodes, survey, target: 3, inputs, progress });
    if (step.kind === "done") return { kinds, done: step };
    kinds.push(step.kind);
    let seen: Partial<Progress> = {};
    if (step.kind === "settle") {
      now += waitMs;
      seen = { settled: { timedOut: true, abandoned: [] } };
    }
    if (step.kind === "create") throw new Error("nothing to create: count is met");
    progress = { ...progress, ...step.then, ...seen };
  }
  throw new Error(`no end after 50 steps: ${kinds.join(", ")}`);
}

describe("converging passes through each stage once", () => {
  const held = () => [
    node("ondemand-1", "Ready"),
    node("ondemand-2", "Ready"),
    node("ondemand-3", "Acquiring"),
  ];

  it("a node that turns stuck during the wait for readiness is named in the timeout, not healed then", () => {
    const { kinds, done } = stepsOf(held(), 1000, 3000);

    expect(kinds).toEqual(["settle"]);
    expect(done.kind === "done" && done.reasons.join("; ")).toContain(
      "timed out after 3s waiting for readiness: 1 node(s) not ready (ondemand-3: Acquiring)",
    );
  });

  it("a node stuck when converging starts is terminated first", () => {
    const { kinds } = stepsOf(held(), 4000, 3000);

    expect(kinds[0]).toBe("terminate");
  });
});
