/**
 * Adopting existing nodes into a set (`adoptExisting`): by request id or by node ids, refusing
 * any node that does not match the declared spec, that this library made for another set (see
 * adoption-ownership.ts) or that is not in a nodearray. No Pulumi here.
 */
import type { NodeRecord } from "../../wire/schemas";
import { HttpError, errorText } from "../client";
import type { NodeInfo } from "../core/node-set-state";
import { isMember, toNodeInfo } from "../core/node-set-state";
import { foreignNodesProblem, foreignRequestIdProblem } from "../core/adoption-ownership";
import type { OperationContext, SetHoldings } from "./node-set-listing";
import { matchesSpec, ownRecords, recordsWithIds } from "./node-set-listing";

/** Adopts the nodes named by `adoptExisting`, refusing those the module comment names. */
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
  const missing = (request.nodeIds ?? []).filter((nodeId) => !candidates.some((r) => r.NodeId === nodeId));
  if (missing.length > 0)
    throw new Error(
      `\`adoptExisting.nodeIds\`: cluster '${inputs.cluster}' has no node ${missing.join(", ")}: fix the list of node ids`,
    );
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
  if (mismatches.length > 0)
    throw new Error(
      `refusing to adopt nodes that do not match the declared spec: ${mismatches.join("; ")}. Fix \`adoptExisting\` or the set's inputs`,
    );
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
  const status = await ctx.clusterStatus();
  const nodearrays = new Set(status.nodearrays.map((nodearray) => nodearray.name));
  const problems: string[] = [];
  const standalone = candidates.filter((record) => !nodearrays.has(record.Template)).map((r) => r.Name);
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
