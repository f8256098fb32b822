/**
 * Every decision of converging a set to its target, with no I/O: given what the set holds now
 * and what converging has done so far, the next step (terminate with its line, start from the warm
 * pool, deallocate, create the shortfall, wait until nodes are gone, list, wait for readiness) or
 * `done` with the reasons the set fell short. `converge` (ops/converge-node-set.ts) observes,
 * asks {@link nextStep}, carries the step out (ops/converge-execute.ts) and observes again.
 */
import type { ConvergencePlan, ConvergenceSurvey } from "./convergence-plan";
import { describeFailures, partialAddReason } from "./failure-messages";
import type { NodeSetInputs } from "./inputs";
import type { NodeInfo } from "./node-set-state";
import { isMember, nodePhase } from "./node-set-state";

/** What one create of the shortfall did, as the step function reads it. */
export interface CreateSeen {
  /** The nodes of an earlier, interrupted create were adopted instead (and are now held). */
  adopted: boolean;
  requestId: string;
  added: number;
  message?: string | undefined;
  shortfall: number;
}

/** A create that CycleCloud answered with fewer nodes than asked (see `SetHoldings.partialAdd`). */
export interface PartialAdd {
  reason: string;
  added: number;
  requested: number;
}

/** Where converging is, what it did and what it saw; the step function's memory. */
export interface Progress {
  stage: "heal" | "grow" | "shrink" | "heal-round" | "round" | "created" | "relist-round" | "trim" | "end";
  /** The first heal step's plan: the warm-pool start and the shrink follow it. */
  plan?: ConvergencePlan;
  /** Nodes terminated (they leave the set's records) and deallocated into the warm pool. */
  removed: readonly NodeInfo[];
  deallocating: readonly NodeInfo[];
  /** The create round (five at most); a later round begins with its heal step (`heal-round`). */
  round: number;
  /** Why the warm pool could not start every node asked (the nodearray's room). */
  poolLimit?: string | undefined;
  created?: CreateSeen;
  partialAdd?: PartialAdd;
  /** What the wait for readiness saw, once it ran (or `null` when `waitForReady` is off). */
  settled?: { timedOut: boolean; abandoned: readonly NodeInfo[] } | null;
  reasons: readonly string[];
  /** The verdict, once judged; the removed nodes are then waited for. */
  verdict?: readonly string[];
}

export interface ConvergeView {
  /** What the set holds now (the latest observation), and what converging reads in it. */
  nodes: readonly NodeInfo[];
  survey: ConvergenceSurvey;
  target: number;
  inputs: NodeSetInputs;
  progress: Progress;
}

/** A step, and how the progress reads once it is carried out (`then`). */
export type Step =
  | { kind: "terminate" | "deallocate"; nodes: readonly NodeInfo[]; line: string; then: Partial<Progress> }
  | { kind: "start"; wanted: number; then: Partial<Progress> }
  | { kind: "create"; shortfall: number; then: Partial<Progress> }
  | { kind: "warn"; text: string; then: Partial<Progress> }
  | {
      kind: "wait-gone";
      nodes: readonly NodeInfo[];
      until: "Terminated" | "Deallocated";
      /** Logged before waiting. */
      line?: string;
      /** Recorded as terminated once gone (they are asked for again next). */
      markGone: boolean;
      /** Warned, after the count of nodes still there, when the wait times out. */
      stuck?: string;
      then: Partial<Progress>;
    }
  | { kind: "list"; except: readonly NodeInfo[]; then: Partial<Progress> }
  /** Lists the set afresh, then (`wait`) waits for readiness. */
  | { kind: "settle"; target: number; except: readonly NodeInfo[]; wait: boolean; then: Partial<Progress> }
  | { kind: "done"; reasons: string[]; partialAdd?: PartialAdd };

export function startOfConvergence(): Progress {
  return { stage: "heal", removed: [], deallocating: [], round: 0, reasons: [] };
}

/** How many create rounds converging runs at most. */
const ROUNDS = 5;

/** The next step of converging the set in `view` (see the module comment). */
export function nextStep(view: ConvergeView): Step {
  let progress = view.progress;
  // The stages passed through without a step are part of how the progress reads after the step.
  let passed: Partial<Progress> = {};
  for (;;) {
    const next = stageStep({ ...view, progress });
    if ("kind" in next) return next.kind === "done" ? next : { ...next, then: { ...passed, ...next.then } };
    passed = { ...passed, ...next };
    progress = { ...progress, ...next };
  }
}

/** The step of the view's stage, or the progress to read again when the stage has none. */
function stageStep(view: ConvergeView): Step | Partial<Progress> {
  const { progress: p } = view;
  switch (p.stage) {
    case "heal": {
      const plan = view.survey.plan;
      return healStep(view, { stage: "grow", plan }) ?? { stage: "grow", plan };
    }
    case "grow":
      // Grow from the warm pool first: a deallocated node starts faster than a new one, disks kept.
      return p.plan && p.plan.start.length > 0
        ? { kind: "start", wanted: p.plan.missing, then: { stage: "shrink" } }
        : { stage: "shrink" };
    case "shrink":
      return shrinkStep(view);
    case "heal-round":
    case "round":
      return roundStep(view);
    case "created":
      return createdStep(view);
    case "relist-round":
      return { kind: "list", except: p.removed, then: { stage: "heal-round", round: p.round + 1 } };
    case "trim": {
      // Adopting the nodes of an interrupted create (made for a larger count) can overshoot.
      const beyond = view.survey.beyond;
      if (beyond.length === 0) return { stage: "end" };
      return terminate(view, beyond, `adopted more nodes than \`count\`: terminating ${names(beyond)}`, {
        stage: "end",
      });
    }
    case "end":
      return finalStep(view);
  }
}

function terminate(
  view: ConvergeView,
  nodes: readonly NodeInfo[],
  line: string,
  then: Partial<Progress>,
): Step {
  return { kind: "terminate", nodes, line, then: { ...then, removed: [...view.progress.removed, ...nodes] } };
}

/**
 * The heal step: terminates the failed, stuck and abandoned members (see convergence-plan.ts). It
 * runs again on each later round: a node that round brought in is replaced only once terminated.
 */
function healStep(view: ConvergeView, then: Partial<Progress>): Step | undefined {
  const { plan } = view.survey;
  if (plan.replace.length === 0) return undefined;
  return terminate(view, plan.replace, describeHeal(plan, view.inputs.readyTimeoutSeconds), then);
}

/** The healthy members beyond the target go: deallocated into the warm pool, or terminated. */
function shrinkStep(view: ConvergeView): Step | Partial<Progress> {
  const { progress: p, inputs, target } = view;
  // The nodearray had no room for the whole warm pool: it has none for new nodes either.
  const then: Partial<Progress> = {
    stage: "round",
    reasons: p.poolLimit === undefined ? p.reasons : [...p.reasons, p.poolLimit],
  };
  const excess = view.survey.shrink;
  if (excess.length === 0) return then;
  if (inputs.scaleDown === "deallocate") {
    return {
      kind: "deallocate",
      nodes: excess,
      line: `scaling down by deallocating ${excess.length} node(s), kept as the set's warm pool: ${names(excess)}`,
      then: { ...then, deallocating: [...p.deallocating, ...excess] },
    };
  }
  return terminate(
    view,
    excess,
    `shrinking from ${target + excess.length} to ${target}: terminating ${names(excess)}`,
    then,
  );
}

/** One create round: heal again (after the first), then create what is missing. */
function roundStep(view: ConvergeView): Step | Partial<Progress> {
  const { progress: p, target } = view;
  if (p.poolLimit !== undefined || p.round >= ROUNDS) return { stage: "trim" };
  if (p.stage === "heal-round") return healStep(view, { stage: "round" }) ?? { stage: "round" };
  const shortfall = target - view.survey.healthy;
  if (shortfall <= 0) return { stage: "trim" };
  return { kind: "create", shortfall, then: { stage: "created" } };
}

/**
 * After a create (carrying it out logged how many nodes it added): adopted nodes count and the
 * round goes on; a short create waits or is a reason.
 */
function createdStep(view: ConvergeView): Step | Partial<Progress> {
  const { progress: p } = view;
  const created = p.created;
  if (created === undefined) return { stage: "trim" };
  if (created.adopted) return { stage: "heal-round", round: p.round + 1 };
  const { shortfall, added } = created;
  const leaving = p.removed.filter((n) => nodePhase(n) !== "gone");
  if (added < shortfall && leaving.length > 0 && p.round < ROUNDS - 1) {
    // The nodes being replaced still hold their VMs until they are gone: wait, then ask again.
    return {
      kind: "wait-gone",
      nodes: leaving,
      until: "Terminated",
      line: `waiting for ${leaving.length} replaced node(s) to terminate before asking again`,
      markGone: true,
      then: { stage: "relist-round" },
    };
  }
  if (added < shortfall) {
    const reason = partialAddReason(added, shortfall, created.message);
    return {
      stage: "trim",
      reasons: [...p.reasons, reason],
      partialAdd: { reason, added, requested: shortfall },
    };
  }
  return { stage: "trim" };
}

/**
 * The end: wait for the deallocated nodes, list everything afresh, wait for readiness (when
 * asked), judge it, then wait for the removed nodes to be gone.
 */
function finalStep(view: ConvergeView): Step | Partial<Progress> {
  const { progress: p, inputs } = view;
  if (p.deallocating.length > 0)
    return waitToEnd(p.deallocating, "Deallocated", "node(s) still deallocating", { deallocating: [] });
  if (p.settled === undefined) {
    return { kind: "settle", target: view.target, except: p.removed, wait: inputs.waitForReady, then: {} };
  }
  if (p.verdict === undefined) {
    const reasons = p.settled?.timedOut ? [...p.reasons, timedOut(view, p.settled.abandoned)] : p.reasons;
    const verdict = judgeReadiness(view, reasons);
    if (verdict.warning !== undefined) return { kind: "warn", text: verdict.warning, then: { verdict: [] } };
    return { verdict: verdict.reasons };
  }
  if (p.removed.length > 0)
    return waitToEnd(p.removed, "Terminated", "removed node(s) still terminating", { removed: [] });
  const done: Step = { kind: "done", reasons: [...p.verdict] };
  return p.partialAdd ? { ...done, partialAdd: p.partialAdd } : done;
}

/** A wait at the end until `nodes` are gone (or deallocated), warning of those that are not. */
function waitToEnd(
  nodes: readonly NodeInfo[],
  until: "Terminated" | "Deallocated",
  stuck: string,
  then: Partial<Progress>,
): Step {
  return { kind: "wait-gone", nodes, until, markGone: false, stuck, then };
}

/** The reason of a wait for readiness that timed out, naming the nodes not ready. */
function timedOut(view: ConvergeView, abandoned: readonly NodeInfo[]): string {
  const pending = view.nodes.filter(
    (n) => isMember(n) && nodePhase(n) === "provisioning" && !abandoned.includes(n),
  );
  return (
    `timed out after ${view.inputs.readyTimeoutSeconds}s waiting for readiness: ${pending.length} node(s) not ready ` +
    `(${pending.map((n) => `${n.name}: ${n.status}`).join(", ")}); raise \`readyTimeoutSeconds\` or run \`pulumi up\` again`
  );
}

/** The heal step's line: which nodes go, why, and how many of them get a replacement. */
function describeHeal(plan: ConvergencePlan, readyTimeoutSeconds: number): string {
  const { replace: failed, abandoned } = plan;
  const stuck = failed.filter((n) => nodePhase(n) !== "failed").length - abandoned;
  const why = [
    stuck > 0 ? `${stuck} not ready after ${readyTimeoutSeconds}s` : "",
    abandoned > 0 ? `${abandoned} acquiring after an allocation failure of their request` : "",
  ].filter(Boolean);
  const which = why.length > 0 ? ` (${why.join(", ")})` : "";
  if (plan.replaced === failed.length)
    return `replacing ${failed.length} failed node(s)${which}: ${names(failed)}`;
  const replacing =
    plan.replaced > 0 ? `, replacing ${plan.replaced}` : ", not replacing them (`count` is met)";
  return `terminating ${failed.length} failed node(s)${which}${replacing}: ${names(failed)}`;
}

/**
 * Whether the up succeeds (`minReady`): with at least `minReady` nodes ready and none still
 * provisioning, failed nodes and a short create are a warning (the nodes stay in state; the next
 * `up` replaces them) and no reason is returned; otherwise every reason, failures grouped by reason.
 */
function judgeReadiness(
  view: ConvergeView,
  reasons: readonly string[],
): { reasons: string[]; warning?: string } {
  const { target, survey } = view;
  const abandoned = view.progress.settled?.abandoned ?? [];
  const { failed, ready, minReady } = survey;
  const all = [...reasons];
  if (failed.length > 0)
    all.push(`${describeFailures(failed).join("; ")}; the next \`pulumi up\` replaces them`);
  if (abandoned.length > 0)
    all.push(
      `${abandoned.length} acquiring after an allocation failure of their request, not waited for (${names(abandoned)})`,
    );
  if (all.length === 0) return { reasons: [] };
  if (!view.inputs.waitForReady || survey.provisioning > 0 || ready < minReady) return { reasons: all };
  return {
    reasons: [],
    warning: `${ready}/${target} ready, at least \`minReady\` ${minReady}: ${all.join("; ")}`,
  };
}

function names(nodes: readonly NodeInfo[]): string {
  return nodes.map((n) => n.name).join(", ");
}
