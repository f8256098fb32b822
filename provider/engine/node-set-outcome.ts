/**
 * The state a create or update ends with: the set's nodes and bucket, or a partial failure that
 * carries that state when the set did not converge.
 */
import { findBucket } from "../capacity/index";
import { NodeSetPartialFailure } from "../core/errors";
import type { Operation } from "../core/failure-messages";
import { explainPartialAdd, failedMessage, unfinishedMessage } from "../core/failure-messages";
import type { OperationContext, SetHoldings } from "../ops/node-set-listing";
import { setName } from "../ops/node-set-listing";
import type { NodeInfo, NodeSetState } from "../core/node-set-state";
import { nodeSetState } from "../core/node-set-state";
import type { ProviderContext } from "./provider-context";
import type { ClusterStatusCache } from "../ops/cluster-status-cache";

/** What an operation ended with, for {@link finish}. */
export interface OperationEnd {
  op: Operation;
  holdings: SetHoldings;
  /** Why the operation fell short; empty when it reached its target. */
  reasons: string[];
  /** The node count the operation aimed at. */
  target: number;
  /** The set's id in state (an update's), else its base request id. */
  knownId?: string | undefined;
  /** The bucket recorded before (an update's), else looked up from the nodes. */
  knownBucketId?: string | undefined;
  /** Nodes dropped from state because CycleCloud no longer lists them. */
  forgottenCount?: number | undefined;
}

/** The final state; throws a partial failure (with that state) if the set did not converge. */
export async function finish(
  provider: ProviderContext,
  ctx: OperationContext,
  { op, holdings, reasons, target, knownId, knownBucketId, forgottenCount }: OperationEnd,
): Promise<NodeSetState> {
  const { inputs } = ctx;
  const id = knownId ?? inputs.baseRequestId;
  const bucket = knownBucketId
    ? { bucketId: knownBucketId }
    : await bucketFor(provider.statusCache, ctx, holdings.nodes);
  const extra = forgottenCount ? { forgottenCount } : {};
  const state = nodeSetState(inputs, { ...holdings, ...bucket, ...extra });
  if (reasons.length > 0) {
    const ready = `${state.readyCount}/${target} ready`;
    // The engine shows the reasons: a partial add's says what became of the set and what is next.
    const { partialAdd } = holdings;
    const shown = reasons.map((reason) =>
      partialAdd !== undefined && reason === partialAdd.reason
        ? explainPartialAdd(reason, {
            ...partialAdd,
            set: setName(inputs),
            recorded: state.nodes.length,
            preflight: inputs.preflight,
          })
        : reason,
    );
    const holds = { nodes: state.nodes.length, ready: state.readyCount };
    const message = unfinishedMessage({ op, cluster: inputs.cluster, reasons: [ready, ...reasons], holds });
    throw new NodeSetPartialFailure(message, id, state, shown);
  }
  return state;
}

/**
 * The bucket the set's nodes are in. Bucket ids are stable for a cluster's life, so they are
 * remembered from any status this process read (preflight) and the status is read only when
 * none was; omitted if unknown.
 */
async function bucketFor(
  statusCache: ClusterStatusCache,
  ctx: OperationContext,
  nodes: readonly NodeInfo[],
): Promise<{ bucketId?: string }> {
  const { inputs, claiming } = ctx;
  const machineType = inputs.machineType ?? nodes.find((n) => n.machineType)?.machineType;
  const where = { url: claiming.url, cluster: inputs.cluster, nodearray: inputs.nodearray, machineType };
  const known = statusCache.knownBucketId(where);
  if (known) return { bucketId: known };
  try {
    const bucket = findBucket(await ctx.clusterStatus(), { nodearray: inputs.nodearray, machineType });
    if (bucket) statusCache.rememberBucketId(where, bucket.bucketId);
    return bucket ? { bucketId: bucket.bucketId } : {};
  } catch {
    return {};
  }
}

/**
 * The error of an operation that failed before it changed anything, or (delete) before its nodes
 * were gone: its message names the set, the operation, the cause and the next step.
 *
 * The dynamic provider host answers a failed `create` or `update` with the message alone, but for
 * `delete` and `read` it first prints `${error}: ${error.stack}` to the provider's stderr: there,
 * as for a refusal of `diff` (`DiffRefusalError`), the error prints as a one-line pointer to
 * the set's error instead of the message twice and a stack trace of the library's files.
 */
export function failure(
  op: Operation,
  cause: unknown,
  { cluster, held, step }: { cluster: string; held: number; step?: string },
): Error {
  const error = new Error(failedMessage({ op, cluster, error: cause, held, step }), { cause });
  if (op.kind === "delete" || op.kind === "refresh") {
    error.stack = "the reason is the node set's error";
    error.toString = () => `cyclecloud ${op.set}: ${op.kind === "delete" ? "destroy" : "refresh"} failed`;
  }
  return error;
}
