import { containsUnknown } from "./inputs";
import type { NodeSetState } from "./node-set-state";
import { isHealthy, isStuck, nodePhase } from "./node-set-state";
import { canonicalJson, REPLACE_KEYS } from "./request-id";

/** Inputs whose change is an in-place update. Only `count` and `adoptExisting` touch nodes. */
export const UPDATE_KEYS = [
  "count",
  "adoptExisting",
  "waitForReady",
  "readyTimeoutSeconds",
  "deleteTimeoutSeconds",
  "preflight",
  "onDelete",
  "connection",
] as const;

export interface NodeSetDiff {
  /** false: nothing differs, the stack previews as unchanged. */
  changes: boolean;
  /** Replace-triggering inputs that changed (or are unknown during preview). */
  replaces: string[];
  /** Why an update is needed, for tests and logs. */
  updates: string[];
}

/**
 * Decides update vs replace. `olds` is the set's state (after any refresh), `news` its checked
 * inputs. A changed replace key replaces the set; a changed `count`, or live healthy nodes that
 * no longer match `count` (failed, deallocated or missing nodes), is an in-place update; other
 * settings are updates that touch no node.
 */
export function diffNodeSet(
  olds: NodeSetState,
  news: Record<string, unknown>,
  now = Date.now(),
): NodeSetDiff {
  const differs = (key: string): boolean => {
    const value = news[key];
    if (containsUnknown(value)) return true;
    const old = (olds as unknown as Record<string, unknown>)[key];
    return canonicalJson(old ?? null) !== canonicalJson(value ?? null);
  };
  const replaces: string[] = REPLACE_KEYS.filter(differs);
  const updates: string[] = UPDATE_KEYS.filter(differs);

  const nodes = olds.nodes ?? [];
  const count = news["count"];
  if (typeof count === "number" && !updates.includes("count")) {
    const healthy = nodes.filter(isHealthy).length;
    if (healthy !== count) updates.push(`nodes (${healthy} healthy of ${count})`);
  }
  const broken = nodes.filter((n) => ["failed", "deallocated"].includes(nodePhase(n))).length;
  if (broken > 0) updates.push(`nodes (${broken} failed or deallocated)`);
  const timeout = typeof olds.readyTimeoutSeconds === "number" ? olds.readyTimeoutSeconds : undefined;
  const stuck = timeout === undefined ? 0 : nodes.filter((n) => isStuck(n, timeout, now)).length;
  if (stuck > 0) updates.push(`nodes (${stuck} not ready after ${timeout}s)`);

  return { changes: replaces.length > 0 || updates.length > 0, replaces, updates };
}
