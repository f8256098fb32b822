/**
 * Listing what a node set holds, shared by create, update, read and delete: the nodes of its
 * request ids, of later request ids an interrupted create left, and of nodes adopted by id; and
 * the operation context every step receives. No Pulumi here.
 */
import type { CycleCloudClient } from "../client";
import { ResponseValidationError, isUnknownRequestId } from "../client";
import type { ClusterStatus, NodeList, NodeRecord } from "../../wire/schemas";
import { nodeRecordProblems, recordText } from "../../wire/schemas";
import type { ClaimingSet } from "../core/adoption-ownership";
import type { NodeSetInputs } from "../core/inputs";
import type { Tuning } from "./tuning";
import type { NodeInfo } from "../core/node-set-state";
import type { PartialAdd } from "../core/converge-step";
import type { PollRounds } from "./poll-rounds";
import { isMember, toNodeInfo } from "../core/node-set-state";
import { groupIndexOf, groupInputs, groupRequestBase } from "../core/placement-groups";
import { isRequestIdOf, nextSequence, requestIdFor, sequenceOf } from "../core/request-id";

/** The client methods the node set uses (a narrow seam for tests). */
export type NodeSetClient = Pick<
  CycleCloudClient,
  "listNodes" | "createNodes" | "terminateNodes" | "deallocateNodes" | "startNodes" | "getClusterStatus"
>;

/** What one operation asked its cluster to change: nodes added by creates, and any other change. */
export interface ClusterChanges {
  added: number;
  /** Terminate, deallocate and start requests, and creates whose outcome is unknown. */
  other: number;
}

export interface OperationContext {
  /** The set's client; it counts into {@link changes} what it asks the cluster to change. */
  client: NodeSetClient;
  inputs: NodeSetInputs;
  /** The set as it claims nodes (its identity, label, connection url and cluster). */
  claiming: ClaimingSet;
  changes: ClusterChanges;
  /** Progress lines, shown by the Pulumi engine. */
  log: (line: string) => void;
  /** Warnings (without a `warning:` prefix), shown by the Pulumi engine as warnings of the set. */
  warn: (text: string) => void;
  /** Poll bounds and re-send delays (resolved once per provider context). */
  tuning: Tuning;
  /** The clock (ms since the epoch). */
  now: () => number;
  /** The status of the set's cluster, shared by the calls of one run (the provider's status cache). */
  clusterStatus: () => Promise<ClusterStatus>;
  /** The poll rounds of the set's cluster, shared by the sets of one provider process. */
  rounds: PollRounds;
}

/**
 * The set's short name for messages: its resource name, or (state written before names were
 * recorded) the last part of its `project/stack/name` identity.
 */
export function setName(inputs: Pick<NodeSetInputs, "identity" | "name">): string {
  return inputs.name ?? inputs.identity.split("#")[0]?.split(/::|\//).pop() ?? inputs.identity;
}

/**
 * The error for node records of the set that the library cannot read (lacking `NodeId`, `Name`,
 * `Template` or `Status`, or with another type), naming each record and what is wrong.
 */
function unreadableRecords(
  cluster: string,
  query: string,
  records: readonly unknown[],
): ResponseValidationError {
  return new ResponseValidationError({
    method: "GET",
    path: `/clusters/${encodeURIComponent(cluster)}/nodes${query}`,
    status: 200,
    expected: "NodeList",
    problems: records.map((record) => {
      const name = recordText(record, "Name") ?? recordText(record, "NodeId") ?? "without Name or NodeId";
      return `node record ${name}: ${nodeRecordProblems(record).join(", ")}`;
    }),
  });
}

/**
 * The records of a listing of the set's own nodes (one create request's): every record must be
 * readable, or the set could lose track of a node it holds.
 */
export function ownRecords(list: NodeList, cluster: string, query: string): NodeRecord[] {
  if (list.unparsedNodes?.length) throw unreadableRecords(cluster, query, list.unparsedNodes);
  return list.nodes;
}

/**
 * The records of the nodes `ids` names in an unfiltered listing, which holds every node of the
 * cluster (the head node, nodes outside any nodearray, records with fields this library does not
 * read): only the records of `ids` are read, and must be readable; the others are not looked at.
 */
export function recordsWithIds(list: NodeList, ids: ReadonlySet<string>, cluster: string): NodeRecord[] {
  const unreadable = (list.unparsedNodes ?? []).filter((record) => {
    const id = recordText(record, "NodeId");
    return id !== undefined && ids.has(id);
  });
  if (unreadable.length > 0) throw unreadableRecords(cluster, "", unreadable);
  return list.nodes.filter((record) => ids.has(record.NodeId));
}

/** Nodes of one create request; undefined when the server knows no such request id. */
export async function listRequestNodes(
  client: NodeSetClient,
  cluster: string,
  requestId: string,
): Promise<NodeInfo[] | undefined> {
  try {
    const list = await client.listNodes(cluster, { requestId });
    const requestedAt = list.operation?.startTime;
    // One object per node (a set may hold thousands): the record's fields, then the request's.
    return ownRecords(list, cluster, `?request_id=${encodeURIComponent(requestId)}`).map((record) => {
      const node = toNodeInfo(record);
      node.requestId = requestId;
      if (requestedAt) node.requestedAt = requestedAt;
      return node;
    });
  } catch (error) {
    if (isUnknownRequestId(error)) return undefined;
    throw error;
  }
}

/** Whether a node was made to the set's spec (the keys a node record shows). */
export function matchesSpec(node: NodeInfo & { template?: string }, inputs: NodeSetInputs): boolean {
  const { machineType, placementGroupId, placementGroups } = inputs;
  return (
    (machineType === undefined || node.machineType === undefined || node.machineType === machineType) &&
    (placementGroupId === undefined || node.placementGroupId === placementGroupId) &&
    (placementGroups === undefined || groupIndexOf(placementGroups, node.placementGroupId) !== undefined)
  );
}

export interface SetHoldings {
  requestIds: string[];
  adoptedNodeIds: string[];
  nodes: NodeInfo[];
  /** A create CycleCloud added fewer nodes for than asked: its reason, explained in the end. */
  partialAdd?: PartialAdd;
}

/**
 * How a probe reads: what the operation does with the nodes it finds, for its line (an update or a
 * refresh keeps them; a delete terminates or deallocates them with the set), and how many empty
 * requests in a row it looks past.
 */
interface ProbeOptions {
  fate?: "keeping them" | "terminating them with the set" | "deallocating them with the set";
  gaps?: number;
}

/**
 * Most request ids one probe lists after the set's last one. Each is a create a run made and did
 * not record (a crash, a lost answer): a handful at most. More means the server answers every id
 * with the same nodes; the probe then stops with an error rather than list without end.
 */
export const MAX_PROBED_REQUESTS = 100;

/**
 * Adds to `requestIds` and `nodes` the request ids of `inputs.baseRequestId` after the last one
 * known that the server knows (left by an interrupted create), with their nodes of the spec. The
 * probe ends at the first id the server does not know (404), whose listing is empty (a server may
 * answer an unknown id so, and an empty request holds no node to keep track of), or whose nodes
 * are of another spec; after {@link MAX_PROBED_REQUESTS} ids it fails. With `gaps`, it looks past
 * that many empty listings in a row (a request whose nodes a heal replaced) before it ends.
 */
async function probeSequence(
  ctx: OperationContext,
  probe: { inputs: NodeSetInputs; requestIds: string[]; nodes: NodeInfo[] } & ProbeOptions,
): Promise<void> {
  const { inputs, requestIds, nodes, fate = "keeping them", gaps = 0 } = probe;
  const first = nextSequence(inputs.baseRequestId, requestIds);
  let empty = 0;
  for (let sequence = first; ; sequence++) {
    const requestId = requestIdFor(inputs.baseRequestId, sequence);
    if (sequence - first >= MAX_PROBED_REQUESTS) {
      throw new Error(
        `looking for the nodes of interrupted creates, CycleCloud listed nodes of this set's spec for each of the ` +
          `${MAX_PROBED_REQUESTS} request ids ${requestIdFor(inputs.baseRequestId, first)} to ${requestIdFor(inputs.baseRequestId, sequence - 1)}: ` +
          "stopped there, as a set makes one request per create; check what CycleCloud answers to " +
          `GET /clusters/${encodeURIComponent(inputs.cluster)}/nodes?request_id=${encodeURIComponent(requestId)}`,
      );
    }
    const found = await listRequestNodes(ctx.client, inputs.cluster, requestId);
    if (found === undefined) break;
    if (found.length === 0) {
      if (++empty > gaps) break;
      continue;
    }
    empty = 0;
    const ours = found.filter((n) => matchesSpec(n, inputs));
    if (ours.length === 0) break;
    if (ours.some(isMember))
      ctx.log(
        `found ${ours.length} node(s) of request ${requestId}, made by an interrupted operation: ${fate}`,
      );
    requestIds.push(requestId);
    nodes.push(...ours);
  }
}

/**
 * Lists every node the set holds: the nodes of each of its request ids, the nodes it adopted by
 * id, and (with `probeForward`) the nodes of request ids after its last one, which a create
 * interrupted after the server committed it (crash, lost response) may have left behind. Such
 * requests are added to `requestIds`, so nothing the set made is ever lost.
 */
export async function listHoldings(
  ctx: OperationContext,
  held: { requestIds: readonly string[]; adoptedNodeIds?: readonly string[] | undefined },
  options: { probeForward: boolean } & ProbeOptions,
): Promise<SetHoldings> {
  const { client, inputs } = ctx;
  const requestIds = [...held.requestIds];
  const nodes: NodeInfo[] = [];
  for (const requestId of requestIds) {
    nodes.push(...((await listRequestNodes(client, inputs.cluster, requestId)) ?? []));
  }
  if (options.probeForward) {
    const found = await probeForward(ctx, requestIds, options);
    requestIds.push(...found.requestIds);
    nodes.push(...found.nodes);
  }
  const adoptedNodeIds = [...(held.adoptedNodeIds ?? [])];
  if (adoptedNodeIds.length > 0) {
    const all = await client.listNodes(inputs.cluster);
    const known = new Set(nodes.map((n) => n.id));
    nodes.push(
      ...recordsWithIds(all, new Set(adoptedNodeIds), inputs.cluster)
        .map(toNodeInfo)
        .filter((n) => !known.has(n.id)),
    );
  }
  return { requestIds, adoptedNodeIds, nodes };
}

/**
 * The requests after `requestIds` (the set's, in order) that the server knows and whose nodes
 * are of the set's spec, and those nodes: what a create interrupted after the server committed it
 * (crash, lost response) left behind. One listing per such request, plus the one that finds none.
 */
export async function probeForward(
  ctx: OperationContext,
  requestIds: readonly string[],
  options: ProbeOptions = {},
): Promise<{ requestIds: string[]; nodes: NodeInfo[] }> {
  const { inputs } = ctx;
  const ids = [...requestIds];
  const nodes: NodeInfo[] = [];
  if (inputs.placementGroups === undefined) {
    await probeSequence(ctx, { inputs, requestIds: ids, nodes, ...options });
  } else {
    // Groups are filled in order: group i+1 has requests only if group i has.
    for (let index = 0; ; index++) {
      const groupBase = groupRequestBase(inputs.baseRequestId, index);
      const before = ids.length;
      await probeSequence(ctx, { inputs: groupInputs(inputs, index), requestIds: ids, nodes, ...options });
      if (ids.length === before && !ids.some((id) => sequenceOf(groupBase, id) !== undefined)) break;
    }
  }
  return { requestIds: ids.slice(requestIds.length), nodes };
}

/**
 * Empty requests in a row that `check`'s probe looks past, on a server whose records carry no
 * `RequestId`: each is one listing more, made only when a plan does not fit or the set adopts.
 */
export const CHECK_PROBE_GAPS = 3;

/**
 * Every node the set holds, for `check`, which does not get the set's request ids (they are in its
 * state, not its inputs): from one unfiltered listing, the nodes of any request id of its base
 * (a request whose nodes were all replaced leaves a gap that a probe from `-0` would stop at) and
 * of the requests and nodes it adopted before. A server whose records carry no `RequestId` is
 * probed request by request instead, looking past {@link CHECK_PROBE_GAPS} such gaps in a row.
 */
export async function listOwnNodes(
  ctx: OperationContext,
  adopted: { requestIds: readonly string[]; adoptedNodeIds: readonly string[] },
): Promise<SetHoldings> {
  const { client, inputs } = ctx;
  const list = await client.listNodes(inputs.cluster);
  if (!list.nodes.some((record) => typeof record.RequestId === "string"))
    return listHoldings(ctx, adopted, { probeForward: true, gaps: CHECK_PROBE_GAPS });
  const ours = (requestId: string | null | undefined): requestId is string =>
    typeof requestId === "string" &&
    (isRequestIdOf(inputs.baseRequestId, requestId) || adopted.requestIds.includes(requestId));
  const unreadable = (list.unparsedNodes ?? []).filter((record) => ours(recordText(record, "RequestId")));
  if (unreadable.length > 0) throw unreadableRecords(inputs.cluster, "", unreadable);
  const byId = new Set(adopted.adoptedNodeIds);
  const records = [
    ...list.nodes.filter((record) => ours(record.RequestId)),
    ...recordsWithIds(list, byId, inputs.cluster).filter((record) => !ours(record.RequestId)),
  ];
  const requestIds = [
    ...new Set(records.flatMap((record) => (ours(record.RequestId) ? [record.RequestId] : []))),
  ];
  return { requestIds, adoptedNodeIds: [...adopted.adoptedNodeIds], nodes: records.map(toNodeInfo) };
}
