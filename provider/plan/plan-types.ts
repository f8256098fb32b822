/** The capacity plan of a preview: what each node set does, and what it asks of each bucket. */

/** What the preview does to a node set. */
export type PlanAction = "create" | "update" | "replace" | "delete" | "same";

/** One node set of the stack, as the preview changes it. */
export interface PlanChange {
  /** The resource name. */
  readonly name: string;
  readonly urn: string;
  readonly cluster: string;
  readonly nodearray: string;
  /** The set's `machineType`, or the bucket CycleCloud would pick (the first valid one). */
  readonly machineType: string | null;
  readonly action: PlanAction;
  /** Nodes before (0 for a new set) and after (0 for a deleted set). */
  readonly from: number;
  readonly to: number;
  /** An error diagnostic the engine reported for this set (the preview runs with preflight off). */
  readonly error?: string;
}

/** One bucket the plan adds nodes to. */
export interface PlanBucket {
  readonly cluster: string;
  readonly nodearray: string;
  readonly machineType: string | null;
  readonly placementGroupId?: string;
  /** Nodes of this bucket that can be added now (before the plan). */
  readonly availableNow: number;
  /** Nodes the plan creates in it: new sets, growth, replacements, failed or missing nodes re-created. */
  readonly requested: number;
  /**
   * Available now + what the plan frees for this bucket (decreases, deletions, replaced sets, failed
   * members terminated; in this bucket or a limit it shares) - what it requests (and what other
   * buckets' increases take from the limits they share). Negative: the plan is short by that many
   * nodes even once everything is freed.
   */
  readonly availableAfter: number;
  /** The limit that binds the increase (`bucket availableCount`, `nodearray maxCount`, ...). */
  readonly bindingLimit: string;
  readonly fits: boolean;
}

/** `pulumi-cyclecloud plan --json`. */
export interface CapacityPlan {
  readonly stack: string;
  /** Every increase fits, and the preview raised no error. */
  readonly fits: boolean;
  readonly changes: readonly PlanChange[];
  readonly buckets: readonly PlanBucket[];
}
