/**
 * What preflight reports of one capacity decision in report mode (`pulumi-cyclecloud plan`'s
 * preview), and how the report travels: an info diagnostic of the set, a prefix and one line of JSON.
 */
import type { CapacityFit, NodeSpec } from "../capacity/index";

/**
 * One capacity decision of preflight, for one set and the bucket it grows in: what
 * `pulumi-cyclecloud plan` shows.
 */
export interface PreflightReport {
  /** `check` (the inputs' increase) or `diff` (nodes an update re-creates, see plan-update.ts). */
  readonly phase: "check" | "diff";
  readonly cluster: string;
  readonly nodearray: string;
  readonly machineType: string | null;
  readonly placementGroupId?: string;
  /** Nodes of this bucket that can be added before this increase (after the increases judged before it). */
  readonly availableNow: number;
  /** Nodes the increase creates: new sets, growth, replacements, failed or missing nodes re-created. */
  readonly requested: number;
  /** `availableNow` - `requested`. Negative: short by that many nodes. */
  readonly availableAfter: number;
  /**
   * The limit that binds (`bucket availableCount`, `nodearray maxCoreCount`, `placement group`, ...),
   * or what refuses the set outright.
   */
  readonly bindingLimit: string;
  readonly fits: boolean;
  /** The line preflight printed in the preview (the refusal, with its fix, when it does not fit). */
  readonly line: string;
  /**
   * `warn`: the set's `preflight` is "warn", so an increase that does not fit is a warning (its
   * `line` without the advice to set "warn"), not a refusal. Absent: preflight refuses what does not fit.
   */
  readonly preflight?: "warn";
}

/**
 * How a report travels to `pulumi-cyclecloud plan`: an info diagnostic of the set in the engine's
 * event stream, this prefix then one line of JSON ({@link PreflightReportMessage}).
 */
export const PREFLIGHT_REPORT_PREFIX = "cyclecloud-preflight-report ";

/** A report with the set it is about: its name, and its URN when its identity holds one. */
export interface PreflightReportMessage extends PreflightReport {
  readonly set: string;
  readonly urn?: string;
}

/** The diagnostic's text of a report. */
export function preflightReportMessage(
  set: string,
  urn: string | undefined,
  report: PreflightReport,
): string {
  const message: PreflightReportMessage = { set, ...(urn === undefined ? {} : { urn }), ...report };
  return `${PREFLIGHT_REPORT_PREFIX}${JSON.stringify(message)}`;
}

/** The report of a fit (`bindingLimit` overrides the fit's own, e.g. a placement group). */
export function fitReport(
  phase: PreflightReport["phase"],
  fit: CapacityFit,
  judged: { cluster: string; spec: NodeSpec; line: string; bindingLimit?: string | undefined },
): PreflightReport {
  const { cluster, spec, line, bindingLimit } = judged;
  const machineType = fit.machineType ?? fit.bucket?.definition?.machineType ?? spec.machineType ?? null;
  return {
    phase,
    cluster,
    nodearray: spec.nodearray,
    machineType,
    ...(spec.placementGroupId === undefined ? {} : { placementGroupId: spec.placementGroupId }),
    availableNow: fit.available,
    requested: fit.requested,
    availableAfter: fit.available - fit.requested,
    bindingLimit: bindingLimit ?? (fit.problem === undefined ? fit.binding.name : fit.problem),
    fits: bindingLimit === undefined && fit.fits,
    line,
  };
}
