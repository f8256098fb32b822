/**
 * The node set's dynamic provider: what the engine's configure/check/diff/create/read/update/delete
 * calls do, mapped onto the modules that do the work (preflight, converge, listing, waiting).
 * `check` and `diff` are in node-set-check.ts, `delete` in node-set-delete.ts. It
 * runs in the provider process, loaded by the serialized shim (provider-shim.ts). What it holds
 * between calls lives in a {@link ProviderContext} that `configure` makes and each call passes on.
 */
import type { dynamic } from "@pulumi/pulumi";
import { MAX_MESSAGE_LENGTH, errorText, plainText } from "../client";
import { adopt } from "../ops/adopt-existing";
import { convergeKeepingTrack, forgottenNodes } from "../ops/converge-node-set";
import { NodeSetPartialFailure } from "../core/errors";
import type { Operation } from "../core/failure-messages";
import { describeSpec } from "../core/failure-messages";
import { pickInputs } from "../core/inputs-pick";
import type { SetHoldings } from "../ops/node-set-listing";
import { listHoldings, setName } from "../ops/node-set-listing";
import { failure, finish } from "./node-set-outcome";
import type { NodeSetState } from "../core/node-set-state";
import { isMember, nodeSetState, targetCount } from "../core/node-set-state";
import type { NodeSetProviderOptions } from "./provider-context";
import { ProviderContext } from "./provider-context";
import { check, claimHoldings, diff } from "./node-set-check";
import { deleteSet } from "./node-set-delete";

export { NodeSetPartialFailure, ProviderContext };
export type { NodeSetProviderOptions };

function keepProviderKey<T>(work: Promise<T>, props: Record<string, unknown>): Promise<T> {
  return work.catch((error: unknown) => {
    if (error instanceof NodeSetPartialFailure && props["__provider"] !== undefined) {
      Object.assign(error.properties, { __provider: props["__provider"] });
    }
    throw error;
  });
}

async function create(
  provider: ProviderContext,
  props: Record<string, unknown>,
): Promise<dynamic.CreateResult> {
  const inputs = pickInputs(props);
  const op: Operation = { kind: "create", set: setName(inputs), spec: describeSpec(inputs) };
  const ctx = provider.operation(inputs);
  const id = inputs.baseRequestId;
  let holdings: SetHoldings = { requestIds: [], adoptedNodeIds: [], nodes: [] };
  let reasons: string[];
  try {
    if (inputs.adoptExisting) holdings = await adopt(ctx, holdings);
    // Before any request that changes a node: another set of the stack may have claimed these since `check`.
    const shared = claimHoldings(provider.claims, ctx.claiming, holdings, false);
    if (shared !== undefined) throw new Error(shared);
    reasons = await convergeKeepingTrack(ctx, holdings, { op, id, target: inputs.count }).finally(() =>
      provider.statusCache.changedBy(ctx),
    );
  } catch (error) {
    if (error instanceof NodeSetPartialFailure) throw error;
    // Nothing was made: a plain failure, and nothing is recorded in state.
    throw failure(op, error, { cluster: inputs.cluster, held: 0 });
  }
  if (holdings.nodes.filter(isMember).length === 0 && reasons.length > 0) {
    // Nothing exists: a plain failure, and nothing is recorded in state.
    const fix = "free capacity in the cluster or lower `count`, then run `pulumi up` again";
    const cause = new Error(`${reasons.join("; ")}: ${fix}`);
    throw failure(op, cause, { cluster: inputs.cluster, held: 0 });
  }
  return { id, outs: await finish(provider, ctx, { op, holdings, reasons, target: inputs.count }) };
}

async function update(
  provider: ProviderContext,
  id: string,
  olds: NodeSetState,
  news: Record<string, unknown>,
): Promise<dynamic.UpdateResult> {
  const inputs = pickInputs(news);
  const ctx = provider.operation(inputs);
  const op: Operation = { kind: "update", set: setName(inputs), from: olds.nodes.length, to: inputs.count };
  let holdings: SetHoldings;
  try {
    holdings = await listHoldings(ctx, olds, { probeForward: true });
    if (inputs.adoptExisting) {
      const before = new Set(holdings.nodes.map((n) => n.id));
      holdings = await adopt(ctx, holdings);
      const adopted = holdings.nodes.filter((n) => !before.has(n.id));
      const newRequests = holdings.requestIds.filter((r) => !olds.requestIds.includes(r));
      const claimed = { requestIds: newRequests, adoptedNodeIds: [], nodes: adopted };
      const shared = claimHoldings(provider.claims, ctx.claiming, claimed, false);
      if (shared !== undefined) throw new Error(shared);
    }
  } catch (error) {
    throw failure(op, error, { cluster: inputs.cluster, held: olds.nodes.length });
  }
  const forgottenCount = forgottenNodes(ctx, olds, holdings);
  const target = targetCount({ ...inputs, forgottenCount });
  op.to = target;
  let reasons: string[];
  try {
    reasons = await convergeKeepingTrack(ctx, holdings, { op, id, target }).finally(() =>
      provider.statusCache.changedBy(ctx),
    );
  } catch (error) {
    if (error instanceof NodeSetPartialFailure) throw error;
    // Rethrown only when the set made no request and holds no node: nothing changed.
    throw failure(op, error, { cluster: inputs.cluster, held: olds.nodes.length });
  }
  const end = { op, holdings, reasons, target, knownId: id, knownBucketId: olds.bucketId, forgottenCount };
  return { outs: await finish(provider, ctx, end) };
}

async function read(provider: ProviderContext, id: string, props: NodeSetState): Promise<dynamic.ReadResult> {
  const inputs = pickInputs(props);
  const ctx = provider.operation(inputs);
  let holdings: SetHoldings;
  try {
    holdings = await listHoldings(ctx, props, { probeForward: true });
  } catch (error) {
    const op: Operation = { kind: "refresh", set: setName(inputs) };
    throw failure(op, error, { cluster: inputs.cluster, held: props.nodes?.length ?? 0 });
  }
  const forgottenCount = forgottenNodes(ctx, props, holdings);
  const bucket = props.bucketId ? { bucketId: props.bucketId } : {};
  const state = nodeSetState(inputs, { ...holdings, ...bucket, forgottenCount });
  // The set is a logical object owned by the stack: it keeps its id even with no node left, and
  // the next `up` sees the shortfall and heals it (or, told to forget removed nodes, does not).
  return { id, props: state, inputs: { ...inputs } };
}

/**
 * An error as the engine shows it: its message (and the first line of its stack, which the host
 * prints for some methods) and a partial failure's `reasons` sanitized, so that no terminal escape,
 * control character or forged line of server text reaches the user. The parts that carry server
 * text are sanitized where they are put in a message; this is the last check at the boundary.
 */
function shownError(error: unknown): never {
  if (error instanceof Error) {
    const message = errorText(error);
    if (message !== error.message) {
      if (error.stack?.includes(error.message))
        error.stack = error.stack.replace(error.message, () => message);
      error.message = message;
    }
    if (error instanceof NodeSetPartialFailure) {
      const shown = error.reasons.map((reason) => plainText(reason, MAX_MESSAGE_LENGTH));
      error.reasons.splice(0, error.reasons.length, ...shown);
    }
  }
  throw error;
}

/** A check's failures as the engine shows them: each reason sanitized (see {@link shownError}). */
function shownFailures(result: dynamic.CheckResult): dynamic.CheckResult {
  const failures = result.failures?.map((f) => ({ ...f, reason: plainText(f.reason, MAX_MESSAGE_LENGTH) }));
  return failures === undefined ? result : { ...result, failures };
}

/**
 * A node set provider with its own context: `configure` makes a new one; a call that comes
 * without `configure` (the engine may check, diff or create first) gets a context with no stack
 * config on first use. Tests and the bench make one per test (`options`: logger, tuning, env, clock).
 */
export function createNodeSetProvider(options: NodeSetProviderOptions = {}) {
  let current: ProviderContext | undefined;
  const context = (): ProviderContext => (current ??= new ProviderContext(() => undefined, options));
  // An operation returns once the warnings it sent the engine are delivered (see engine-log.ts).
  const delivered = <T>(work: Promise<T>): Promise<T> =>
    work.catch(shownError).finally(() => context().logger.flush?.() ?? Promise.resolve());
  return {
    configure: async (req: dynamic.ConfigureRequest): Promise<void> => {
      current = new ProviderContext((key) => req.config.get(key), options);
    },
    check: (olds: Record<string, unknown>, news: Record<string, unknown>) =>
      delivered(check(context(), olds, news).then(shownFailures)),
    diff: (id: string, olds: NodeSetState, news: Record<string, unknown>) =>
      delivered(diff(context(), id, olds, news)),
    create: (props: Record<string, unknown>) => delivered(keepProviderKey(create(context(), props), props)),
    read: (id: string, props: NodeSetState) => delivered(read(context(), id, props)),
    update: (id: string, olds: NodeSetState, news: Record<string, unknown>) =>
      delivered(keepProviderKey(update(context(), id, olds, news), news)),
    delete: (id: string, props: NodeSetState) => delivered(deleteSet(context(), id, props)),
  } satisfies dynamic.ResourceProvider;
}
export type NodeSetProvider = ReturnType<typeof createNodeSetProvider>;

/** The provider the shim loads by package name in the provider process. */
export const nodeSetProvider: NodeSetProvider = createNodeSetProvider();
