/**
 * The node set's dynamic provider: what the engine's configure/check/diff/create/read/update/delete
 * calls do. It runs in the provider process, loaded by the serialized shim (provider-shim.ts), so it
 * may hold clients and caches: none of it is ever serialized.
 *
 * About 400 lines: the engine calls plus the provider process's state (stack config, clients,
 * replacement bases). Converging, preflight, the status cache and waiting live in modules of their
 * own; issue 10 turns the remaining module state into an explicit provider context.
 */
import type { dynamic } from "@pulumi/pulumi";
import { findBucket } from "../capacity";
import { CycleCloudClient } from "../client";
import type { ConfigLookup } from "../connection";
import { connectionKey, resolveConnection } from "../connection";
import { describeDiff, diffNodeSet } from "./diff-node-set";
import type { NodeSetInputs, PlainConnectionArgs } from "./inputs";
import { containsUnknown, INPUT_KEYS, UNKNOWN, validateInputs, withDefaults } from "./inputs";
import {
  adopt,
  convergeKeepingTrack,
  describeSpec,
  forgottenNodes,
  NodeSetPartialFailure,
} from "./converge-node-set";
import type { OperationContext, SetHoldings } from "./node-set-operations";
import { manageNodes, waitUntilGone } from "./manage-and-wait";
import { listHoldings, matchesSpec, setName } from "./node-set-operations";
import type { Operation } from "./failure-messages";
import { failedMessage, unfinishedMessage } from "./failure-messages";
import type { NodeInfo, NodeSetState } from "./node-set-state";
import { isMember, nodePhase, nodeSetState, targetCount } from "./node-set-state";
import { deriveBaseRequestId, REPLACE_KEYS, replaceKeysChanged, replacementKeyOf } from "./request-id";
import type { PreflightSources } from "./node-set-preflight";
import { preflight, resetPreflight } from "./node-set-preflight";
import {
  cachedClusterStatus,
  forgetClusterStatus,
  knownBucketId,
  rememberBucketId,
  resetClusterStatusCache,
  statusCacheKey,
} from "./cluster-status-cache";

export { NodeSetPartialFailure };

let stackConfig: ConfigLookup = () => undefined;
const clients = new Map<string, CycleCloudClient>();
/**
 * Replacement bases chained by `check`, by identity and replace inputs. For a replacement the
 * engine calls `check` twice in one process: with the old inputs (the base is chained here), then
 * with none, for the create itself; the second call must derive the same base.
 */
const replacementBases = new Map<string, string>();

function log(inputs: Pick<NodeSetInputs, "identity" | "name">, line: string): void {
  console.log(`cyclecloud ${setName(inputs)}: ${line}`);
}

function clientFor(connection: PlainConnectionArgs | undefined): CycleCloudClient {
  const resolved = resolveConnection(connection, stackConfig);
  const key = connectionKey(resolved);
  let client = clients.get(key);
  if (!client) {
    client = new CycleCloudClient({
      ...resolved,
      ...retryTuning(process.env),
      logger: (line: string) => console.error(`cyclecloud: ${line}`),
    });
    clients.set(key, client);
  }
  return client;
}

/** `CYCLECLOUD_RETRIES` / `CYCLECLOUD_RETRY_BASE_DELAY_MS` tune the client's retries (tests, benchmarks). */
function retryTuning(env: Record<string, string | undefined>): {
  retries?: number;
  retryBaseDelayMs?: number;
} {
  const tuning: { retries?: number; retryBaseDelayMs?: number } = {};
  const retries = Number(env["CYCLECLOUD_RETRIES"]);
  const base = Number(env["CYCLECLOUD_RETRY_BASE_DELAY_MS"]);
  if (env["CYCLECLOUD_RETRIES"] !== undefined && Number.isInteger(retries) && retries >= 0)
    tuning.retries = retries;
  if (env["CYCLECLOUD_RETRY_BASE_DELAY_MS"] !== undefined && Number.isFinite(base) && base >= 0)
    tuning.retryBaseDelayMs = base;
  return tuning;
}

function context(inputs: NodeSetInputs): OperationContext {
  return { client: clientFor(inputs.connection), inputs, log: (line) => log(inputs, line) };
}

/** Forgets clients, caches and stack config (tests). */
export function resetProviderState(): void {
  stackConfig = () => undefined;
  clients.clear();
  resetClusterStatusCache();
  replacementBases.clear();
  resetPreflight();
}

function forgetStatusOf(inputs: NodeSetInputs): void {
  try {
    forgetClusterStatus(resolveConnection(inputs.connection, stackConfig).url, inputs.cluster);
  } catch {
    // No connection, so nothing was cached for it.
  }
}

function asInputs(props: Record<string, unknown>): NodeSetInputs {
  const inputs: Record<string, unknown> = {};
  for (const key of INPUT_KEYS) if (props[key] !== undefined) inputs[key] = props[key];
  return inputs as unknown as NodeSetInputs;
}

async function configure(req: dynamic.ConfigureRequest): Promise<void> {
  const config = req.config;
  stackConfig = (key) => config.get(key);
}

async function check(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<dynamic.CheckResult> {
  const failures = validateInputs(news);
  if (failures.length > 0) return { inputs: news, failures };
  const inputs = withDefaults(news, baseRequestIdFor(olds, news));
  failures.push(...(await preflight(olds, inputs, preflightSources)));
  return { inputs: inputs as unknown as Record<string, unknown>, failures };
}

/**
 * The set's base request id: the one in state, unless a replace-triggering input changed; else
 * derived from the set's identity and spec (chaining the base it replaces). Unknown during a
 * preview that cannot tell yet (an unknown replace input, or a new set whose identity is not made).
 */
function baseRequestIdFor(olds: Record<string, unknown>, news: Record<string, unknown>): string {
  if (REPLACE_KEYS.some((k) => containsUnknown(news[k]))) return UNKNOWN;
  const previous =
    typeof olds["baseRequestId"] === "string" && olds["baseRequestId"] !== UNKNOWN
      ? olds["baseRequestId"]
      : undefined;
  if (previous !== undefined && replaceKeysChanged(olds, news).length === 0) return previous;
  if (containsUnknown(news["identity"])) return UNKNOWN;
  // A replacement chains the base it replaces, unless the user gave a new explicit requestId.
  const spec = Object.fromEntries(REPLACE_KEYS.map((k) => [k, news[k]]));
  const newExplicitId = typeof news["requestId"] === "string" && news["requestId"] !== olds["requestId"];
  const key = replacementKeyOf(news["identity"], news);
  const chained = previous === undefined ? replacementBases.get(key) : undefined;
  const base =
    chained ?? deriveBaseRequestId(String(news["identity"]), spec, newExplicitId ? undefined : previous);
  if (previous !== undefined && !newExplicitId) replacementBases.set(key, base);
  return base;
}

/** Where preflight reads the cluster status (cached for the run) and the set's holdings. */
const preflightSources: PreflightSources = {
  status: async (inputs) => {
    const resolved = resolveConnection(inputs.connection, stackConfig);
    const status = await cachedClusterStatus(clientFor(inputs.connection), resolved.url, inputs.cluster);
    return { status, cacheKey: statusCacheKey(resolved.url, inputs.cluster) };
  },
  held: (inputs) => nodesHeldBySet(inputs),
  log,
};

/**
 * Live nodes of this spec the set holds or will hold without creating them: those of every
 * request id of its base that the server knows, and those `adoptExisting` names. One listing per
 * request id, so it is used only when a plan does not fit. Throws when `adoptExisting` names nodes
 * that do not match the spec.
 */
async function nodesHeldBySet(inputs: NodeSetInputs): Promise<number> {
  const ctx = { ...context(inputs), log: () => undefined };
  let holdings: SetHoldings = { requestIds: [], adoptedNodeIds: [], nodes: [] };
  try {
    holdings = await listHoldings(ctx, { requestIds: [] }, { probeForward: true });
  } catch {
    // Best effort: without the listing, the check is only more cautious.
  }
  if (inputs.adoptExisting) holdings = await adopt(ctx, holdings);
  // Failed members count too: replacing one frees its capacity for its replacement.
  return holdings.nodes.filter((n) => isMember(n) && matchesSpec(n, inputs)).length;
}

async function diff(
  _id: string,
  olds: NodeSetState,
  news: Record<string, unknown>,
): Promise<dynamic.DiffResult> {
  const decision = diffNodeSet(olds, news);
  // The engine shows no property for a change it did not compute (failed or missing nodes): say why.
  const why = describeDiff(olds, news, decision);
  const name = nameOf(news) ?? olds.name;
  if (why !== undefined)
    log(name === undefined ? { identity: olds.identity } : { identity: olds.identity, name }, why);
  return {
    changes: decision.changes,
    replaces: decision.replaces,
    deleteBeforeReplace: decision.deleteBeforeReplace,
  };
}

function nameOf(props: Record<string, unknown>): string | undefined {
  return typeof props["name"] === "string" && !containsUnknown(props["name"]) ? props["name"] : undefined;
}

function keepProviderKey<T>(work: Promise<T>, props: Record<string, unknown>): Promise<T> {
  return work.catch((error: unknown) => {
    if (error instanceof NodeSetPartialFailure && props["__provider"] !== undefined) {
      (error.properties as unknown as Record<string, unknown>)["__provider"] = props["__provider"];
    }
    throw error;
  });
}

async function create(props: Record<string, unknown>): Promise<dynamic.CreateResult> {
  return keepProviderKey(createImpl(props), props);
}

async function createImpl(props: Record<string, unknown>): Promise<dynamic.CreateResult> {
  const inputs = asInputs(props);
  const op: Operation = { kind: "create", set: setName(inputs), spec: describeSpec(inputs) };
  const ctx = context(inputs);
  const id = inputs.baseRequestId;
  let holdings: SetHoldings = { requestIds: [], adoptedNodeIds: [], nodes: [] };
  let reasons: string[];
  try {
    if (inputs.adoptExisting) holdings = await adopt(ctx, holdings);
    reasons = await convergeKeepingTrack(ctx, op, holdings, id, inputs.count).finally(() =>
      forgetStatusOf(inputs),
    );
  } catch (error) {
    if (error instanceof NodeSetPartialFailure) throw error;
    // Nothing was made: a plain failure, and nothing is recorded in state.
    throw new Error(failedMessage(op, inputs.cluster, error, 0), { cause: error });
  }
  if (holdings.nodes.filter(isMember).length === 0 && reasons.length > 0) {
    // Nothing exists: a plain failure, and nothing is recorded in state.
    const fix = "free capacity in the cluster or lower `count`, then run `pulumi up` again";
    throw new Error(failedMessage(op, inputs.cluster, new Error(`${reasons.join("; ")}: ${fix}`), 0));
  }
  return { id, outs: await finish(ctx, op, holdings, reasons, inputs.count) };
}

async function update(
  id: string,
  olds: NodeSetState,
  news: Record<string, unknown>,
): Promise<dynamic.UpdateResult> {
  return keepProviderKey(updateImpl(id, olds, news), news);
}

async function updateImpl(
  id: string,
  olds: NodeSetState,
  news: Record<string, unknown>,
): Promise<dynamic.UpdateResult> {
  const inputs = asInputs(news);
  const ctx = context(inputs);
  const op: Operation = { kind: "update", set: setName(inputs), from: olds.nodes.length, to: inputs.count };
  let holdings: SetHoldings;
  try {
    holdings = await listHoldings(ctx, olds, { probeForward: true });
    if (inputs.adoptExisting) holdings = await adopt(ctx, holdings);
  } catch (error) {
    throw new Error(failedMessage(op, inputs.cluster, error, olds.nodes.length), { cause: error });
  }
  const forgotten = forgottenNodes(ctx, olds, holdings);
  const target = targetCount({ ...inputs, forgottenCount: forgotten });
  op.to = target;
  let reasons: string[];
  try {
    reasons = await convergeKeepingTrack(ctx, op, holdings, id, target).finally(() => forgetStatusOf(inputs));
  } catch (error) {
    if (error instanceof NodeSetPartialFailure) throw error;
    // Rethrown only when the set made no request and holds no node: nothing changed.
    throw new Error(failedMessage(op, inputs.cluster, error, olds.nodes.length), { cause: error });
  }
  return { outs: await finish(ctx, op, holdings, reasons, target, id, olds.bucketId, forgotten) };
}

async function read(id: string, props: NodeSetState): Promise<dynamic.ReadResult> {
  const inputs = asInputs(props as unknown as Record<string, unknown>);
  const ctx = context(inputs);
  let holdings: SetHoldings;
  try {
    holdings = await listHoldings(ctx, props, { probeForward: true });
  } catch (error) {
    const op: Operation = { kind: "refresh", set: setName(inputs) };
    throw new Error(failedMessage(op, inputs.cluster, error, props.nodes?.length ?? 0), { cause: error });
  }
  const forgottenCount = forgottenNodes(ctx, props, holdings);
  const state = nodeSetState(inputs, { ...holdings, ...bucketOf(props), forgottenCount });
  // The set is a logical object owned by the stack: it keeps its id even with no node left, and
  // the next `up` sees the shortfall and heals it (or, told to forget removed nodes, does not).
  return { id, props: state, inputs: inputs as unknown as Record<string, unknown> };
}

async function deleteSet(_id: string, props: NodeSetState): Promise<void> {
  const inputs = asInputs(props as unknown as Record<string, unknown>);
  const ctx = context(inputs);
  const deallocate = inputs.onDelete === "deallocate";
  const op: Operation = {
    kind: "delete",
    set: setName(inputs),
    action: deallocate ? "deallocate" : "terminate",
  };
  let remaining: NodeInfo[];
  try {
    const holdings = await listHoldings(ctx, props, { probeForward: true });
    const targets = holdings.nodes.filter((n) => {
      const phase = nodePhase(n);
      return phase !== "gone" && phase !== "leaving" && !(deallocate && phase === "deallocated");
    });
    if (targets.length > 0) {
      ctx.log(`${deallocate ? "deallocating" : "terminating"} ${targets.length} node(s)`);
      await manageNodes(ctx, deallocate ? "deallocate" : "terminate", targets).finally(() =>
        forgetStatusOf(inputs),
      );
    }
    const pending = holdings.nodes.filter((n) => nodePhase(n) !== "gone");
    remaining = await waitUntilGone(
      ctx,
      pending,
      deallocate ? "Deallocated" : "Terminated",
      inputs.deleteTimeoutSeconds,
    );
  } catch (error) {
    throw new Error(failedMessage(op, inputs.cluster, error, props.nodes?.length ?? 0), { cause: error });
  }
  if (remaining.length > 0) {
    const cause = new Error(
      `${remaining.length} node(s) still not ${deallocate ? "deallocated" : "terminated"} after ${inputs.deleteTimeoutSeconds}s ` +
        `(${remaining.map((n) => `${n.name}: ${n.status}`).join(", ")})`,
    );
    const step = "run `pulumi destroy` again, or raise `deleteTimeoutSeconds`";
    throw new Error(failedMessage(op, inputs.cluster, cause, props.nodes?.length ?? 0, step));
  }
}

/** The final state; throws a partial failure (with that state) if the set did not converge. */
async function finish(
  ctx: OperationContext,
  op: Operation,
  holdings: SetHoldings,
  reasons: string[],
  target: number,
  knownId?: string,
  knownBucketId?: string,
  forgottenCount?: number,
): Promise<NodeSetState> {
  const { inputs } = ctx;
  const id = knownId ?? inputs.baseRequestId;
  const bucket = knownBucketId ? { bucketId: knownBucketId } : await bucketFor(ctx, holdings.nodes);
  const extra = forgottenCount ? { forgottenCount } : {};
  const state = nodeSetState(inputs, { ...holdings, ...bucket, ...extra });
  if (reasons.length > 0) {
    const ready = `${state.readyCount}/${target} ready`;
    throw new NodeSetPartialFailure(
      unfinishedMessage(op, inputs.cluster, [ready, ...reasons], {
        nodes: state.nodes.length,
        ready: state.readyCount,
      }),
      id,
      state,
      reasons,
    );
  }
  return state;
}

/**
 * The bucket the set's nodes are in. Bucket ids are stable for a cluster's life, so they are
 * remembered from any status this process read (preflight) and the status is read only when
 * none was; omitted if unknown.
 */
async function bucketFor(ctx: OperationContext, nodes: readonly NodeInfo[]): Promise<{ bucketId?: string }> {
  const { inputs } = ctx;
  const machineType = inputs.machineType ?? nodes.find((n) => n.machineType)?.machineType;
  try {
    const resolved = resolveConnection(inputs.connection, stackConfig);
    const where = { url: resolved.url, cluster: inputs.cluster, nodearray: inputs.nodearray, machineType };
    const known = knownBucketId(where);
    if (known) return { bucketId: known };
    const status = await cachedClusterStatus(clientFor(inputs.connection), resolved.url, inputs.cluster);
    const bucket = findBucket(status, { nodearray: inputs.nodearray, machineType });
    if (bucket) rememberBucketId(where, bucket.bucketId);
    return bucket ? { bucketId: bucket.bucketId } : {};
  } catch {
    return {};
  }
}

function bucketOf(props: NodeSetState): { bucketId?: string } {
  return props.bucketId ? { bucketId: props.bucketId } : {};
}

/** The provider the shim loads by package name in the provider process. */
export const nodeSetProvider = {
  configure,
  check,
  diff,
  create,
  read,
  update,
  delete: deleteSet,
} satisfies dynamic.ResourceProvider;
export type NodeSetProvider = typeof nodeSetProvider;
