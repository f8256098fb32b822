import type { NodeSetInputs } from "./inputs";
import { NODE_SET_DEFAULTS, UPDATE_KEYS } from "./inputs";
import { containsUnknown } from "./inputs-unknown";
import { chooseRemovals } from "./placement-groups";
import type { NodeInfo, NodeSetState } from "./node-set-state";
import { isHealthy, isStuck, nodePhase, targetCount } from "./node-set-state";
import { canonicalJson, REPLACE_KEYS } from "./request-id";

/**
 * Inputs whose change is an in-place update (see inputs.ts). Only `count` and `adoptExisting`
 * touch nodes; the others are settings. (`identity` and `name` are not here: a rename with
 * `aliases` is no change.)
 */
export { UPDATE_KEYS };

export interface NodeSetDiff {
  /** false: nothing differs, the stack previews as unchanged. */
  changes: boolean;
  /** Replace-triggering inputs that changed (or are unknown during preview). */
  replaces: string[];
  /** Inputs of {@link UPDATE_KEYS} that changed (or are unknown during preview). */
  updates: string[];
  /** What is wrong with the nodes the set holds, e.g. `1 failed (ondemand-3)`, `1 missing`. */
  nodes: string[];
  /** Terminate the old nodes before creating the new ones (`deleteBeforeReplace`). */
  deleteBeforeReplace: boolean;
}

/**
 * Decides update vs replace. `olds` is the set's state (after any refresh), `news` its checked
 * inputs. A changed replace key replaces the set; a changed `count`, or live nodes that no longer
 * make `count` healthy ones (failed, stuck, deallocated or missing nodes), is an in-place update;
 * other settings are updates that touch no node. Inputs added since the state was written compare
 * as their defaults, so upgrading the library is no change.
 */
export function diffNodeSet(
  olds: NodeSetState,
  news: Record<string, unknown>,
  now = Date.now(),
): NodeSetDiff {
  const old: Record<string, unknown> = { ...olds };
  const differs = (key: string): boolean => {
    if (containsUnknown(news[key])) return true;
    return canonicalJson(orDefault(old, key) ?? null) !== canonicalJson(orDefault(news, key) ?? null);
  };
  const replaces: string[] = REPLACE_KEYS.filter(differs);
  const updates: string[] = UPDATE_KEYS.filter(differs);
  const deleteBeforeReplace = news["deleteBeforeReplace"] === true;

  const nodes = olds.nodes ?? [];
  const problems: string[] = [];
  const failed = nodes.filter((n) => nodePhase(n) === "failed");
  if (failed.length > 0) problems.push(`${failed.length} failed (${names(failed)})`);
  const timeout = typeof olds.readyTimeoutSeconds === "number" ? olds.readyTimeoutSeconds : undefined;
  const stuck = timeout === undefined ? [] : nodes.filter((n) => isStuck(n, timeout, now));
  if (stuck.length > 0) problems.push(`${stuck.length} not ready after ${timeout}s (${names(stuck)})`);
  // Deallocated nodes are the set's warm pool: a change only when `count` needs them started.
  const deallocated = nodes.filter((n) => nodePhase(n) === "deallocated");
  const count = news["count"];
  if (typeof count === "number" && !updates.includes("count")) {
    const target = targetCount({ ...olds, count, externalRemovals: news["externalRemovals"] });
    const active = nodes.length - deallocated.length;
    if (target > active) {
      const starts = deallocated.slice(0, target - active);
      if (starts.length > 0) problems.push(`${starts.length} deallocated to start (${names(starts)})`);
      if (target > active + starts.length) problems.push(`${target - active - starts.length} missing`);
    }
    const healthy = nodes.filter(isHealthy).length;
    if (healthy > target) problems.push(`${healthy - target} more than \`count\``);
  }
  return {
    changes: replaces.length > 0 || updates.length > 0 || problems.length > 0,
    replaces,
    updates,
    nodes: problems,
    deleteBeforeReplace,
  };
}

/** An input's value, or its default when state written before the input existed lacks it. */
function orDefault(props: Record<string, unknown>, key: string): unknown {
  return props[key] ?? (NODE_SET_DEFAULTS as Record<string, unknown>)[key];
}

function names(nodes: readonly NodeInfo[]): string {
  return nodes.map((n) => n.name).join(", ");
}

/**
 * Why a set will change, for the preview: e.g. `update: 1 failed (ondemand-3), 1 missing; count 4
 * unchanged`, `update: count 2 -> 4`, `replace: machineType "Standard_Fs32_v2" -> "Standard_Hc44rs";
 * the 2 new nodes are created before the old ones are terminated`. Undefined when nothing changes.
 */
export function describeDiff(
  olds: NodeSetState,
  news: Record<string, unknown>,
  diff: NodeSetDiff,
): string | undefined {
  if (!diff.changes) return undefined;
  const old: Record<string, unknown> = { ...olds };
  const change = (key: string): string => {
    if (containsUnknown(news[key])) return `${key} (not known until apply)`;
    if (key === "connection") return "connection";
    if (key === "adoptExisting") return describeAdoption(news[key]);
    return `${key} ${show(orDefault(old, key))} -> ${show(orDefault(news, key))}`;
  };
  if (diff.replaces.length > 0) {
    const order = diff.deleteBeforeReplace
      ? `the old ${olds.nodes?.length ?? 0} node(s) are terminated first, then ${show(news["count"])} new one(s) are created`
      : `${show(news["count"])} new node(s) are created, then the old ${olds.nodes?.length ?? 0} terminated`;
    return `replace: ${diff.replaces.map(change).join(", ")}; ${order}`;
  }
  const parts = [...diff.nodes];
  const settings = diff.updates.filter((k) => k !== "count" && k !== "adoptExisting").map(change);
  const adoption = diff.updates.includes("adoptExisting") ? change("adoptExisting") : undefined;
  const held = olds.nodes?.length ?? 0;
  const count = diff.updates.includes("count")
    ? `${change("count")}${typeof news["count"] === "number" && typeof old["count"] === "number" && held !== old["count"] ? ` (the set holds ${held})` : ""}${describeShrink(olds, news)}`
    : typeof news["count"] === "number" && diff.nodes.length > 0
      ? `count ${news["count"]} unchanged${describeShrink(olds, news)}`
      : undefined;
  const touches = [parts.join(", "), adoption, count].filter((p) => p).join("; ");
  const text = [touches, settings.length > 0 ? `settings that touch no node: ${settings.join(", ")}` : ""]
    .filter((p) => p)
    .join("; ");
  return `update: ${text}`;
}

/**
 * What a shrink does to the nodes beyond `count`, as `scaleDown` says and with the nodes `up`
 * chooses (failed, unfinished, then newest): e.g. `: terminates 2 node(s) (ondemand-4, ondemand-3)`
 * or `: deallocates 2 node(s), kept as the set's warm pool (scaleDown: "deallocate")`. Empty when
 * the set does not shrink.
 */
function describeShrink(olds: NodeSetState, news: Record<string, unknown>): string {
  const count = news["count"];
  if (typeof count !== "number") return "";
  const healthy = (olds.nodes ?? []).filter(isHealthy);
  if (healthy.length <= count) return "";
  const scaleDown = news["scaleDown"] ?? NODE_SET_DEFAULTS.scaleDown;
  if (containsUnknown(scaleDown)) {
    return `: removes ${healthy.length - count} node(s), terminated or deallocated as \`scaleDown\` says (not known until apply)`;
  }
  const inputs = { ...olds, ...news } as NodeSetInputs;
  const chosen = names(chooseRemovals(inputs, healthy, healthy.length - count));
  return scaleDown === "deallocate"
    ? `: deallocates ${healthy.length - count} node(s) (${chosen}), kept as the set's warm pool (scaleDown: "deallocate")`
    : `: terminates ${healthy.length - count} node(s) (${chosen}) (scaleDown: "terminate")`;
}

/** What a changed `adoptExisting` (or that of a new set) does to the set's nodes, for the preview. */
export function describeAdoption(value: unknown): string {
  if (value === undefined || value === null)
    return "adoptExisting removed (the set keeps the nodes it adopted)";
  const request = value as { requestId?: unknown; nodeIds?: unknown; orphaned?: unknown };
  if (typeof request.requestId === "string") {
    const asserted = request.orphaned === true ? " (orphaned: you assert that no stack holds them)" : "";
    return `adoptExisting: adopts the nodes of request ${JSON.stringify(request.requestId)}${asserted}`;
  }
  if (Array.isArray(request.nodeIds)) return `adoptExisting: adopts node(s) ${request.nodeIds.join(", ")}`;
  return `adoptExisting: adopts nodes`;
}

function show(value: unknown): string {
  return value === undefined
    ? "(unset)"
    : typeof value === "string"
      ? JSON.stringify(value)
      : canonicalJson(value);
}
