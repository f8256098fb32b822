/**
 * How a node set reaches its `count`, shared by create and update: adopt what `adoptExisting`
 * names, remove failed and excess nodes, create the shortfall with the next request id, wait, and
 * turn any failure after a node exists into a partial failure that keeps every node in state. No
 * module state: everything comes through the operation context.
 */
import type { Operation } from "../core/failure-messages";
import { unfinishedMessage } from "../core/failure-messages";
import type { NodeSetInputs } from "../core/inputs";
import { NodeSetPartialFailure, UncertainCreateError } from "../core/errors";
import { nextStep, startOfConvergence } from "../core/converge-step";
import type { OperationContext, SetHoldings } from "./node-set-listing";
import { matchesSpec, ownRecords, recordsWithIds } from "./node-set-listing";
import type { NodeRecord } from "../../wire/schemas";
import { HttpError, errorText } from "../client";
import type { NodeInfo, NodeSetState } from "../core/node-set-state";
import { isMember, nodeSetState, toNodeInfo } from "../core/node-set-state";
import { foreignNodesProblem, foreignRequestIdProblem } from "../core/adoption-ownership";
import { execute } from "./converge-execute";

/**
 * Adopts the nodes named by `adoptExisting`, refusing any that does not match the declared spec
 * or that this library made for another set (see adoption-ownership.ts).
 */
export async function adopt(ctx: OperationContext, holdings: SetHoldings): Promise<SetHoldings> {
  const { inputs, client } = ctx;
  const request = inputs.adoptExisting;
  if (!request) return holdings;
  const found: NodeInfo[] = [];
  const requestIds = [...holdings.requestIds];
  const adoptedNodeIds = [...holdings.adoptedNodeIds];
  const foreignRequest = foreignRequestIdProblem(inputs, holdings.requestIds);
  if (foreignRequest !== undefined) throw new Error(foreignRequest);
  const list = await client
    .listNodes(inputs.cluster, request.requestId ? { requestId: request.requestId } : undefined)
    .catch((error: unknown) => {
      throw unknownRequestHint(error, request.requestId) ?? error;
    });
  // By request id the listing holds only the request's nodes, all to be read; unfiltered it holds
  // every node of the cluster (head node included): only the records of the named ids are read.
  const candidates = request.requestId
    ? ownRecords(list, inputs.cluster, `?request_id=${encodeURIComponent(request.requestId)}`)
    : recordsWithIds(list, new Set(request.nodeIds ?? []), inputs.cluster);
  const known = new Set(holdings.nodes.map((n) => n.id));
  if (request.nodeIds) {
    const missing = request.nodeIds.filter((nodeId) => !candidates.some((r) => r.NodeId === nodeId));
    if (missing.length > 0) {
      throw new Error(
        `\`adoptExisting.nodeIds\`: cluster '${inputs.cluster}' has no node ${missing.join(", ")}: fix the list of node ids`,
      );
    }
  }
  const foreignNodes = foreignNodesProblem(
    inputs,
    candidates.filter((record) => !known.has(record.NodeId)),
    request.requestId,
  );
  if (foreignNodes !== undefined) throw new Error(foreignNodes);
  await refuseNonNodearrayNodes(ctx, candidates);
  const mismatches: string[] = [];
  for (const record of candidates) {
    const node = toNodeInfo(record);
    if (request.requestId) node.requestId = request.requestId;
    if (known.has(node.id) || !isMember(node)) continue;
    if (record.Template !== inputs.nodearray) {
      mismatches.push(`${node.name} is in nodearray '${record.Template}', not '${inputs.nodearray}'`);
    } else if (!matchesSpec(node, inputs)) {
      mismatches.push(
        `${node.name} is ${node.machineType ?? "?"}${node.placementGroupId ? ` in placement group '${node.placementGroupId}'` : ""}, ` +
          `not ${inputs.machineType ?? node.machineType ?? "?"}${inputs.placementGroupId ? ` in '${inputs.placementGroupId}'` : ""}`,
      );
    } else {
      found.push(node);
    }
  }
  if (mismatches.length > 0) {
    throw new Error(
      `refusing to adopt nodes that do not match the declared spec: ${mismatches.join("; ")}. Fix \`adoptExisting\` or the set's inputs`,
    );
  }
  if (request.requestId && !requestIds.includes(request.requestId)) requestIds.push(request.requestId);
  if (!request.requestId) {
    for (const node of found) if (!adoptedNodeIds.includes(node.id)) adoptedNodeIds.push(node.id);
  }
  if (found.length > 0) ctx.log(`adopted ${found.length} existing node(s)`);
  return { requestIds, adoptedNodeIds, nodes: [...holdings.nodes, ...found] };
}

/**
 * A set adopts (and so may terminate) only nodes of a nodearray: refuses, before anything is
 * touched, a node whose `Template` is not a nodearray of the cluster (a head node or another
 * standalone node) and a `nodearray` input that names no nodearray. Reads the cluster status
 * whatever `preflight` says.
 */
async function refuseNonNodearrayNodes(
  ctx: OperationContext,
  candidates: readonly NodeRecord[],
): Promise<void> {
  const { inputs } = ctx;
  const status = await (ctx.clusterStatus
    ? ctx.clusterStatus()
    : ctx.client.getClusterStatus(inputs.cluster));
  const nodearrays = new Set(status.nodearrays.map((nodearray) => nodearray.name));
  const problems: string[] = [];
  const standalone = candidates
    .filter((record) => !nodearrays.has(record.Template))
    .map((record) => record.Name);
  if (standalone.length > 0) {
    const which = standalone.length === 1 ? "it is" : "they are";
    problems.push(
      `\`adoptExisting\`: cannot adopt ${standalone.join(", ")}: ${which} not in a nodearray of cluster '${inputs.cluster}' ` +
        `(a head node or other standalone node); a node set adopts only nodearray nodes. ` +
        (inputs.adoptExisting?.requestId
          ? "Fix `adoptExisting`"
          : `Remove ${standalone.join(", ")} from \`adoptExisting.nodeIds\``),
    );
  }
  if (!nodearrays.has(inputs.nodearray)) {
    const known = [...nodearrays].map((name) => `'${name}'`).join(", ") || "none";
    problems.push(
      `\`nodearray\`: '${inputs.nodearray}' is not a nodearray of cluster '${inputs.cluster}' (its nodearrays: ${known}); ` +
        "a node set adopts only nodearray nodes. Fix `nodearray`",
    );
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
}

/**
 * Brings the set to `count` healthy nodes and (if asked) waits until they are ready: removes
 * failed nodes, grows by starting the warm pool's deallocated nodes first, then with the next
 * request id; shrinks by terminating (or, `scaleDown: "deallocate"`, deallocating into the warm
 * pool) failed, unfinished, then newest nodes. Each step is decided by {@link nextStep} from what
 * the set holds, and carried out by {@link execute}. Mutates `holdings`; returns why the set did
 * not converge well enough to succeed (see `minReady`).
 */
export async function converge(
  ctx: OperationContext,
  holdings: SetHoldings,
  target: number,
): Promise<string[]> {
  let progress = startOfConvergence();
  for (;;) {
    const step = nextStep({ nodes: holdings.nodes, target, inputs: ctx.inputs, now: ctx.now(), progress });
    if (step.kind === "done") {
      if (step.partialAdd) holdings.partialAdd = step.partialAdd;
      return step.reasons;
    }
    const seen = await execute(ctx, holdings, step);
    progress = { ...progress, ...step.then, ...seen };
  }
}

/**
 * {@link converge}, but an error after the set made a create request (a listing that fails while
 * waiting, a terminate refused) becomes a partial failure carrying every request id and node known
 * so far: the nodes are recorded in state rather than lost.
 */
export async function convergeKeepingTrack(
  ctx: OperationContext,
  holdings: SetHoldings,
  { op, id, target }: { op: Operation; id: string; target: number },
): Promise<string[]> {
  const before = holdings.requestIds.length;
  try {
    return await converge(ctx, holdings, target);
  } catch (error) {
    if (error instanceof UncertainCreateError && !holdings.requestIds.includes(error.requestId)) {
      holdings.requestIds.push(error.requestId);
    }
    if (holdings.requestIds.length === before && holdings.nodes.length === 0) throw error;
    const state = nodeSetState(ctx.inputs, holdings);
    const reason = errorText(error).replace(/\.$/, "");
    const message = unfinishedMessage({
      op,
      cluster: ctx.inputs.cluster,
      reasons: [reason],
      holds: { nodes: state.nodes.length, ready: state.readyCount },
      error,
    });
    // The engine shows the reasons of a partial failure, not its message: give it the whole story.
    throw new NodeSetPartialFailure(message, id, state, [message]);
  }
}

/**
 * With `externalRemovals: "forget"`, the members the state lists that something else has removed
 * since (this set removes only nodes it drops from state first), added to those forgotten before,
 * unless `count` changed since: a new `count` is a new size, counted from what the set holds.
 */
export function forgottenNodes(ctx: OperationContext, olds: NodeSetState, holdings: SetHoldings): number {
  const { inputs } = ctx;
  if (inputs.externalRemovals !== "forget" || olds.count !== inputs.count) return 0;
  const live = new Set(holdings.nodes.filter(isMember).map((n) => n.id));
  const removed = (olds.nodes ?? []).filter((n) => isMember(n) && !live.has(n.id));
  if (removed.length > 0) {
    ctx.log(
      `${removed.length} node(s) removed outside Pulumi, forgotten (externalRemovals: "forget"): ${removed.map((n) => n.name).join(", ")}`,
    );
  }
  return (olds.forgottenCount ?? 0) + removed.length;
}

export function describeSpec(inputs: NodeSetInputs): string {
  const group = inputs.placementGroupId
    ? ` in placement group '${inputs.placementGroupId}'`
    : inputs.placementGroups
      ? ` spread over placement groups '${inputs.placementGroups.prefix}0', '${inputs.placementGroups.prefix}1', ...`
      : "";
  return `${inputs.count} x ${inputs.machineType ?? "nodes"} in nodearray '${inputs.nodearray}' (cluster '${inputs.cluster}')${group}`;
}

/**
 * A 404 for an `adoptExisting.requestId` without the `-<n>` ending of a create's request id (a
 * base request id, say): the error with a hint that names the field and the id to try.
 */
function unknownRequestHint(error: unknown, requestId: string | undefined): Error | undefined {
  if (requestId === undefined || /-\d+$/.test(requestId)) return undefined;
  if (!(error instanceof HttpError) || error.status !== 404) return undefined;
  return new Error(
    `${errorText(error).replace(/\.$/, "")}. \`adoptExisting.requestId\` ${JSON.stringify(requestId)} does not end in ` +
      `\`-<n>\`, as the request id of a create does (e.g. ${JSON.stringify(`${requestId}-0`)}): fix \`adoptExisting.requestId\``,
  );
}
