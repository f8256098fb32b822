/**
 * The shapes of a set's plan (see plan-set.ts): what the planner knows of the cluster, what it
 * decides, and the ledger of the run it charges; and the small helpers both halves share.
 */
import type { ClusterStatus } from "../../wire/schemas";
import type { NodeSpec } from "../capacity/index";
import type { NodeSetInputs } from "./inputs";
import type { CheckFailure } from "./inputs-check";
import { containsUnknown } from "./inputs-unknown";
import type { PreflightReport } from "./preflight-report";
import type { PlannedIncrease, ReplacedSet, RunPlan } from "./run-plan";

/** What the planner knows of the cluster: each fact read once, when a decision needed it. */
export interface ClusterView {
  /** The cluster's status shared by the run (and its cache key), or why it could not be read. */
  readonly status?: { status: ClusterStatus; cacheKey: string } | { error: unknown };
  /** Live members of the set's spec it holds or adopts, or why they could not be listed. */
  readonly held?: number | { error: unknown };
  /** Those members per placement group (empty when unknown). */
  readonly heldByGroup?: ReadonlyMap<string, number>;
  /** How many of them are deallocated: the warm pool. */
  readonly warmPool?: number;
  /** Why deallocated nodes no set holds may bind a refusal (null: none, or unknown). */
  readonly keptNodes?: string | null;
  /** The clock (ms), for nodes stuck past `readyTimeoutSeconds` (diff). */
  readonly now?: number;
}

export type Observation = "status" | "held" | "heldByGroup" | "warmPool" | "keptNodes";

/** A refusal, and how each preflight mode shows it. */
export interface Refusal {
  /** What `check` returns (`preflight: "enforce"`). */
  readonly failures: CheckFailure[];
  /** What `preflight: "warn"` shows instead; absent: refused whatever the mode. */
  readonly warnings?: string[];
  /** What report mode sends instead; absent: refused in report mode too. */
  readonly reports?: PreflightReport[];
}

/** The plan's verdict: the increase fits (and is charged to the ledger) or is refused. */
export type Verdict =
  | {
      readonly fits: true;
      readonly line: string;
      readonly report: PreflightReport;
      readonly charge: PlannedIncrease;
    }
  | { readonly fits: false; readonly refusal: Refusal };

export type SetPlan = { readonly kind: "observe"; readonly what: Observation } | PlannedSet;

/** A plan decided: what it shows, what stops it, its verdict. */
export interface PlannedSet {
  readonly kind: "planned";
  /** Progress lines (a spread set's per-group plan). */
  readonly lines: readonly string[];
  /** Warnings shown before any decision (fit warnings come with the verdict). */
  readonly warnings: readonly string[];
  /** Refusals that stop the plan before its verdict, unless `preflight: "warn"`. */
  readonly stops: readonly Refusal[];
  readonly fitWarnings: readonly string[];
  /** None: nothing to judge (no increase, preflight off, inputs unknown). */
  readonly verdict?: Verdict;
  /** A delete-first replacement's old nodes, for the ledger (freed before the new set is made). */
  readonly replaced?: { readonly key: string; readonly set: ReplacedSet };
}

/** The ledger a plan reads: the run's plan and this set's key in it. */
export interface Ledger {
  readonly run: RunPlan;
  readonly key: string;
}

/** The plan asks for one more fact of the cluster. */
export const observe = (what: Observation): SetPlan => ({ kind: "observe", what });
/** Nothing to judge (or only warnings to show). */
export function nothing(warnings: readonly string[] = []): PlannedSet {
  return { kind: "planned", lines: [], warnings, stops: [], fitWarnings: [] };
}
/** Refused before any other decision (a refusal without warnings is refused whatever the mode). */
export const refused = (refusal: Refusal, warnings: readonly string[] = []): PlannedSet => ({
  ...nothing(warnings),
  verdict: { fits: false, refusal },
});

/** Inputs that only name the set (unknown in the preview of a new set): no bearing on capacity. */
const NAMING_KEYS = new Set(["identity", "name", "baseRequestId"]);

export function capacityInputsUnknown(inputs: NodeSetInputs): boolean {
  return Object.entries(inputs).some(([key, value]) => !NAMING_KEYS.has(key) && containsUnknown(value));
}

/** A set's name in the refusals of other sets: its resource name, else its identity's last part. */
export function nameOf(inputs: Pick<NodeSetInputs, "identity" | "name">): string {
  if (inputs.name !== undefined && !containsUnknown(inputs.name)) return inputs.name;
  if (containsUnknown(inputs.identity)) return "a new set";
  return inputs.identity.split("#")[0]?.split(/::|\//).pop() ?? inputs.identity;
}

/** What a set asks of the cluster, from its inputs (or the old inputs of a replaced set). */
export function nodeSpecOf(set: Partial<NodeSpec>): NodeSpec {
  const { machineType, placementGroupId } = set;
  return { nodearray: String(set.nodearray), machineType, placementGroupId };
}
