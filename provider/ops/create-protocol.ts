/**
 * The create protocol of a node set: the next request id of the set's sequence, a 409 answered by
 * adopting or moving on, a lost answer looked up before anything is sent again. No Pulumi here.
 */
import { setTimeout } from "node:timers/promises";
import { DEFAULT_CLIENT_SETTINGS, HttpError, errorText, plainText, retryDelay } from "../client";
import type { NodeCreationSet } from "../../wire/schemas";
import { UncertainCreateError } from "../core/errors";
import type { NodeSetInputs } from "../core/inputs";
import { isLostAnswer, lostAnswerText } from "../core/lost-answer";
import type { OperationContext } from "./node-set-listing";
import { listRequestNodes, matchesSpec } from "./node-set-listing";
import type { NodeInfo } from "../core/node-set-state";
import { isMember } from "../core/node-set-state";
import { nextSequence, requestIdFor } from "../core/request-id";

/** The create set for `count` nodes of this spec. */
function creationSet(inputs: NodeSetInputs, count: number): NodeCreationSet {
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
  const { cluster, baseRequestId: base } = ctx.inputs;
  const isUsed = async (sequence: number) =>
    (await listRequestNodes(ctx.client, cluster, requestIdFor(base, sequence))) !== undefined;
  let low = used;
  let high = used + 1;
  for (let step = 1; await isUsed(high); step *= 2) {
    if (step >= MAX_SEQUENCE_STEP) {
      // A server that knows every id (answering an unknown one with an empty listing, say).
      throw new Error(
        `CycleCloud knows every request id from ${requestIdFor(base, used)} to ` +
          `${requestIdFor(base, high)}: could not find a free one; set an explicit \`requestId\``,
      );
    }
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
      // The server's words, only ever shown: sanitized here, where they come in.
      if (set?.message) outcome.message = plainText(set.message);
      return outcome;
    } catch (caught) {
      error = caught;
    }
    if (error instanceof HttpError && error.status === 429 && attempt < CREATE_ATTEMPTS) {
      // Throttled: not applied. The same request id makes sending it again safe.
      ctx.log(`create request ${requestId} was throttled (429); sending it again`);
      await setTimeout(resendDelay(ctx, attempt, error.retryAfterMs));
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
      if (attempt >= CREATE_ATTEMPTS)
        throw new Error(
          `create request ${requestId} was sent ${attempt} times and never applied (CycleCloud does not know it), ` +
            `so it created no node; last answer: ${errorText(error)}`,
          { cause: error },
        );
      ctx.log(
        `create request ${requestId} ${lostAnswerText(error)}; CycleCloud does not know the request, so it was not applied: ` +
          `sending it again (attempt ${attempt + 1} of ${CREATE_ATTEMPTS})`,
      );
      await setTimeout(resendDelay(ctx, attempt, undefined));
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
    if (foreign > 0)
      ctx.log(
        `request ${requestId} holds ${foreign} live node(s) of another spec (an older generation): using the next request id`,
      );
    // Committed with no live node of this spec (an earlier generation, or zero nodes added).
    return "used";
  }
}

/** The longest jump when looking for a free request id: about a million ids, in 21 listings. */
const MAX_SEQUENCE_STEP = 2 ** 20;

/** How often one create request is sent at most (throttled, or answer lost and not applied). */
const CREATE_ATTEMPTS = 4;

/** Wait before re-sending a create: the client's backoff, honouring `Retry-After`. */
function resendDelay(ctx: OperationContext, attempt: number, retryAfterMs: number | undefined): number {
  return retryDelay(attempt, {
    baseMs: ctx.tuning.retryBaseDelayMs,
    maxMs: DEFAULT_CLIENT_SETTINGS.retryMaxDelayMs,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
