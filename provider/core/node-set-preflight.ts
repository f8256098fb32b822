// Over 400 lines: check's preflight with its refusal texts and report mode; it is to be carved into the one pure set planner of issue 23 (not done yet).
/**
 * The capacity preflight of `check`: when a set grows (new, replaced, or a larger `count`), whether
 * the increase fits the cluster, against one status read shared by the sets of one plan (the
 * {@link RunPlan} of the provider context). Where the status and the set's holdings come from is
 * the provider's business (see {@link PreflightSources}).
 */
import type { CapacityFit, NodeSpec } from "../capacity/index";
import { capacityFit, describeFit, findBucket, sharesFamilyQuota, withAddedNodes } from "../capacity/index";
import { HttpError } from "../client/errors";
import { errorText } from "../../wire/util/server-text";
import type { ClusterStatus } from "../../wire/schemas";
import type { NodeSetInputs } from "./inputs";
import type { CheckFailure } from "./inputs-check";
import { containsUnknown } from "./inputs-unknown";
import { canonicalJson, replaceKeysChanged, replacementKeyOf } from "./request-id";
import { foreignRequestIdProblem } from "./adoption-ownership";
import type { GroupHoldings } from "./placement-group-preflight";
import { filledGroups, placementGroupProblems } from "./placement-group-preflight";
import { nodearrayRoom } from "../capacity/planned-status";
import { connectionFix } from "./connection-problem";
import type { RunPlan } from "./run-plan";

/** Where preflight reads the cluster and the set from. */
export interface PreflightSources {
  /** The cluster's status (shared by the sets of one run) and the key it is cached under. */
  status(inputs: NodeSetInputs): Promise<{ status: ClusterStatus; cacheKey: string }>;
  /**
   * Live nodes of the set's spec it already holds or will adopt (only those `adoptExisting` names
   * while its base request id is unknown); throws when `adoptExisting` names nodes it cannot adopt.
   */
  held(inputs: NodeSetInputs): Promise<number>;
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
 * One capacity decision of preflight, for one set and the bucket it grows in: what
 * `pulumi-cyclecloud plan` shows. `availableNow` is what the bucket takes before this set's
 * increase (after the increases of the sets judged before it in the same run), `availableAfter`
 * = `availableNow` - `requested` (negative: short by that many), `bindingLimit` the limit that
 * binds (or what refuses the set outright), `line` the human line the preview shows.
 */
export interface PreflightReport {
  /** `check` (the inputs' increase) or `diff` (nodes an update re-creates, see update-preflight.ts). */
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
  /** The limit that binds (`bucket availableCount`, `nodearray maxCoreCount`, `placement group`, ...). */
  readonly bindingLimit: string;
  readonly fits: boolean;
  /** The line preflight printed in the preview (the refusal, with its fix, when it does not fit). */
  readonly line: string;
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

/** Per run, the sets whose increase report mode reported as refused (their `check` passed anyway). */
const reportedRefusals = new WeakMap<RunPlan, Set<string>>();

/**
 * Whether report mode reported this set's `check` increase as refused: a preview would have stopped
 * at that `check`, so the update's preflight (in `diff`) does not judge the same increase again.
 */
export function refusedInReport(run: RunPlan, key: string): boolean {
  return reportedRefusals.get(run)?.has(key) ?? false;
}

function reportRefusal(run: RunPlan, key: string): void {
  const keys = reportedRefusals.get(run) ?? new Set<string>();
  keys.add(key);
  reportedRefusals.set(run, keys);
}

/** The report of a fit (`bindingLimit` overrides the fit's own, e.g. a placement group). */
export function fitReport(
  phase: PreflightReport["phase"],
  cluster: string,
  spec: NodeSpec,
  fit: CapacityFit,
  line: string,
  refusal?: { bindingLimit: string },
): PreflightReport {
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
    bindingLimit: refusal?.bindingLimit ?? (fit.problem === undefined ? fit.binding.name : fit.problem),
    fits: refusal === undefined && fit.fits,
    line,
  };
}

/** Inputs that only name the set (unknown in the preview of a new set): no bearing on capacity. */
const NAMING_KEYS = new Set(["identity", "name", "baseRequestId"]);

export function capacityInputsUnknown(inputs: NodeSetInputs): boolean {
  return Object.entries(inputs).some(([key, value]) => !NAMING_KEYS.has(key) && containsUnknown(value));
}

/**
 * The preflight capacity check of `check`: when the set grows (new, replaced, or a larger
 * `count`), asks the cluster whether the increase fits, and prints one line picturing the fit.
 */
export async function preflight(
  olds: Record<string, unknown>,
  inputs: NodeSetInputs,
  sources: PreflightSources,
  run: RunPlan,
): Promise<CheckFailure[]> {
  const log = (line: string) => sources.log(inputs, line);
  const warn = (text: string) => sources.warn(inputs, text);
  // Whatever `preflight` says: a request id another set made is refused without reading the cluster.
  const heldRequests = Array.isArray(olds["requestIds"]) ? (olds["requestIds"] as unknown[]) : [];
  const foreignRequest = foreignRequestIdProblem(inputs, heldRequests);
  if (foreignRequest !== undefined) return [{ property: "adoptExisting", reason: foreignRequest }];
  if (inputs.preflight === "off" || capacityInputsUnknown(inputs)) return [];
  const changed = Object.keys(olds).length > 0 ? replaceKeysChanged(olds, inputs) : [];
  const replacement = Object.keys(olds).length > 0 && changed.length > 0;
  const before = !replacement && typeof olds["count"] === "number" ? olds["count"] : 0;
  let increase = inputs.count - before;
  let heldNote = "";
  let held: number | undefined;
  if (
    inputs.externalRemovals === "forget" &&
    !replacement &&
    typeof olds["count"] === "number" &&
    olds["count"] !== inputs.count &&
    !containsUnknown(inputs.baseRequestId)
  ) {
    // A new `count` is counted from what the set holds, which is less than its old `count` once it
    // forgot nodes something else removed: the increase is what it will really ask for.
    try {
      held = await sources.held(inputs);
    } catch (error) {
      return [{ property: "adoptExisting", reason: errorText(error) }];
    }
    if (held !== before)
      heldNote = ` (the set holds ${held} node(s): the others were removed outside Pulumi)`;
    increase = inputs.count - held;
  }
  const adoptionChanged =
    canonicalJson(olds["adoptExisting"] ?? null) !== canonicalJson(inputs.adoptExisting ?? null);
  if (inputs.adoptExisting !== undefined && adoptionChanged && held === undefined) {
    // The nodes `adoptExisting` names are checked (spec, nodearray, owner) even when the set does
    // not grow: an update that only changes `adoptExisting` adopts, and may then shrink. With
    // `preflight: "warn"` a refusal here is a warning; create and update refuse it all the same.
    try {
      held = await sources.held(inputs);
    } catch (error) {
      if (inputs.preflight !== "warn") return [{ property: "adoptExisting", reason: errorText(error) }];
      warn(`${errorText(error)}`);
    }
  }
  if (increase <= 0) return [];

  let status: ClusterStatus;
  let cacheKey: string;
  try {
    ({ status, cacheKey } = await sources.status(inputs));
  } catch (error) {
    const reason = `preflight could not read the status of cluster '${inputs.cluster}': ${errorText(error).replace(/\.$/, "")}`;
    if (inputs.preflight === "warn") {
      warn(`${reason}`);
      return [];
    }
    // Connection, TLS, credentials: named as settings, on no property (see connection-problem.ts).
    const fix = connectionFix(error, inputs.connection, inputs.cluster);
    if (fix !== undefined) return [{ property: "", reason: fix ? `${reason}. ${fix}` : reason }];
    return [
      {
        property: "cluster",
        reason:
          error instanceof HttpError && error.status === 404
            ? `${reason}. Check that cluster '${inputs.cluster}' exists and that \`url\` points at the CycleCloud server, or set \`preflight: "off"\` to skip the check`
            : `${reason}. Fix the connection, or set \`preflight: "off"\` to skip the check`,
      },
    ];
  }
  const oldCount = typeof olds["count"] === "number" ? olds["count"] : 0;
  // A replaced set's nodes per group (its old `count` filled its groups in order), when they are in
  // the new set's bucket (the same groups).
  const sameBucket = (["cluster", "nodearray", "machineType"] as const).every(
    (key) => olds[key] === inputs[key],
  );
  const oldGroups = replacement && sameBucket ? filledGroups(status, olds) : undefined;
  const replacementKey = replacementKeyOf(inputs.identity, inputs);
  if (replacement && inputs.deleteBeforeReplace && oldCount > 0 && olds["cluster"] === inputs.cluster) {
    run.deleteFirstReplacements.set(replacementKey, {
      spec: nodeSpecOf(olds),
      nodes: oldCount,
      ...(oldGroups === undefined ? {} : { groups: oldGroups }),
    });
  }
  // The old set's nodes are terminated before the new ones are created: their room is free. (The
  // engine checks a replacement twice, with the old inputs, then with none: both see it.)
  const freed = inputs.deleteBeforeReplace ? run.deleteFirstReplacements.get(replacementKey) : undefined;
  const groupFailures = await groupProblems(inputs, sources, status, {
    filled: before,
    ...(replacement && oldGroups !== undefined
      ? { replaced: oldGroups }
      : freed && Object.keys(olds).length === 0 && freed.groups
        ? { replaced: freed.groups }
        : {}),
    deleteFirst: inputs.deleteBeforeReplace === true,
  });
  const nodeSpec = nodeSpecOf(inputs);
  if (groupFailures.length > 0) {
    if (sources.report) {
      const fit = capacityFit(status, nodeSpec, increase);
      for (const failure of groupFailures)
        sources.report(
          inputs,
          fitReport("check", inputs.cluster, nodeSpec, fit, failure.reason, GROUP_LIMIT),
        );
    }
    if (sources.report) {
      reportRefusal(run, run.planKey(inputs));
      return [];
    }
    if (inputs.preflight !== "warn") return groupFailures;
    for (const failure of groupFailures) warn(`preflight: ${asWarning(failure.reason)}`);
  }
  const key = run.planKey(inputs);
  let others = 0;
  for (const [identity, planned] of run.plannedIncreases) {
    if (identity === key || planned.cacheKey !== cacheKey) continue;
    // Charges the bucket, nodearray, cluster and the shared quota layers (family, regional).
    status = withAddedNodes(status, planned.spec, planned.nodes);
    const sameBucket = findBucket(status, planned.spec)?.bucketId === findBucket(status, nodeSpec)?.bucketId;
    if (sameBucket || sharesFamilyQuota(status, planned.spec, nodeSpec)) others += planned.nodes;
  }
  let plan = `${heldNote}${others > 0 ? ` (after ${others} node(s) for other sets of this plan)` : ""}`;
  if (freed && (replacement || Object.keys(olds).length === 0)) {
    status = withAddedNodes(status, freed.spec, -freed.nodes);
    plan += ` (after the replaced set's ${freed.nodes} node(s) are terminated first)`;
  }
  let fit = capacityFit(status, nodeSpec, increase);
  let existing = before;
  // Nodes `adoptExisting` names are live in the cluster already: always counted, even in the
  // preview of a new set (its base request id unknown), and so not planned again for other sets.
  const adopting = inputs.adoptExisting !== undefined;
  if (fit.problem === undefined && (adopting || (!fit.fits && !containsUnknown(inputs.baseRequestId)))) {
    // The increase was estimated from the inputs. The set may already hold more nodes than its
    // previous inputs say: nodes of a create interrupted after the server committed it, of a
    // failed update (the engine keeps the old inputs but the new nodes), or named by
    // `adoptExisting`. They already hold their share of the capacity: count them, then decide.
    if (held === undefined) {
      try {
        held = await sources.held(inputs);
      } catch (error) {
        return [{ property: "adoptExisting", reason: errorText(error) }];
      }
    }
    const actual = Math.max(0, inputs.count - held);
    if (actual < increase) {
      plan += ` (${inputs.count - actual} node(s) of this set already exist)`;
      existing = inputs.count - actual;
      increase = actual;
      fit = capacityFit(status, nodeSpec, increase);
      const refused = await warmPoolRefusal(inputs, sources, status, held, actual);
      if (refused !== undefined && sources.report) {
        const limit = { bindingLimit: "nodearray room to start the warm pool" };
        sources.report(inputs, fitReport("check", inputs.cluster, nodeSpec, fit, refused.reason, limit));
        reportRefusal(run, key);
        return [];
      }
      if (refused !== undefined && inputs.preflight !== "warn") return [refused];
      if (refused !== undefined) warn(asWarning(refused.reason));
    }
  }
  const line = `preflight ${describeFit(inputs.cluster, nodeSpec, fit)}${plan}`;
  for (const warning of fit.warnings ?? []) {
    warn(`preflight ${inputs.cluster}/${inputs.nodearray}: ${warning}`);
  }
  if (fit.fits) {
    run.plannedIncreases.set(key, {
      cacheKey,
      spec: nodeSpec,
      nodes: increase,
      ...(held === undefined ? {} : { held }),
    });
    log(line);
    sources.report?.(inputs, fitReport("check", inputs.cluster, nodeSpec, fit, line));
    return [];
  }
  const refusals = await refusalOf(inputs, sources, fit, line, { replacement, changed, oldCount, existing });
  if (sources.report) {
    // Report mode: the refusal the preview would give, as data; the preview goes on.
    const reason = refusals[0]?.reason ?? line;
    sources.report(inputs, fitReport("check", inputs.cluster, nodeSpec, fit, reason));
    reportRefusal(run, key);
    return [];
  }
  if (inputs.preflight === "warn") {
    warn(`${line}`);
    return [];
  }
  return refusals;
}

/** The binding limit of a set refused by its placement groups. */
const GROUP_LIMIT = { bindingLimit: "placement group" };

/** The refusal of an increase that does not fit, with the fix it offers. */
async function refusalOf(
  inputs: NodeSetInputs,
  sources: PreflightSources,
  fit: CapacityFit,
  line: string,
  {
    replacement,
    changed,
    oldCount,
    existing,
  }: { replacement: boolean; changed: string[]; oldCount: number; existing: number },
): Promise<CheckFailure[]> {
  if (fit.problem !== undefined) return [{ property: fit.problemField, reason: line }];
  if (replacement && !inputs.deleteBeforeReplace) {
    const what = changed.map((k) => `\`${k}\``).join(", ");
    return [
      {
        property: changed[0] ?? "count",
        reason:
          `${line}; this is a replacement (${what} changed): its ${inputs.count} new node(s) are created before the ` +
          `${oldCount} old one(s) are terminated. Set \`deleteBeforeReplace: true\` (the input or the resource option) ` +
          `to terminate the old nodes first, free capacity in the cluster, or set \`preflight: "warn"\` to try anyway`,
      },
    ];
  }
  const free = fit.binding?.fix ?? "free capacity in the cluster";
  const fix = `: lower \`count\` to at most ${existing + fit.available}, ${free}, or set \`preflight: "warn"\` to try anyway`;
  const kept = await sources.keptNodes?.(inputs).catch(() => undefined);
  return [{ property: "count", reason: `${line}${fix}${kept === undefined ? "" : `. ${kept}`}` }];
}

/**
 * The placement-group check, first against what the state says the set holds; when that refuses
 * and the set's request ids are known, again counting the set's own nodes the cluster lists per
 * group (nodes of an interrupted run are the set's, not other sets').
 */
async function groupProblems(
  inputs: NodeSetInputs,
  sources: PreflightSources,
  status: ClusterStatus,
  holdings: GroupHoldings,
): Promise<CheckFailure[]> {
  const lines: string[] = [];
  let failures = placementGroupProblems(status, inputs, holdings, (line) => lines.push(line));
  if (failures.length > 0 && sources.heldByGroup && !containsUnknown(inputs.baseRequestId)) {
    const listed = await sources.heldByGroup(inputs).catch(() => undefined);
    if (listed !== undefined && listed.size > 0) {
      const own = new Map(holdings.own ?? []);
      for (const [name, nodes] of listed) own.set(name, Math.max(own.get(name) ?? 0, nodes));
      lines.length = 0;
      failures = placementGroupProblems(status, inputs, { ...holdings, own }, (line) => lines.push(line));
    }
  }
  for (const line of lines) sources.log(inputs, line);
  return failures;
}

/** What a set asks of the cluster, from its inputs (or the old inputs of a replaced set). */
function nodeSpecOf(props: Record<string, unknown> | NodeSetInputs): NodeSpec {
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    nodearray: String(props.nodearray),
    machineType: text(props.machineType),
    placementGroupId: text(props.placementGroupId),
  };
}

/**
 * The nodearray limit for the deallocated nodes a grow starts (CycleCloud does not apply it on a
 * start): the set's warm pool counts as held for the quota (a deallocated VM keeps its quota), but
 * its nodes started by this grow, with the `fresh` ones created, must fit the nodearray's room.
 */
async function warmPoolRefusal(
  inputs: NodeSetInputs,
  sources: PreflightSources,
  status: ClusterStatus,
  held: number,
  fresh: number,
): Promise<CheckFailure | undefined> {
  const pool = sources.warmPool ? await sources.warmPool(inputs).catch(() => 0) : 0;
  const starting = Math.min(pool, Math.max(0, inputs.count - (held - pool)));
  if (starting === 0) return undefined;
  const room = nodearrayRoom(status, { nodearray: inputs.nodearray, machineType: inputs.machineType });
  if (room === undefined || room.room >= starting + fresh) return undefined;
  return {
    property: "count",
    reason:
      `preflight ${inputs.cluster}/${inputs.nodearray}: starting ${starting} deallocated node(s) of the warm pool` +
      `${fresh > 0 ? ` and creating ${fresh}` : ""} needs room for ${starting + fresh} but the ${room.limit} leaves ${room.room} ` +
      "(CycleCloud does not check it when starting deallocated nodes; the set does): " +
      `lower \`count\` to at most ${inputs.count - (starting + fresh - room.room)}, raise the nodearray's limit, or set \`preflight: "warn"\` to try anyway`,
  };
}

/** The last fix a preflight refusal offers, which a warning of `preflight: "warn"` need not repeat. */
const WARN_ADVICE = /,? or set `preflight: "warn"` to try anyway/;

/** A refusal as `preflight: "warn"` reports it: the same text without advising "warn". */
export function asWarning(refusal: string): string {
  return refusal.replace(WARN_ADVICE, "");
}
