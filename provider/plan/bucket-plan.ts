/**
 * The plan's rows from the preview's events: per node set its action and counts (the engine's
 * steps), per set and bucket what the set's own preflight judged in that preview (its reports:
 * available now, requested, available after, the binding limit, fits). The plan computes no
 * capacity and reads no cluster itself: the numbers are the preview's, through each set's own
 * connection, so the plan and the preview cannot disagree.
 */
import type { PreflightReportMessage } from "../core/preflight-report";
import { recordText } from "../../wire/schemas";
import type { NodeSetStep } from "./engine-steps";
import { resourceName } from "./engine-steps";
import type { PlanBucket, PlanChange } from "./plan-types";

function countOf(inputs: Record<string, unknown> | undefined): number {
  const count = inputs?.["count"];
  return typeof count === "number" && Number.isFinite(count) ? count : 0;
}

/** A change of the stack's node sets, with its numbers. */
export function planChanges(
  steps: readonly NodeSetStep[],
  reports: readonly PreflightReportMessage[],
  errors: ReadonlyMap<string, readonly string[]>,
): PlanChange[] {
  return steps.map((step) => {
    const inputs = step.action === "delete" ? step.olds : (step.news ?? step.olds);
    // The report about this set: by URN, else by name.
    const judged = reports.find((report) =>
      report.urn === undefined ? report.set === step.name : report.urn === step.urn,
    );
    const error = errors.get(step.urn)?.join("\n");
    return {
      name: step.name,
      urn: step.urn,
      cluster: recordText(inputs, "cluster") ?? "(unknown)",
      nodearray: recordText(inputs, "nodearray") ?? "(unknown)",
      machineType: judged?.machineType ?? recordText(inputs, "machineType") ?? null,
      action: step.action,
      from: step.action === "create" ? 0 : countOf(step.olds),
      to: step.action === "delete" ? 0 : countOf(step.news),
      ...(error === undefined ? {} : { error }),
    };
  });
}

/**
 * One row per set, phase and bucket: the last report of each (the engine checks a replacement
 * twice, and both checks judge the same increase), in the order the preview judged them (each
 * row's `availableNow` counts the increases judged before it), named by the set's resource name.
 */
export function planBuckets(
  steps: readonly NodeSetStep[],
  reports: readonly PreflightReportMessage[],
): PlanBucket[] {
  const rows = new Map<string, PlanBucket>();
  for (const report of reports) {
    const { set, urn, phase, ...numbers } = report;
    const name =
      urn === undefined ? set : (steps.find((step) => step.urn === urn)?.name ?? resourceName(urn));
    const key = JSON.stringify([
      urn ?? set,
      phase,
      report.cluster,
      report.nodearray,
      report.machineType,
      report.placementGroupId ?? null,
    ]);
    rows.delete(key);
    rows.set(key, { set: name, ...numbers });
  }
  return [...rows.values()];
}

/** Whether preflight refuses some row (see `CapacityPlan.refused`). */
export function refusesAny(buckets: readonly PlanBucket[]): boolean {
  return buckets.some((bucket) => !bucket.fits && bucket.preflight !== "warn");
}
