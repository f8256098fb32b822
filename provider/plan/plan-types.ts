/** The capacity plan of a preview: what each node set does, and what preflight judged of each increase. */
import type { PreflightReport } from "../core/preflight-report";

/** What the preview does to a node set. */
export type PlanAction = "create" | "update" | "replace" | "delete" | "same";

/** One node set of the stack, as the preview changes it. */
export interface PlanChange {
  /** The resource name. */
  readonly name: string;
  readonly urn: string;
  readonly cluster: string;
  readonly nodearray: string;
  /** The bucket's machine type preflight judged, else the set's `machineType`, else null. */
  readonly machineType: string | null;
  readonly action: PlanAction;
  /** Nodes before (0 for a new set) and after (0 for a deleted set). */
  readonly from: number;
  readonly to: number;
  /** An error diagnostic the engine reported for this set. */
  readonly error?: string;
}

/**
 * One increase of a set in a bucket, as the set's own preflight judged it in the preview (through
 * the set's own connection): one row per set and bucket (a set's update that re-creates failed or
 * missing nodes beyond a larger `count` has a second row, `phase` `diff`).
 */
export interface PlanBucket extends Omit<PreflightReport, "phase"> {
  /** The node set (resource name). */
  readonly set: string;
}

/** `pulumi-cyclecloud plan --json`. */
export interface CapacityPlan {
  readonly stack: string;
  /** Every increase fits. */
  readonly fits: boolean;
  /**
   * Preflight refuses some increase: one that does not fit, of a set whose `preflight` is not
   * "warn" (a `warn` set's is a warning: the update tries anyway). The exit code 1 of the command.
   */
  readonly refused: boolean;
  readonly changes: readonly PlanChange[];
  readonly buckets: readonly PlanBucket[];
  /** The preview's warnings (the sets' warnings, insecure TLS, plain http), as the preview showed them. */
  readonly warnings: readonly string[];
}
