/**
 * What `check` planned in one provider process (one `pulumi` run): the increases preflight
 * approved, so the next set of the plan is checked against what is left, and the replacements
 * that delete first, whose old nodes are counted as freed.
 */
import type { NodeSpec } from "../capacity/index";
import type { NodeSetInputs } from "./inputs";
import { containsUnknown } from "./inputs-unknown";

export interface PlannedIncrease {
  /** The cluster status it was checked against (its cache key). */
  cacheKey: string;
  /** The set's name, for the refusals of the sets judged after it. */
  set: string;
  spec: NodeSpec;
  nodes: number;
  /**
   * The nodes `check` found the set holds in the cluster, when it listed them: more than the state
   * has after an interrupted create or grow (the update adopts those instead of creating them).
   */
  held?: number;
}

/** A delete-first replacement's old set: its spec and nodes (per placement group), freed first. */
export interface ReplacedSet {
  spec: NodeSpec;
  nodes: number;
  groups?: ReadonlyMap<string, number>;
}

export class RunPlan {
  /**
   * Delete-first replacements seen by `check`, by identity and replace inputs: the old sets freed
   * first, read again by the engine's second `check` of each replacement.
   */
  readonly deleteFirstReplacements = new Map<string, ReplacedSet>();
  /**
   * Identities of the sets `check` saw in this run. The engine checks every set of the program
   * before its diff in a preview or an update, but a refresh calls `diff` (to show how the state
   * moved) without any `check`: the diff's preflight runs only for a checked set, so a refresh
   * never fails on capacity (see plan-update.ts).
   */
  readonly checked = new Set<string>();
  /** Increases approved by preflight, per set, while the status they were checked against is cached. */
  readonly plannedIncreases = new Map<string, PlannedIncrease>();
  /**
   * Report mode: the sets whose `check` increase was reported as refused (their `check` passed
   * anyway). A preview would have stopped there, so `diff` does not judge the same increase again.
   */
  readonly refusedInReport = new Set<string>();
  /**
   * `preflight: "warn"`: the sets whose refusal was shown as a warning in this run. A set is warned
   * once: `diff`'s update preflight, or the engine's second `check` of a replacement, judging the
   * same increase again, does not repeat it.
   */
  readonly warned = new Set<string>();
  private unnamedPlans = 0;

  /** The key of a set's planned increase: its identity, or (unknown in preview) one of its own. */
  planKey(inputs: Pick<NodeSetInputs, "identity">): string {
    return containsUnknown(inputs.identity) ? `unknown identity ${++this.unnamedPlans}` : inputs.identity;
  }

  /** Forgets the increases planned against a status that is no longer cached. */
  forgetIncreases(cacheKey: string): void {
    for (const [key, planned] of this.plannedIncreases)
      if (planned.cacheKey === cacheKey) this.plannedIncreases.delete(key);
  }
}
