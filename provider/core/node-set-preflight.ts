/**
 * Preflight: a set's plan (plan-set.ts) carried out in the preview. It reads what the planner asks
 * for from its sources (the cluster status shared by the run, what the set holds), then applies the
 * set's preflight mode once to the plan: `enforce` returns the refusal to the engine, `warn` shows
 * it as a warning, report mode (`pulumi-cyclecloud plan`) sends every decision as data; a plan
 * that fits is charged to the run's ledger, so the next set is judged against what is left.
 */
import type { ClusterStatus } from "../../wire/schemas";
import type { NodeSetInputs } from "./inputs";
import type { CheckFailure } from "./inputs-check";
import { planSet } from "./plan-set";
import type { ClusterView, Observation, PlannedSet, Refusal, SetPlan } from "./set-plan-types";
import type { PreflightReport } from "./preflight-report";
import type { RunPlan } from "./run-plan";
import type { SetChange } from "./set-change";
import { asWarning } from "./plan-texts";

export type { PreflightReportMessage } from "./preflight-report";

/** Where preflight reads the cluster and the set from, and where it shows what it decided. */
export interface PreflightSources {
  /** The cluster's status (shared by the sets of one run) and the key it is cached under. */
  status(inputs: NodeSetInputs): Promise<{ status: ClusterStatus; cacheKey: string }>;
  /**
   * Live nodes of the set's spec it already holds or will adopt (only those `adoptExisting` names
   * while its base request id is unknown); throws when `adoptExisting` names nodes it cannot adopt.
   */
  held?(inputs: NodeSetInputs): Promise<number>;
  /** Those of them per placement group name (a spread set's own nodes, with any of an interrupted run). */
  heldByGroup?(inputs: NodeSetInputs): Promise<ReadonlyMap<string, number>>;
  /** How many of those are deallocated (the warm pool, started first when the set grows). */
  warmPool?(inputs: NodeSetInputs): Promise<number>;
  /**
   * Why deallocated nodes of the set's nodearray that no set checked in this run holds may bind the
   * refusal (with the `adoptExisting` that takes them back), or undefined. Read only for a refusal.
   */
  keptNodes?(inputs: NodeSetInputs): Promise<string | undefined>;
  log(inputs: NodeSetInputs, line: string): void;
  /** A warning (without a `warning:` prefix), shown by the engine as a warning of the set. */
  warn(inputs: NodeSetInputs, text: string): void;
  /**
   * Report mode (`pulumi-cyclecloud plan`'s preview): each capacity decision is given here, and a
   * capacity refusal is not returned (the preview goes on, so every set is judged).
   */
  report?(inputs: NodeSetInputs, report: PreflightReport): void;
}

/**
 * The preflight of a change: `check`'s for the inputs' increase, `diff`'s for an update's heal
 * (the change carries the state and `now`). Returns the refusals the engine is to get.
 */
export async function preflight(
  change: SetChange,
  sources: PreflightSources,
  run: RunPlan,
  now?: number,
): Promise<CheckFailure[]> {
  const key = run.planKey(change.inputs);
  let view: ClusterView = now === undefined ? {} : { now };
  let plan: SetPlan;
  while ((plan = planSet(change, view, { run, key })).kind === "observe")
    view = { ...view, ...(await observe(plan.what, change.inputs, sources)) };
  if (plan.replaced !== undefined) run.deleteFirstReplacements.set(plan.replaced.key, plan.replaced.set);
  return applyMode(plan, { change, sources, run, key });
}

/** Reads one fact the planner asked for; a failed read is a fact too (see {@link ClusterView}). */
async function observe(
  what: Observation,
  inputs: NodeSetInputs,
  sources: PreflightSources,
): Promise<ClusterView> {
  switch (what) {
    case "status":
      return { status: await sources.status(inputs).catch((error: unknown) => ({ error })) };
    case "held":
      return {
        held: sources.held
          ? await sources.held(inputs).catch((error: unknown) => ({ error }))
          : { error: new Error("what the set holds is not known here") },
      };
    case "heldByGroup":
      return { heldByGroup: (await sources.heldByGroup?.(inputs).catch(() => undefined)) ?? new Map() };
    case "warmPool":
      return { warmPool: (await sources.warmPool?.(inputs).catch(() => 0)) ?? 0 };
    case "keptNodes":
      return { keptNodes: (await sources.keptNodes?.(inputs).catch(() => undefined)) ?? null };
  }
}

/**
 * The set's preflight mode, applied once to its plan. Report mode (`sources.report`) sends the
 * reports of the first refusal, or of the fit, and returns no capacity refusal; `warn` shows each
 * refusal as a warning and goes on; `enforce` returns the first refusal.
 */
function applyMode(
  plan: PlannedSet,
  { change, sources, run, key }: { change: SetChange; sources: PreflightSources; run: RunPlan; key: string },
): CheckFailure[] {
  const { inputs } = change;
  const warnMode = inputs.preflight === "warn";
  // Warned once per set and run (see RunPlan.warned).
  const warnedBefore = run.warned.has(key);
  for (const warning of plan.warnings) sources.warn(inputs, warning);
  for (const line of plan.lines) sources.log(inputs, line);
  const refuse = (refusal: Refusal) => {
    if (sources.report && refusal.reports) {
      // The set's own mode: a `warn` set's refusal is reported as the warning the preview shows.
      const warns = warnMode && refusal.warnings !== undefined;
      for (const report of refusal.reports)
        sources.report(
          inputs,
          warns ? { ...report, line: asWarning(report.line), preflight: "warn" } : report,
        );
      if (change.kind !== "update" || change.state === undefined) run.refusedInReport.add(key);
      return [];
    }
    if (!warnMode || refusal.warnings === undefined) return refusal.failures;
    if (!warnedBefore) for (const warning of refusal.warnings) sources.warn(inputs, warning);
    run.warned.add(key);
    return undefined;
  };
  for (const stop of plan.stops) {
    const refused = refuse(stop);
    if (refused !== undefined) return refused;
  }
  for (const warning of plan.fitWarnings) sources.warn(inputs, warning);
  const { verdict } = plan;
  if (verdict === undefined) return [];
  if (!verdict.fits) return refuse(verdict.refusal) ?? [];
  run.plannedIncreases.set(key, verdict.charge);
  sources.log(inputs, verdict.line);
  sources.report?.(inputs, verdict.report);
  return [];
}
