/**
 * The node set's dynamic provider: what the engine's configure/check/diff/create/read/update/delete
 * calls do. It runs in the provider process, loaded by the serialized shim (provider-shim.ts), so it
 * may hold clients and caches: none of it is ever serialized.
 */
import type { dynamic } from "@pulumi/pulumi";
import type { NodeSpec } from "../capacity";
import { capacityFit, describeFit, findBucket, withAddedNodes } from "../capacity";
import { CycleCloudClient, HttpError } from "../client";
import type { ConfigLookup } from "../connection";
import { connectionKey, resolveConnection } from "../connection";
import type { ClusterStatus } from "../schemas";
import { describeDiff, diffNodeSet } from "./diff-node-set";
import type { CheckFailure, NodeSetInputs, PlainConnectionArgs } from "./inputs";
import { containsUnknown, INPUT_KEYS, UNKNOWN, validateInputs, withDefaults } from "./inputs";
import type { OperationContext, SetHoldings } from "./node-set-operations";
import {
  createWithSequence,
  listHoldings,
  manageNodes,
  matchesSpec,
  setName,
  UncertainCreateError,
  waitForSettled,
  waitUntilGone,
} from "./node-set-operations";
import type { Operation } from "./failure-messages";
import { failedMessage, unfinishedMessage } from "./failure-messages";
import type { NodeInfo, NodeSetState } from "./node-set-state";
import {
  isHealthy,
  isMember,
  isStuck,
  nodePhase,
  nodeSetState,
  targetCount,
  toNodeInfo,
} from "./node-set-state";
import { chooseNodesToRemove } from "./choose-nodes-to-remove";
import { canonicalJson, deriveBaseRequestId, REPLACE_KEYS, replaceKeysChanged } from "./request-id";

let stackConfig: ConfigLookup = () => undefined;
const clients = new Map<string, CycleCloudClient>();
const statusCache = new Map<string, { at: number; status: Promise<ClusterStatus> }>();
/** Bucket ids by `[url, cluster, nodearray, machineType]`: stable, so never invalidated. */
const bucketIds = new Map<string, string>();
/**
 * Replacement bases chained by `check`, by identity and replace inputs. For a replacement the
 * engine calls `check` twice in one process: with the old inputs (the base is chained here), then
 * with none, for the create itself; the second call must derive the same base.
 */
const replacementBases = new Map<string, string>();
/**
 * Delete-first replacements seen by `check`, by identity and replace inputs: the old set's spec and
 * node count, freed before the new set is created (read again by the engine's second `check`).
 */
const deleteFirstReplacements = new Map<string, { spec: NodeSpec; nodes: number }>();
/**
 * Increases approved by preflight in this process, per set, while the status they were checked
 * against is cached: the next set of the same plan is checked against what is left.
 */
const plannedIncreases = new Map<string, { cacheKey: string; spec: NodeSpec; nodes: number }>();

/** How long a cluster status read for preflight is reused inside one provider process. */
export const STATUS_CACHE_MS = 10_000;

/**
 * Thrown after nodes were created or changed but the set did not fully converge: the dynamic
 * provider host turns it into a partial failure, so the set is recorded in state with its nodes
 * and the next `pulumi up` heals it.
 */
export class NodeSetPartialFailure extends Error {
  override readonly name = "NodeSetPartialFailure";
  constructor(
    message: string,
    readonly id: string,
    readonly properties: NodeSetState,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

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

/** The cluster status, read at most once per cluster every STATUS_CACHE_MS in this process. */
export function cachedClusterStatus(
  client: CycleCloudClient,
  url: string,
  cluster: string,
): Promise<ClusterStatus> {
  const key = statusCacheKey(url, cluster);
  const hit = statusCache.get(key);
  if (hit && Date.now() - hit.at < STATUS_CACHE_MS) return hit.status;
  forgetClusterStatus(url, cluster);
  const status = client.getClusterStatus(cluster);
  statusCache.set(key, { at: Date.now(), status });
  status.then(
    (read) => rememberBucketIds(url, cluster, read),
    () => statusCache.delete(key),
  );
  return status;
}

function rememberBucketIds(url: string, cluster: string, status: ClusterStatus): void {
  for (const nodearray of status.nodearrays) {
    const first = findBucket(status, { nodearray: nodearray.name });
    if (first) bucketIds.set(JSON.stringify([url, cluster, nodearray.name, null]), first.bucketId);
    for (const bucket of nodearray.buckets) {
      bucketIds.set(
        JSON.stringify([url, cluster, nodearray.name, bucket.definition.machineType]),
        bucket.bucketId,
      );
    }
  }
}

function statusCacheKey(url: string, cluster: string): string {
  return `${url} ${cluster}`;
}

/** Drops the cached status of a cluster (after this process changed its nodes) and its plan. */
function forgetClusterStatus(url: string, cluster: string): void {
  const key = statusCacheKey(url, cluster);
  statusCache.delete(key);
  for (const [identity, planned] of plannedIncreases)
    if (planned.cacheKey === key) plannedIncreases.delete(identity);
}

/** Forgets clients, caches and stack config (tests). */
export function resetProviderState(): void {
  stackConfig = () => undefined;
  clients.clear();
  statusCache.clear();
  plannedIncreases.clear();
  bucketIds.clear();
  replacementBases.clear();
  deleteFirstReplacements.clear();
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
  failures.push(...(await preflight(olds, inputs)));
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
  const key = canonicalJson([news["identity"], spec]);
  const chained = previous === undefined ? replacementBases.get(key) : undefined;
  const base =
    chained ?? deriveBaseRequestId(String(news["identity"]), spec, newExplicitId ? undefined : previous);
  if (previous !== undefined && !newExplicitId) replacementBases.set(key, base);
  return base;
}

/** Inputs that only name the set (unknown in the preview of a new set): no bearing on capacity. */
const NAMING_KEYS = new Set(["identity", "name", "baseRequestId"]);

function capacityInputsUnknown(inputs: NodeSetInputs): boolean {
  return Object.entries(inputs).some(([key, value]) => !NAMING_KEYS.has(key) && containsUnknown(value));
}

/** The key of a set's planned increase: its identity, or (unknown in preview) one of its own. */
let unnamedPlans = 0;
function planKey(inputs: NodeSetInputs): string {
  return containsUnknown(inputs.identity) ? `unknown identity ${++unnamedPlans}` : inputs.identity;
}

/**
 * The preflight capacity check of `check`: when the set grows (new, replaced, or a larger
 * `count`), asks the cluster whether the increase fits, and prints one line picturing the fit.
 */
async function preflight(olds: Record<string, unknown>, inputs: NodeSetInputs): Promise<CheckFailure[]> {
  if (inputs.preflight === "off" || capacityInputsUnknown(inputs)) return [];
  const changed = Object.keys(olds).length > 0 ? replaceKeysChanged(olds, inputs) : [];
  const replacement = Object.keys(olds).length > 0 && changed.length > 0;
  const before = !replacement && typeof olds["count"] === "number" ? olds["count"] : 0;
  let increase = inputs.count - before;
  let heldNote = "";
  if (
    inputs.externalRemovals === "forget" &&
    !replacement &&
    typeof olds["count"] === "number" &&
    olds["count"] !== inputs.count &&
    !containsUnknown(inputs.baseRequestId)
  ) {
    // A new `count` is counted from what the set holds, which is less than its old `count` once it
    // forgot nodes something else removed: the increase is what it will really ask for.
    let held: number;
    try {
      held = await nodesHeldBySet(inputs);
    } catch (error) {
      return [{ property: "adoptExisting", reason: errorText(error) }];
    }
    if (held !== before)
      heldNote = ` (the set holds ${held} node(s): the others were removed outside Pulumi)`;
    increase = inputs.count - held;
  }
  if (increase <= 0) return [];

  let status: ClusterStatus;
  let cacheKey: string;
  try {
    const resolved = resolveConnection(inputs.connection, stackConfig);
    cacheKey = statusCacheKey(resolved.url, inputs.cluster);
    status = await cachedClusterStatus(clientFor(inputs.connection), resolved.url, inputs.cluster);
  } catch (error) {
    const reason = `preflight could not read the status of cluster '${inputs.cluster}': ${errorText(error).replace(/\.$/, "")}`;
    if (inputs.preflight === "warn") {
      log(inputs, `warning: ${reason}`);
      return [];
    }
    return [
      {
        property: "cluster",
        reason:
          error instanceof HttpError && error.status === 404
            ? `${reason}. Check that cluster '${inputs.cluster}' exists and that \`url\` points at the CycleCloud server, or set \`preflight: "off"\` to skip the check`
            : `${reason}. Fix the connection, or set \`preflight: "off"\` to skip the check`,
      },
    ];
  }
  const nodeSpec = {
    nodearray: inputs.nodearray,
    machineType: inputs.machineType,
    placementGroupId: inputs.placementGroupId,
  };
  const key = planKey(inputs);
  let others = 0;
  for (const [identity, planned] of plannedIncreases) {
    if (identity === key || planned.cacheKey !== cacheKey) continue;
    status = withAddedNodes(status, planned.spec, planned.nodes);
    if (findBucket(status, planned.spec)?.bucketId === findBucket(status, nodeSpec)?.bucketId)
      others += planned.nodes;
  }
  let plan = `${heldNote}${others > 0 ? ` (after ${others} node(s) for other sets of this plan)` : ""}`;
  const oldCount = typeof olds["count"] === "number" ? olds["count"] : 0;
  const replacementKey = canonicalJson([
    inputs.identity,
    Object.fromEntries(REPLACE_KEYS.map((k) => [k, inputs[k]])),
  ]);
  if (replacement && inputs.deleteBeforeReplace && oldCount > 0 && olds["cluster"] === inputs.cluster) {
    deleteFirstReplacements.set(replacementKey, {
      spec: {
        nodearray: String(olds["nodearray"]),
        machineType: typeof olds["machineType"] === "string" ? olds["machineType"] : undefined,
        placementGroupId: typeof olds["placementGroupId"] === "string" ? olds["placementGroupId"] : undefined,
      },
      nodes: oldCount,
    });
  }
  // The old set's nodes are terminated before the new ones are created: their room is free. (The
  // engine checks a replacement twice, with the old inputs, then with none: both see it.)
  const freed = inputs.deleteBeforeReplace ? deleteFirstReplacements.get(replacementKey) : undefined;
  if (freed && (replacement || Object.keys(olds).length === 0)) {
    status = withAddedNodes(status, freed.spec, -freed.nodes);
    plan += ` (after the replaced set's ${freed.nodes} node(s) are terminated first)`;
  }
  let fit = capacityFit(status, nodeSpec, increase);
  if (!fit.fits && fit.problem === undefined && !containsUnknown(inputs.baseRequestId)) {
    // The increase was estimated from the inputs. The set may already hold more nodes than its
    // previous inputs say: nodes of a create interrupted after the server committed it, of a
    // failed update (the engine keeps the old inputs but the new nodes), or named by
    // `adoptExisting`. They already hold their share of the capacity: count them, then decide.
    let held: number;
    try {
      held = await nodesHeldBySet(inputs);
    } catch (error) {
      return [{ property: "adoptExisting", reason: errorText(error) }];
    }
    const actual = Math.max(0, inputs.count - held);
    if (actual < increase) {
      plan += ` (${inputs.count - actual} node(s) of this set already exist)`;
      increase = actual;
      fit = capacityFit(status, nodeSpec, increase);
    }
  }
  const line = `preflight ${describeFit(inputs.cluster, nodeSpec, fit)}${plan}`;
  if (fit.fits) {
    plannedIncreases.set(key, { cacheKey, spec: nodeSpec, nodes: increase });
    log(inputs, line);
    return [];
  }
  if (inputs.preflight === "warn") {
    log(inputs, `warning: ${line}`);
    return [];
  }
  if (fit.problem !== undefined) return [{ property: fit.problemField, reason: line }];
  if (replacement && !inputs.deleteBeforeReplace) {
    const what = changed.map((k) => `\`${k}\``).join(", ");
    return [
      {
        property: changed[0] ?? "count",
        reason:
          `${line}; this is a replacement (${what} changed): its ${inputs.count} new node(s) are created before the ` +
          `${oldCount} old one(s) are terminated. Set \`deleteBeforeReplace: true\` (the input or the resource option) ` +
          `to terminate the old nodes first, free capacity in the cluster, or set \`preflight: "warn"\` to try anyway`,
      },
    ];
  }
  const fix = `: lower \`count\` to at most ${before + fit.available}, free capacity in the cluster, or set \`preflight: "warn"\` to try anyway`;
  return [{ property: "count", reason: `${line}${fix}` }];
}

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
  const forgotten = forgottenNodes(inputs, olds, holdings);
  const target = targetCount({ ...inputs, forgottenCount: forgotten.count });
  op.to = target;
  let reasons: string[];
  try {
    reasons = await convergeKeepingTrack(ctx, op, holdings, id, target).finally(() => forgetStatusOf(inputs));
  } catch (error) {
    if (error instanceof NodeSetPartialFailure) throw error;
    // Rethrown only when the set made no request and holds no node: nothing changed.
    throw new Error(failedMessage(op, inputs.cluster, error, olds.nodes.length), { cause: error });
  }
  return { outs: await finish(ctx, op, holdings, reasons, target, id, olds.bucketId, forgotten.count) };
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
  const forgotten = forgottenNodes(inputs, props, holdings);
  const state = nodeSetState(inputs, { ...holdings, ...bucketOf(props), forgottenCount: forgotten.count });
  // The set is a logical object owned by the stack: it keeps its id even with no node left, and
  // the next `up` sees the shortfall and heals it (or, told to forget removed nodes, does not).
  return { id, props: state, inputs: inputs as unknown as Record<string, unknown> };
}

/**
 * With `externalRemovals: "forget"`, the members the state lists that something else has removed
 * since (this set removes only nodes it drops from state first), added to those forgotten before,
 * unless `count` changed since: a new `count` is a new size, counted from what the set holds.
 */
function forgottenNodes(
  inputs: NodeSetInputs,
  olds: NodeSetState,
  holdings: SetHoldings,
): { count: number; names: string[] } {
  if (inputs.externalRemovals !== "forget" || olds.count !== inputs.count) return { count: 0, names: [] };
  const live = new Set(holdings.nodes.filter(isMember).map((n) => n.id));
  const removed = (olds.nodes ?? []).filter((n) => isMember(n) && !live.has(n.id));
  if (removed.length > 0) {
    log(
      inputs,
      `${removed.length} node(s) removed outside Pulumi, forgotten (externalRemovals: "forget"): ${removed.map((n) => n.name).join(", ")}`,
    );
  }
  return { count: (olds.forgottenCount ?? 0) + removed.length, names: removed.map((n) => n.name) };
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
    throw new Error(
      `${failedMessage(op, inputs.cluster, cause, props.nodes?.length ?? 0)}. Run \`pulumi destroy\` again, or raise \`deleteTimeoutSeconds\``,
    );
  }
}

/** Adopts the nodes named by `adoptExisting`, refusing any that does not match the declared spec. */
async function adopt(ctx: OperationContext, holdings: SetHoldings): Promise<SetHoldings> {
  const { inputs, client } = ctx;
  const request = inputs.adoptExisting;
  if (!request) return holdings;
  const found: NodeInfo[] = [];
  const requestIds = [...holdings.requestIds];
  const adoptedNodeIds = [...holdings.adoptedNodeIds];
  const all = (
    await client.listNodes(inputs.cluster, request.requestId ? { requestId: request.requestId } : undefined)
  ).nodes;
  const known = new Set(holdings.nodes.map((n) => n.id));
  const candidates = request.requestId ? all : all.filter((r) => request.nodeIds?.includes(r.NodeId));
  if (request.nodeIds) {
    const missing = request.nodeIds.filter((nodeId) => !all.some((r) => r.NodeId === nodeId));
    if (missing.length > 0) {
      throw new Error(
        `\`adoptExisting.nodeIds\`: cluster '${inputs.cluster}' has no node ${missing.join(", ")}: fix the list of node ids`,
      );
    }
  }
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
 * Brings the set to `count` healthy nodes and (if asked) waits until they are ready: removes
 * failed nodes, starts deallocated ones, shrinks by removing failed, unfinished, then newest nodes,
 * grows with the next request id. Mutates `holdings`; returns why the set did not fully converge.
 */
async function converge(ctx: OperationContext, holdings: SetHoldings, target: number): Promise<string[]> {
  const { inputs } = ctx;
  const reasons: string[] = [];
  const members = () => holdings.nodes.filter(isMember);
  const removed: NodeInfo[] = [];

  const now = Date.now();
  const failed = members().filter(
    (n) => nodePhase(n) === "failed" || isStuck(n, inputs.readyTimeoutSeconds, now),
  );
  if (failed.length > 0) {
    const stuck = failed.filter((n) => nodePhase(n) !== "failed").length;
    const which = stuck > 0 ? ` (${stuck} not ready after ${inputs.readyTimeoutSeconds}s)` : "";
    ctx.log(`replacing ${failed.length} failed node(s)${which}: ${failed.map((n) => n.name).join(", ")}`);
    await manageNodes(ctx, "terminate", failed);
    markLeaving(holdings, failed);
    removed.push(...failed);
  }
  const deallocated = members().filter((n) => nodePhase(n) === "deallocated");
  if (deallocated.length > 0) {
    ctx.log(`starting ${deallocated.length} deallocated node(s)`);
    await manageNodes(ctx, "start", deallocated);
    for (const node of deallocated) node.status = "Acquiring";
  }
  const healthy = members().filter(isHealthy);
  if (healthy.length > target) {
    const excess = chooseNodesToRemove(healthy, healthy.length - target, inputs.baseRequestId);
    ctx.log(
      `shrinking from ${healthy.length} to ${target}: terminating ${excess.map((n) => n.name).join(", ")}`,
    );
    await manageNodes(ctx, "terminate", excess);
    markLeaving(holdings, excess);
    removed.push(...excess);
  }
  for (let round = 0; round < 5; round++) {
    const shortfall = target - members().filter(isHealthy).length;
    if (shortfall <= 0) break;
    const outcome = await createWithSequence(ctx, holdings.requestIds, shortfall);
    holdings.requestIds.push(outcome.requestId);
    if (outcome.kind === "adopted") {
      holdings.nodes.push(...outcome.nodes.filter((n) => !holdings.nodes.some((h) => h.id === n.id)));
      continue;
    }
    ctx.log(`requested ${shortfall} node(s) as ${outcome.requestId}: ${outcome.added} added`);
    const leaving = removed.filter((n) => nodePhase(n) !== "gone");
    if (outcome.added < shortfall && leaving.length > 0 && round < 4) {
      // The nodes being replaced still hold their VMs until they are gone: wait, then ask again.
      ctx.log(`waiting for ${leaving.length} replaced node(s) to terminate before asking again`);
      await waitUntilGone(ctx, leaving, "Terminated", inputs.deleteTimeoutSeconds);
      for (const n of leaving) n.status = "Terminated";
      const fresh = await listHoldings(ctx, holdings, { probeForward: false });
      holdings.nodes = fresh.nodes.filter((n) => !removed.some((r) => r.id === n.id));
      continue;
    }
    if (outcome.added < shortfall) {
      reasons.push(
        `CycleCloud added ${outcome.added} of ${shortfall} requested node(s)${outcome.message ? `: ${outcome.message}` : ""}`,
      );
    }
    break;
  }

  // Adopting the nodes of an interrupted create (made for a larger count) can overshoot.
  const adoptedHealthy = members().filter(isHealthy);
  if (adoptedHealthy.length > target) {
    const excess = chooseNodesToRemove(adoptedHealthy, adoptedHealthy.length - target, inputs.baseRequestId);
    ctx.log(`adopted more nodes than \`count\`: terminating ${excess.map((n) => n.name).join(", ")}`);
    await manageNodes(ctx, "terminate", excess);
    markLeaving(holdings, excess);
    removed.push(...excess);
  }

  // Fresh records for everything, then wait.
  const fresh = await listHoldings(ctx, holdings, { probeForward: false });
  holdings.nodes = fresh.nodes.filter((n) => !removed.some((r) => r.id === n.id));
  if (inputs.waitForReady) {
    const result = await waitForSettled(ctx, holdings, target, inputs.readyTimeoutSeconds);
    holdings.nodes = result.nodes.filter((n) => !removed.some((r) => r.id === n.id));
    if (result.timedOut) {
      const pending = holdings.nodes.filter((n) => isMember(n) && nodePhase(n) === "provisioning");
      reasons.push(
        `timed out after ${inputs.readyTimeoutSeconds}s waiting for readiness: ${pending.length} node(s) not ready ` +
          `(${pending.map((n) => `${n.name}: ${n.status}`).join(", ")}); raise \`readyTimeoutSeconds\` or run \`pulumi up\` again`,
      );
    }
  }
  for (const node of holdings.nodes.filter((n) => isMember(n) && nodePhase(n) === "failed")) {
    reasons.push(`node ${node.name} (${node.id}) failed; the next \`pulumi up\` replaces it`);
  }
  if (removed.length > 0) {
    const stuck = await waitUntilGone(ctx, removed, "Terminated", inputs.deleteTimeoutSeconds);
    if (stuck.length > 0) ctx.log(`warning: ${stuck.length} removed node(s) still terminating`);
  }
  return reasons;
}

/**
 * {@link converge}, but an error after the set made a create request (a listing that fails while
 * waiting, a terminate refused) becomes a partial failure carrying every request id and node known
 * so far: the nodes are recorded in state rather than lost.
 */
async function convergeKeepingTrack(
  ctx: OperationContext,
  op: Operation,
  holdings: SetHoldings,
  id: string,
  target: number,
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
    const message = unfinishedMessage(
      op,
      ctx.inputs.cluster,
      [reason],
      { nodes: state.nodes.length, ready: state.readyCount },
      error,
    );
    // The engine shows the reasons of a partial failure, not its message: give it the whole story.
    throw new NodeSetPartialFailure(message, id, state, [message]);
  }
}

function markLeaving(holdings: SetHoldings, nodes: readonly NodeInfo[]): void {
  const ids = new Set(nodes.map((n) => n.id));
  for (const node of holdings.nodes) if (ids.has(node.id)) node.status = "Terminating";
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
    const key = JSON.stringify([resolved.url, inputs.cluster, inputs.nodearray, machineType ?? null]);
    const known = bucketIds.get(key);
    if (known) return { bucketId: known };
    const status = await cachedClusterStatus(clientFor(inputs.connection), resolved.url, inputs.cluster);
    const bucket = findBucket(status, { nodearray: inputs.nodearray, machineType });
    if (bucket) bucketIds.set(key, bucket.bucketId);
    return bucket ? { bucketId: bucket.bucketId } : {};
  } catch {
    return {};
  }
}

function bucketOf(props: NodeSetState): { bucketId?: string } {
  return props.bucketId ? { bucketId: props.bucketId } : {};
}

function describeSpec(inputs: NodeSetInputs): string {
  const group = inputs.placementGroupId ? ` in placement group '${inputs.placementGroupId}'` : "";
  return `${inputs.count} x ${inputs.machineType ?? "nodes"} in nodearray '${inputs.nodearray}' (cluster '${inputs.cluster}')${group}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
