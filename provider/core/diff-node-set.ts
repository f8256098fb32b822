import type { InputKey, NodeSetInputs } from "./inputs";
import { NODE_SET_DEFAULTS, REPLACE_KEYS, UPDATE_KEYS } from "./inputs";
import { containsUnknown } from "./inputs-unknown";
import { cannotCome, excessMembers, planConvergence } from "./convergence-plan";
import type { NodeInfo, NodeSetState } from "./node-set-state";
import { nodePhase, targetCount } from "./node-set-state";
import { names } from "./plan-texts";
import { canonicalJson } from "./request-id";

export interface NodeSetDiff {
  /** false: nothing differs, the stack previews as unchanged. */
  changes: boolean;
  /** Replace-triggering inputs that changed (or are unknown during preview). */
  replaces: InputKey[];
  /** Inputs of {@link UPDATE_KEYS} that changed (or are unknown during preview). */
  updates: InputKey[];
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
export function diffNodeSet(olds: NodeSetState, news: NodeSetInputs, now = Date.now()): NodeSetDiff {
  const replaces: InputKey[] = REPLACE_KEYS.filter((key) => differs(olds, news, key));
  const updates: InputKey[] = UPDATE_KEYS.filter((key) => differs(olds, news, key));
  const problems = nodeProblems(olds, news, { now, counting: !updates.includes("count") });
  return {
    changes: replaces.length > 0 || updates.length > 0 || problems.length > 0,
    replaces,
    updates,
    nodes: problems,
    deleteBeforeReplace: news.deleteBeforeReplace === true,
  };
}

/** Whether an input differs from the state's (unknown in the preview: it may). */
function differs(olds: NodeSetState, news: NodeSetInputs, key: InputKey): boolean {
  if (containsUnknown(news[key])) return true;
  return canonicalJson(orDefault(olds, key) ?? null) !== canonicalJson(orDefault(news, key) ?? null);
}

/**
 * What the update does to the set's nodes beyond a `count` change, from the plan `converge`
 * follows (convergence-plan.ts): members it replaces (failed, stuck, or that cannot come) and,
 * while `count` is unchanged (`counting`), warm-pool nodes it starts, nodes it creates for missing
 * ones, and healthy nodes beyond `count` it removes.
 */
function nodeProblems(
  olds: NodeSetState,
  news: NodeSetInputs,
  { now, counting }: { now: number; counting: boolean },
): string[] {
  const { plan, timeout } = updatePlan(olds, news, now);
  const failed = plan.replace.filter((n) => nodePhase(n) === "failed");
  const abandoned = cannotCome(plan.replace);
  const stuck = plan.replace.filter((n) => !failed.includes(n) && !abandoned.includes(n));
  const problems: string[] = [];
  if (failed.length > 0) problems.push(`${failed.length} failed (${names(failed)})`);
  if (stuck.length > 0) problems.push(`${stuck.length} not ready after ${timeout}s (${names(stuck)})`);
  if (abandoned.length > 0)
    problems.push(
      `${abandoned.length} acquiring after an allocation failure of their request (${names(abandoned)})`,
    );
  if (!counting || containsUnknown(news.count)) return problems;
  if (plan.start.length > 0)
    problems.push(`${plan.start.length} deallocated to start (${names(plan.start)})`);
  const missing = plan.create - plan.replaced;
  if (missing > 0) problems.push(`${missing} missing`);
  if (plan.excess > 0) problems.push(`${plan.excess} more than \`count\``);
  return problems;
}

/**
 * The plan `converge` follows for an update from `olds` to `news` (convergence-plan.ts), with the
 * values the update will use: the new `count`, `readyTimeoutSeconds` and `externalRemovals` (the
 * state's while they are unknown in the preview).
 */
function updatePlan(olds: NodeSetState, news: NodeSetInputs, now: number) {
  const known = <T>(value: T, old: T): T => (containsUnknown(value) ? old : value);
  const timeout =
    known(news.readyTimeoutSeconds, olds.readyTimeoutSeconds) ?? NODE_SET_DEFAULTS.readyTimeoutSeconds;
  const target = targetCount({
    count: known(news.count, olds.count),
    externalRemovals: known(news.externalRemovals, olds.externalRemovals),
    forgottenCount: olds.forgottenCount,
  });
  return { plan: planConvergence(olds.nodes ?? [], target, timeout, now), timeout };
}

/** An input's value, or its default when state written before the input existed lacks it. */
function orDefault(props: Partial<Record<InputKey, unknown>>, key: InputKey): unknown {
  return props[key] ?? (NODE_SET_DEFAULTS as Partial<Record<InputKey, unknown>>)[key];
}

/**
 * Why a set will change, for the preview: e.g. `update: 1 failed (ondemand-3), 1 missing; count 4
 * unchanged`, `update: count 2 -> 4`, `replace: machineType "Standard_Fs32_v2" -> "Standard_Hc44rs";
 * the 2 new nodes are created before the old ones are terminated`. Undefined when nothing changes.
 * A `refresh` (which diffs the state it read against the state before, not against the program)
 * says only what it found in the nodes: what `up` then does depends on the program's `count`.
 */
export function describeDiff(
  olds: NodeSetState,
  news: NodeSetInputs,
  diff: NodeSetDiff,
  { now = Date.now(), refresh = false }: { now?: number; refresh?: boolean } = {},
): string | undefined {
  if (!diff.changes) return undefined;
  if (refresh) {
    if (diff.nodes.length === 0) return undefined;
    return (
      `refresh: ${diff.nodes.join(", ")} (against \`count\` ${show(olds.count)} recorded in state); ` +
      "the next `up` brings the set to the program's `count`"
    );
  }
  const change = (key: InputKey): string => {
    if (containsUnknown(news[key])) return `${key} (not known until apply)`;
    if (key === "connection") return "connection";
    if (key === "adoptExisting") return describeAdoption(news[key]);
    return `${key} ${show(orDefault(olds, key))} -> ${show(orDefault(news, key))}`;
  };
  if (diff.replaces.length > 0) {
    const order = diff.deleteBeforeReplace
      ? `the old ${olds.nodes?.length ?? 0} node(s) are terminated first, then ${show(news.count)} new one(s) are created`
      : `${show(news.count)} new node(s) are created, then the old ${olds.nodes?.length ?? 0} terminated`;
    return `replace: ${diff.replaces.map(change).join(", ")}; ${order}`;
  }
  const parts = [...diff.nodes];
  const settings = diff.updates.filter((k) => k !== "count" && k !== "adoptExisting").map(change);
  const adoption = diff.updates.includes("adoptExisting") ? change("adoptExisting") : undefined;
  const held = olds.nodes?.length ?? 0;
  const count = diff.updates.includes("count")
    ? `${change("count")}${!containsUnknown(news.count) && typeof olds.count === "number" && held !== olds.count ? ` (the set holds ${describeHeld(olds.nodes ?? [])})` : ""}${describeResize(olds, news, now, true)}`
    : !containsUnknown(news.count) && diff.nodes.length > 0
      ? `count ${news.count} unchanged${describeResize(olds, news, now, false)}`
      : undefined;
  const touches = [parts.join(", "), adoption, count].filter((p) => p).join("; ");
  const text = [touches, settings.length > 0 ? `settings that touch no node: ${settings.join(", ")}` : ""]
    .filter((p) => p)
    .join("; ");
  return `update: ${text}`;
}

/**
 * What the update does to the nodes beyond `count`, as `scaleDown` says and with the nodes `up`
 * chooses (failed, unfinished, then newest): e.g. `: terminates 2 node(s) (ondemand-4, ondemand-3)`
 * or `: deallocates 2 node(s), kept as the set's warm pool (scaleDown: "deallocate")`; else, for a
 * larger `count` (`grows`), what `up` starts and creates: e.g. `: starts 2 deallocated node(s) of
 * the warm pool (ondemand-2, ondemand-3) and creates 1 node(s)`. Empty when neither.
 */
function describeResize(olds: NodeSetState, news: NodeSetInputs, now: number, grows: boolean): string {
  if (containsUnknown(news.count)) return "";
  const { plan } = updatePlan(olds, news, now);
  const scaleDown = news.scaleDown ?? NODE_SET_DEFAULTS.scaleDown;
  if (plan.excess > 0 && containsUnknown(scaleDown))
    return `: removes ${plan.excess} node(s), terminated or deallocated as \`scaleDown\` says (not known until apply)`;
  if (plan.excess > 0) {
    const chosen = names(excessMembers(plan, olds.nodes ?? [], { ...olds, ...news }));
    return scaleDown === "deallocate"
      ? `: deallocates ${plan.excess} node(s) (${chosen}), kept as the set's warm pool (scaleDown: "deallocate")`
      : `: terminates ${plan.excess} node(s) (${chosen}) (scaleDown: "terminate")`;
  }
  const { start, create } = plan;
  const actions = [
    start.length > 0 ? `starts ${start.length} deallocated node(s) of the warm pool (${names(start)})` : "",
    create > 0 ? `creates ${create} node(s)` : "",
  ].filter(Boolean);
  return grows && actions.length > 0 ? `: ${actions.join(" and ")}` : "";
}

/** How many nodes the set holds, and of what kind when not all are ready: `3: 1 failed, 2 deallocated`. */
function describeHeld(nodes: readonly NodeInfo[]): string {
  const phases = new Map<string, number>();
  for (const node of nodes) phases.set(nodePhase(node), (phases.get(nodePhase(node)) ?? 0) + 1);
  if (phases.size <= 1 && (phases.get("ready") ?? 0) === nodes.length) return `${nodes.length}`;
  return `${nodes.length}: ${[...phases].map(([phase, n]) => `${n} ${phase}`).join(", ")}`;
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
  return value === undefined ? "(unset)" : canonicalJson(value);
}
