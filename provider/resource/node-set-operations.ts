/**
 * The I/O steps of a node set, shared by create, update, read and delete: listing a set's nodes,
 * the create-with-409-protocol, waiting for readiness, and removing nodes. No Pulumi here.
 */
import type { CycleCloudClient } from "../client";
import {
  DEFAULT_CLIENT_SETTINGS,
  HttpError,
  isUnknownRequestId,
  NetworkError,
  retryDelay,
  TimeoutError,
} from "../client";
import type { NodeCreationSet } from "../schemas";
import type { NodeSetInputs } from "./inputs";
import type { NodeInfo } from "./node-set-state";
import { isMember, toNodeInfo } from "./node-set-state";
import { nextSequence, requestIdFor } from "./request-id";

/** The client methods the node set uses (a narrow seam for tests). */
export type NodeSetClient = Pick<
  CycleCloudClient,
  "listNodes" | "createNodes" | "terminateNodes" | "deallocateNodes" | "startNodes" | "getClusterStatus"
>;

export interface OperationContext {
  client: NodeSetClient;
  inputs: NodeSetInputs;
  /** Progress and warning lines, shown by the Pulumi engine. */
  log: (line: string) => void;
}

/**
 * The set's short name for messages: its resource name, or (state written before names were
 * recorded) the last part of its `project/stack/name` identity.
 */
export function setName(inputs: Pick<NodeSetInputs, "identity" | "name">): string {
  return inputs.name ?? inputs.identity.split("#")[0]?.split(/::|\//).pop() ?? inputs.identity;
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
    return list.nodes
      .map(toNodeInfo)
      .map((n) => (requestedAt ? { ...n, requestId, requestedAt } : { ...n, requestId }));
  } catch (error) {
    if (isUnknownRequestId(error)) return undefined;
    throw error;
  }
}

/** Whether a node was made to the set's spec (the keys a node record shows). */
export function matchesSpec(node: NodeInfo & { template?: string }, inputs: NodeSetInputs): boolean {
  if (
    inputs.machineType !== undefined &&
    node.machineType !== undefined &&
    node.machineType !== inputs.machineType
  ) {
    return false;
  }
  if (inputs.placementGroupId !== undefined && node.placementGroupId !== inputs.placementGroupId)
    return false;
  return true;
}

export interface SetHoldings {
  requestIds: string[];
  adoptedNodeIds: string[];
  nodes: NodeInfo[];
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
  options: { probeForward: boolean },
): Promise<SetHoldings> {
  const { client, inputs } = ctx;
  const requestIds = [...held.requestIds];
  const nodes: NodeInfo[] = [];
  for (const requestId of requestIds) {
    nodes.push(...((await listRequestNodes(client, inputs.cluster, requestId)) ?? []));
  }
  if (options.probeForward) {
    for (let sequence = nextSequence(inputs.baseRequestId, requestIds); ; sequence++) {
      const requestId = requestIdFor(inputs.baseRequestId, sequence);
      const found = await listRequestNodes(client, inputs.cluster, requestId);
      if (found === undefined) break;
      const ours = found.filter((n) => matchesSpec(n, inputs));
      if (found.length > 0 && ours.length === 0) break;
      if (ours.some(isMember)) {
        ctx.log(
          `found ${ours.length} node(s) of request ${requestId}, made by an interrupted operation: keeping them`,
        );
      }
      requestIds.push(requestId);
      nodes.push(...ours);
    }
  }
  const adoptedNodeIds = [...(held.adoptedNodeIds ?? [])];
  if (adoptedNodeIds.length > 0) {
    const wanted = new Set(adoptedNodeIds);
    const all = await client.listNodes(inputs.cluster);
    const known = new Set(nodes.map((n) => n.id));
    nodes.push(...all.nodes.map(toNodeInfo).filter((n) => wanted.has(n.id) && !known.has(n.id)));
  }
  return { requestIds, adoptedNodeIds, nodes };
}

/** The create set for `count` nodes of this spec. */
export function creationSet(inputs: NodeSetInputs, count: number): NodeCreationSet {
  const set: NodeCreationSet = { count, nodearray: inputs.nodearray };
  if (inputs.machineType !== undefined) set.definition = { machineType: inputs.machineType };
  if (inputs.placementGroupId !== undefined) set.placementGroupId = inputs.placementGroupId;
  if (inputs.nodeAttributes !== undefined) set.nodeAttributes = inputs.nodeAttributes;
  if (inputs.nameFormat !== undefined) set.nameFormat = inputs.nameFormat;
  if (inputs.nameOffset !== undefined) set.nameOffset = inputs.nameOffset;
  return set;
}

export type CreateOutcome =
  | { kind: "created"; requestId: string; added: number; message?: string }
  | { kind: "adopted"; requestId: string; nodes: NodeInfo[] };

/**
 * Creates `count` nodes with the next request id of the set's sequence, safely:
 * - 409 (request id already used): the request's nodes are listed. Live nodes of this spec are
 *   adopted (a create interrupted by a crash or a lost answer); if all are gone, the id belongs to
 *   an earlier generation and the next sequence number is tried; if the server knows no such
 *   request, the 409 was about the input and is raised.
 * - no answer (network error, timeout, 5xx): never re-sent blindly. The request id is looked up;
 *   if the server committed it, its nodes are adopted, else the same request (same id, so a
 *   duplicate is impossible) is sent again, a bounded number of times.
 */
export async function createWithSequence(
  ctx: OperationContext,
  usedRequestIds: readonly string[],
  count: number,
): Promise<CreateOutcome> {
  const { inputs } = ctx;
  const base = inputs.baseRequestId;
  const body = creationSet(inputs, count);
  let sequence = nextSequence(base, usedRequestIds);
  for (let attempt = 0; attempt < 20; attempt++) {
    const outcome = await createOnce(ctx, requestIdFor(base, sequence), body);
    if (outcome !== "used") return outcome;
    // Earlier generations of this set used ids from here on. Find the first free one without
    // trying each (a stack re-created many times has many); only the last used id can hold the
    // nodes of an interrupted create.
    const free = await firstUnusedSequence(ctx, sequence);
    if (free - 1 > sequence) {
      const requestId = requestIdFor(base, free - 1);
      const live = ((await listRequestNodes(ctx.client, inputs.cluster, requestId)) ?? []).filter(
        (n) => isMember(n) && matchesSpec(n, inputs),
      );
      if (live.length > 0) {
        ctx.log(
          `request ${requestId} already exists: adopting its ${live.length} node(s) instead of creating new ones`,
        );
        return { kind: "adopted", requestId, nodes: live };
      }
    }
    sequence = free;
  }
  throw new Error(
    `could not find a free request id after ${requestIdFor(base, sequence)}: set an explicit \`requestId\``,
  );
}

/**
 * The first sequence number after `used` (a used one) that the server does not know, found with
 * exponential probing then bisection: O(log g) listings for g used ids. Sequences are used in
 * order, so the used ones are contiguous.
 */
export async function firstUnusedSequence(ctx: OperationContext, used: number): Promise<number> {
  const isUsed = async (sequence: number) =>
    (await listRequestNodes(
      ctx.client,
      ctx.inputs.cluster,
      requestIdFor(ctx.inputs.baseRequestId, sequence),
    )) !== undefined;
  let low = used;
  let high = used + 1;
  for (let step = 1; await isUsed(high); step *= 2) {
    low = high;
    high = used + step * 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await isUsed(middle)) low = middle;
    else high = middle;
  }
  return high;
}

async function createOnce(
  ctx: OperationContext,
  requestId: string,
  body: NodeCreationSet,
): Promise<CreateOutcome | "used"> {
  const { client, inputs } = ctx;
  for (let attempt = 1; ; attempt++) {
    let error: unknown;
    try {
      const result = await client.createNodes(inputs.cluster, { requestId, sets: [body] });
      const set = result.sets[0];
      const outcome: CreateOutcome = { kind: "created", requestId, added: set?.added ?? 0 };
      if (set?.message) outcome.message = set.message;
      return outcome;
    } catch (caught) {
      error = caught;
    }
    if (error instanceof HttpError && error.status === 429 && attempt < CREATE_ATTEMPTS) {
      // Throttled: not applied. The same request id makes sending it again safe.
      ctx.log(`create request ${requestId} was throttled (429); sending it again`);
      await sleep(resendDelay(attempt, error.retryAfterMs));
      continue;
    }
    const conflict = error instanceof HttpError && error.status === 409;
    const lost = isLostAnswer(error);
    if (!conflict && !lost) throw error;
    let nodes: NodeInfo[] | undefined;
    try {
      nodes = await listRequestNodes(client, inputs.cluster, requestId);
    } catch (listError) {
      // Whether the server applied the create is unknown: the caller must keep the request id.
      if (lost) throw new UncertainCreateError(requestId, error, listError);
      throw listError;
    }
    if (nodes === undefined) {
      if (conflict) throw error;
      if (attempt >= CREATE_ATTEMPTS) {
        throw new Error(
          `create request ${requestId} was sent ${attempt} times and never applied (CycleCloud does not know it), ` +
            `so it created no node; last answer: ${shortReason(error)}`,
          { cause: error },
        );
      }
      ctx.log(
        `create request ${requestId} ${lostAnswerText(error)}; CycleCloud does not know the request, so it was not applied: ` +
          `sending it again (attempt ${attempt + 1} of ${CREATE_ATTEMPTS})`,
      );
      await sleep(resendDelay(attempt, undefined));
      continue;
    }
    const live = nodes.filter((n) => isMember(n) && matchesSpec(n, inputs));
    if (live.length > 0) {
      ctx.log(
        conflict
          ? `request ${requestId} already exists: adopting its ${live.length} node(s) instead of creating new ones`
          : `create request ${requestId} was applied although its answer was lost: adopting its ${live.length} node(s)`,
      );
      return { kind: "adopted", requestId, nodes: live };
    }
    const foreign = nodes.filter((n) => isMember(n) && !matchesSpec(n, inputs)).length;
    if (foreign > 0) {
      ctx.log(
        `request ${requestId} holds ${foreign} live node(s) of another spec (an older generation): using the next request id`,
      );
    }
    // Committed with no live node of this spec (an earlier generation, or zero nodes added).
    return "used";
  }
}

/**
 * A create whose answer was lost, and whose request could not be listed afterwards either: the
 * server may or may not hold its nodes. The set must record `requestId`, so that refresh, the
 * next update or destroy list it and nothing is orphaned.
 */
export class UncertainCreateError extends Error {
  override readonly name = "UncertainCreateError";
  constructor(
    readonly requestId: string,
    lost: unknown,
    listing: unknown,
  ) {
    super(
      `create request ${requestId} ${lostAnswerText(lost)} and listing its nodes failed too ` +
        `(${shortReason(listing)}); whether CycleCloud applied it is unknown, so the set keeps the request id ` +
        "and the next refresh or up finds its nodes",
      { cause: listing },
    );
  }
}

/** How often one create request is sent at most (throttled, or answer lost and not applied). */
const CREATE_ATTEMPTS = 4;

/** Wait before re-sending a create: the client's backoff, honouring `Retry-After`. */
function resendDelay(attempt: number, retryAfterMs: number | undefined): number {
  const base = Number(
    process.env["CYCLECLOUD_RETRY_BASE_DELAY_MS"] ?? DEFAULT_CLIENT_SETTINGS.retryBaseDelayMs,
  );
  return retryDelay(attempt, {
    baseMs: Number.isFinite(base) && base >= 0 ? base : DEFAULT_CLIENT_SETTINGS.retryBaseDelayMs,
    maxMs: DEFAULT_CLIENT_SETTINGS.retryMaxDelayMs,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/**
 * Whether a create may have reached the server without its answer reaching us. A refused
 * connection, an unknown host or an untrusted certificate means nothing was sent.
 */
function isLostAnswer(error: unknown): boolean {
  if (error instanceof NetworkError) return error.kind === "connection";
  if (error instanceof TimeoutError) return true;
  return error instanceof HttpError && error.status >= 500;
}

/** How an answer was lost: `got no answer (timeout ...)` or `was answered 503 (Service Unavailable)`. */
function lostAnswerText(error: unknown): string {
  if (error instanceof HttpError)
    return `was answered ${error.status}${error.serverMessage ? ` (${error.serverMessage})` : ""}`;
  return `got no answer (${shortReason(error)})`;
}

function shortReason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
