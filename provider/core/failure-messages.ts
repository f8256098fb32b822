/**
 * What the engine shows when a node set operation fails: which set, which operation, the cause,
 * what became of the nodes and state, and what to do next. Pure: no I/O, no Pulumi.
 */
import {
  CycleCloudError,
  HttpError,
  NetworkError,
  ResponseValidationError,
  TimeoutError,
} from "../client/errors";
import { MAX_NAME_LENGTH, errorText, plainText } from "../../wire/util/server-text";
import { ConnectionConfigError } from "./connection";
import type { NodeSetInputs } from "./inputs";

/** One engine call on one set, as messages name it. */
export type Operation =
  | { kind: "create"; set: string; spec: string }
  | { kind: "update"; set: string; from: number; to: number }
  | { kind: "delete"; set: string; action: "terminate" | "deallocate" }
  | { kind: "refresh"; set: string };

/**
 * The operation, after the set's name: e.g. `create of 2 x Standard_Fs32_v2 in nodearray
 * 'ondemand' (cluster 'hpc')`, `grow from 2 to 4 nodes`, `destroy (terminate its nodes)`.
 */
function describeOperation(op: Operation): string {
  switch (op.kind) {
    case "create":
      return `create of ${op.spec}`;
    case "update":
      if (op.to > op.from) return `grow from ${op.from} to ${op.to} nodes`;
      if (op.to < op.from) return `shrink from ${op.from} to ${op.to} nodes`;
      return `update (${op.to} nodes)`;
    case "delete":
      return `destroy (${op.action} its nodes)`;
    case "refresh":
      return "refresh";
  }
}

/** What the user can do about `error`, e.g. try again later, or fix the credentials. */
function nextStep(failure: unknown, op: Operation, cluster: string): string {
  const error = clientCause(failure);
  const again = `run \`pulumi ${op.kind === "delete" ? "destroy" : op.kind === "refresh" ? "refresh" : "up"}\` again`;
  if (error instanceof ConnectionConfigError) return "fix the connection settings as the message says";
  if (error instanceof HttpError) {
    // A 401's text already says to check the username and password.
    if (error.status === 401) return "";
    if (error.status === 403)
      return "check that this user (`cyclecloud:username`) may manage nodes of the cluster, or use another user";
    if (error.status === 404)
      return `check that cluster '${cluster}' exists and that \`cyclecloud:url\` points at its CycleCloud server`;
    if (error.status === 429 || error.status >= 500)
      return `CycleCloud is unavailable or overloaded: ${again} later`;
    return "CycleCloud refused the request: fix what its message names";
  }
  // TLS and timeouts: the client's message says what to fix.
  if (error instanceof NetworkError)
    return error.kind === "tls" || error.kind === "protocol" ? "" : `${again} once the server is reachable`;
  if (error instanceof TimeoutError) return `${again} later`;
  if (error instanceof ResponseValidationError)
    return "check that `cyclecloud:url` points at the CycleCloud server; if it does, please report the answer";
  // The library's own errors say what to do themselves.
  return "";
}

/**
 * The message of an operation that failed before it changed anything (create: nothing made;
 * update: no node touched yet), e.g. `workers: grow from 2 to 4 nodes failed: CycleCloud answered
 * 503 ...; no node was changed and the state still lists the set's 2 nodes. CycleCloud is
 * unavailable or overloaded: run `pulumi up` again later`.
 */
export function failedMessage(failed: {
  op: Operation;
  cluster: string;
  error: unknown;
  held: number;
  /** What to do next, when the cause does not decide it. */
  step?: string | undefined;
}): string {
  const { op, cluster, error, held } = failed;
  const step = failed.step ?? nextStep(error, op, cluster);
  const what =
    op.kind === "create"
      ? "nothing was created and nothing is recorded in state"
      : op.kind === "delete"
        ? `the set stays in state with the ${held} node(s) it holds`
        : `no node was changed and the state still lists the set's ${held} node(s)`;
  return `${op.set}: ${describeOperation(op)} failed: ${errorText(error).replace(/\.$/, "")}; ${what}${step ? `. ${capitalize(step)}` : ""}`;
}

/**
 * The message of an operation that changed nodes but did not converge (a partial failure: the set
 * is recorded with its nodes), e.g. `workers: grow from 2 to 4 nodes did not finish: ...; the set
 * is recorded with the 3 node(s) it holds (2 ready). Run `pulumi up` again to finish`.
 */
export function unfinishedMessage(unfinished: {
  op: Operation;
  cluster: string;
  reasons: readonly string[];
  holds: { nodes: number; ready: number };
  error?: unknown;
}): string {
  const { op, cluster, reasons, holds, error } = unfinished;
  const step = (error === undefined ? "" : nextStep(error, op, cluster)) || "run `pulumi up` again to finish";
  return (
    `${op.set}: ${describeOperation(op)} did not finish: ${reasons.join("; ")}; ` +
    `the set is recorded with the ${holds.nodes} node(s) it holds (${holds.ready} ready). ${capitalize(step)}`
  );
}

/** A create CycleCloud added fewer nodes for than asked: `CycleCloud added 2 of 3 requested node(s): ...`. */
export function partialAddReason(added: number, requested: number, message: string | undefined): string {
  return `CycleCloud added ${added} of ${requested} requested node(s)${message ? `: ${message}` : ""}`;
}

/**
 * {@link partialAddReason} with what became of the set, the likely cause and what the next `up`
 * does: what the engine shows of a partial add. With `preflight: "enforce"` the check found room
 * just before: someone took it since (two stacks or the autoscaler scaling one bucket at once).
 */
export function explainPartialAdd(
  reason: string,
  partial: { set: string; added: number; requested: number; recorded: number; preflight: string },
): string {
  const missing = partial.requested - partial.added;
  const cause =
    partial.preflight === "enforce"
      ? `Preflight had found room for ${partial.requested} when it checked the cluster: the room was taken since, ` +
        "likely by another deployment or the cluster's autoscaler adding nodes to the same bucket at the same time"
      : `Preflight is "${partial.preflight}": ` +
        (partial.preflight === "warn"
          ? "it may have warned that they do not fit"
          : "the cluster's room was not checked");
  return (
    `${reason.replace(/\.$/, "")}; set ${partial.set} is recorded in state as a partial failure with the ` +
    `${partial.recorded} node(s) it holds. ${cause}. The next \`pulumi up\` asks for the ${missing} missing ` +
    "node(s) again; `pulumi preview` shows first whether they fit now"
  );
}

/** The client error behind `error` (an error of the resource layer may wrap one as its `cause`). */
function clientCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth++) {
    if (current instanceof CycleCloudError) break;
    current = current.cause;
  }
  return current instanceof CycleCloudError ? current : error;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Azure's and CycleCloud's words for a VM that could not be had (capacity, allocation or quota),
 * as they appear in a failed node's `StatusMessage`, e.g. `AllocationFailed: Allocation failed. We
 * do not have sufficient capacity for the requested VM size in this region.`
 */
const CAPACITY_FAILURE =
  /AllocationFailed|ZonalAllocationFailed|OverconstrainedAllocationRequest|OverconstrainedZonalAllocationRequest|SkuNotAvailable|QuotaExceeded|insufficient capacity|sufficient capacity|allocation failed|capacity/i;

/** Whether a failed node's `StatusMessage` says it failed for want of capacity or allocation. */
export function isCapacityFailure(statusMessage: string | undefined): boolean {
  return statusMessage !== undefined && CAPACITY_FAILURE.test(statusMessage);
}

/**
 * Failed nodes grouped by reason, each distinct reason once, e.g. `2 failed: AllocationFailed:
 * ... (ondemand-4, ondemand-5)`; nodes without a `StatusMessage` as `1 failed (ondemand-3)`.
 * Reasons and names are the server's: sanitized and capped ({@link plainText}).
 */
export function describeFailures(
  nodes: readonly { name: string; statusMessage?: string | undefined }[],
): string[] {
  const byReason = new Map<string, string[]>();
  for (const node of nodes) {
    // The final period goes before the cut, so the ellipsis of a long message stays whole.
    const reason = plainText((node.statusMessage ?? "").trim().replace(/\.$/, ""));
    byReason.set(reason, [...(byReason.get(reason) ?? []), plainText(node.name, MAX_NAME_LENGTH)]);
  }
  return [...byReason].map(
    ([reason, names]) => `${names.length} failed${reason ? `: ${reason}` : ""} (${names.join(", ")})`,
  );
}

/** The spec a create asks for, as its messages name it: `2 x Standard_F2s_v2 in nodearray 'hpc' (cluster 'c')`. */
export function describeSpec(inputs: NodeSetInputs): string {
  const group = inputs.placementGroupId
    ? ` in placement group '${inputs.placementGroupId}'`
    : inputs.placementGroups
      ? ` spread over placement groups '${inputs.placementGroups.prefix}0', '${inputs.placementGroups.prefix}1', ...`
      : "";
  return `${inputs.count} x ${inputs.machineType ?? "nodes"} in nodearray '${inputs.nodearray}' (cluster '${inputs.cluster}')${group}`;
}
