/**
 * The words of a set's plan (plan-set.ts): each refusal with the fix it offers, and what an
 * update does beyond `count`. Pure text from the plan's numbers.
 */
import type { CapacityFit } from "../capacity/index";
import { describeFit } from "../capacity/index";
import { nodearrayRoom } from "../capacity/planned-status";
import { HttpError } from "../client/errors";
import { errorText } from "../../wire/util/server-text";
import type { ClusterStatus } from "../../wire/schemas";
import type { ConvergencePlan } from "./convergence-plan";
import { connectionFix } from "./connection-problem";
import type { NodeSetInputs } from "./inputs";
import type { CheckFailure } from "./inputs-check";
import type { NodeInfo, NodeSetState } from "./node-set-state";
import type { PreflightReport } from "./preflight-report";
import { nodePhase } from "./node-set-state";
import type { Refusal } from "./set-plan-types";

/** The last fix a preflight refusal offers, which a warning of `preflight: "warn"` need not repeat. */
const WARN_ADVICE = /,? or set `preflight: "warn"` to try anyway/;

/** A refusal as `preflight: "warn"` reports it: the same text without advising "warn". */
export function asWarning(refusal: string): string {
  return refusal.replace(WARN_ADVICE, "");
}

/** A refusal `preflight: "warn"` shows as its reasons (less the advice to set "warn"), `reports` in report mode. */
export function warnable(failures: CheckFailure[], reports: PreflightReport[], prefix = ""): Refusal {
  return { failures, warnings: failures.map((failure) => `${prefix}${asWarning(failure.reason)}`), reports };
}

/** The status could not be read: a connection problem names the setting; `warn` only warns. */
export function statusRefusal(inputs: NodeSetInputs, error: unknown): Refusal {
  const reason = `preflight could not read the status of cluster '${inputs.cluster}': ${errorText(error).replace(/\.$/, "")}`;
  // Connection, TLS, credentials: named as settings, on no property (see connection-problem.ts).
  const fix = connectionFix(error, inputs.connection, inputs.cluster);
  const advice =
    error instanceof HttpError && error.status === 404
      ? `Check that cluster '${inputs.cluster}' exists and that \`url\` points at the CycleCloud server`
      : "Fix the connection";
  const failure =
    fix === undefined
      ? { property: "cluster", reason: `${reason}. ${advice}, or set \`preflight: "off"\` to skip the check` }
      : { property: "", reason: fix ? `${reason}. ${fix}` : reason };
  return { failures: [failure], ...(inputs.preflight === "warn" && { warnings: [reason] }) };
}

/** The refusal of an increase that does not fit, with the fix it offers. */
export function countRefusal(
  inputs: NodeSetInputs,
  fit: CapacityFit,
  line: string,
  facts: {
    /** A replacement: the inputs that changed and the old set's nodes. */
    replaced: { changed: readonly string[]; oldCount: number } | undefined;
    /** Nodes of the set that exist already. */
    existing: number;
    /** Why deallocated nodes no set holds may bind the refusal. */
    kept: string | undefined;
  },
): CheckFailure[] {
  if (fit.problem !== undefined) return [{ property: fit.problemField, reason: line }];
  const { replaced, existing, kept } = facts;
  if (replaced !== undefined && !inputs.deleteBeforeReplace) {
    const what = replaced.changed.map((k) => `\`${k}\``).join(", ");
    const reason =
      `${line}; this is a replacement (${what} changed): its ${inputs.count} new node(s) are created before the ` +
      `${replaced.oldCount} old one(s) are terminated. Set \`deleteBeforeReplace: true\` (the input or the resource option) ` +
      `to terminate the old nodes first, free capacity in the cluster, or set \`preflight: "warn"\` to try anyway`;
    return [{ property: replaced.changed[0] ?? "count", reason }];
  }
  const free = fit.binding?.fix ?? "free capacity in the cluster";
  const fix = `: lower \`count\` to at most ${existing + fit.available}, ${free}, or set \`preflight: "warn"\` to try anyway`;
  return [{ property: "count", reason: `${line}${fix}${kept === undefined ? "" : `. ${kept}`}` }];
}

/**
 * The nodearray limit for the deallocated nodes a grow starts (CycleCloud does not apply it on a
 * start): the set's warm pool counts as held for the quota (a deallocated VM keeps its quota), but
 * its nodes started by this grow, with the `fresh` ones created, must fit the nodearray's room.
 */
export function warmPoolRefusal(
  inputs: NodeSetInputs,
  status: ClusterStatus,
  { held, pool, fresh }: { held: number; pool: number; fresh: number },
): CheckFailure | undefined {
  const starting = Math.min(pool, Math.max(0, inputs.count - (held - pool)));
  if (starting === 0) return undefined;
  const room = nodearrayRoom(status, inputs);
  if (room === undefined || room.room >= starting + fresh) return undefined;
  const reason =
    `preflight ${inputs.cluster}/${inputs.nodearray}: starting ${starting} deallocated node(s) of the warm pool` +
    `${fresh > 0 ? ` and creating ${fresh}` : ""} needs room for ${starting + fresh} but the ${room.limit} leaves ${room.room} ` +
    "(CycleCloud does not check it when starting deallocated nodes; the set does): " +
    `lower \`count\` to at most ${inputs.count - (starting + fresh - room.room)}, raise the nodearray's limit, or set \`preflight: "warn"\` to try anyway`;
  return { property: "count", reason };
}

/** An update whose re-created nodes do not fit. */
export function updateFitRefusal(
  inputs: NodeSetInputs,
  { fit, need, why }: { fit: CapacityFit; need: number; why: string },
): string {
  const fix =
    fit.problem === undefined
      ? `${fit.binding.fix ?? "free capacity in the cluster"}, lower \`count\` to at most ${Math.max(0, inputs.count - (need - fit.available))}, ` +
        'or set `preflight: "warn"` to try anyway'
      : `fix \`${fit.problemField}\``;
  return `preflight ${describeFit(inputs.cluster, inputs, fit)}; ${why}: ${fix}`;
}

/** An update that starts warm-pool nodes the nodearray has no room for, or undefined. */
export function updateStartRefusal(
  inputs: NodeSetInputs,
  status: ClusterStatus,
  { starts, need, why }: { starts: number; need: number; why: string },
): string | undefined {
  const room = nodearrayRoom(status, inputs);
  const wanted = starts + Math.max(0, need);
  if (room === undefined || room.room >= wanted) return undefined;
  return (
    `preflight ${inputs.cluster}/${inputs.nodearray}: ${why}, which needs room for ${wanted} node(s) but the ${room.limit} ` +
    `leaves ${room.room} (CycleCloud does not check it when starting deallocated nodes; the set does): raise the ` +
    `nodearray's limit, lower \`count\` to at most ${inputs.count - (wanted - room.room)}, or set \`preflight: "warn"\` to try anyway`
  );
}

/**
 * What the update does beyond `count`, for the preflight's line: e.g. `the update creates 2 node(s)
 * with \`count\` 3 unchanged: 1 replacing failed ondemand-1 (its room is reused once terminated), 1
 * replacing a node missing from the set`.
 */
export function describeUpdate(plan: ConvergencePlan, state: NodeSetState, inputs: NodeSetInputs): string {
  const grown = Math.max(0, inputs.count - state.count);
  const count =
    state.count === inputs.count
      ? `\`count\` ${inputs.count} unchanged`
      : `\`count\` ${state.count} -> ${inputs.count}`;
  const parts: string[] = [];
  if (plan.replaced > 0) {
    const replaced = plan.replace.slice(0, plan.replaced);
    parts.push(
      `${plan.replaced} replacing ${describeReplaced(replaced)} ${names(replaced)} ` +
        `(${plan.replaced === 1 ? "its room is" : "their room is"} reused once terminated)`,
    );
  }
  const fromCount = Math.min(grown, plan.create - plan.replaced);
  const missing = plan.create - plan.replaced - fromCount;
  if (missing > 0) {
    parts.push(
      `${missing} replacing node(s) missing from the set (not made by an earlier \`up\`, or removed outside Pulumi: see \`externalRemovals\`)`,
    );
  }
  if (fromCount > 0) parts.push(`${fromCount} for the larger \`count\``);
  const actions = [
    plan.create > 0 ? `creates ${plan.create} node(s)` : "",
    plan.start.length > 0
      ? `starts ${plan.start.length} deallocated node(s) of its warm pool (${names(plan.start)})`
      : "",
  ].filter(Boolean);
  return `the update ${actions.join(" and ")} with ${count}${parts.length > 0 ? `: ${parts.join(", ")}` : ""}`;
}

function describeReplaced(nodes: readonly NodeInfo[]): string {
  const failed = nodes.filter((n) => nodePhase(n) === "failed").length;
  if (failed === nodes.length) return "failed";
  return failed === 0 ? "stuck" : "failed or stuck";
}

/** The nodes' names, for a message: `ondemand-1, ondemand-2`. */
export function names(nodes: readonly NodeInfo[]): string {
  return nodes.map((n) => n.name).join(", ");
}
