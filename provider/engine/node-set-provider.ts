// Over 400 lines: the engine adapter of all seven engine calls; the typed SetChange of issue 23 is to move its property-bag parsing out (not done yet).
/**
 * The node set's dynamic provider: what the engine's configure/check/diff/create/read/update/delete
 * calls do, mapped onto the modules that do the work (preflight, converge, listing, waiting). It
 * runs in the provider process, loaded by the serialized shim (provider-shim.ts). What it holds
 * between calls lives in a {@link ProviderContext} that `configure` makes and each call passes on.
 */
import type { dynamic } from "@pulumi/pulumi";
import { MAX_MESSAGE_LENGTH, errorText, plainText } from "../client";
import { baseRequestIdFor, requestIdFailures } from "../core/base-request-id";
import { keptNodesHint, keptNodesNotice } from "../core/adoption-ownership";
import { adopt, convergeKeepingTrack, describeSpec, forgottenNodes } from "../ops/converge-node-set";
import { describeAdoption, describeDiff, diffNodeSet } from "../core/diff-node-set";
import { DiffRefusalError, NodeSetPartialFailure } from "../core/errors";
import type { Operation } from "../core/failure-messages";
import { failedMessage } from "../core/failure-messages";
import type { NodeSetInputs } from "../core/inputs";
import { validateInputs, withoutSecretValues } from "../core/inputs-check";
import { pickInputs, withDefaults } from "../core/inputs-pick";
import { containsUnknown } from "../core/inputs-unknown";
import { manageNodes, waitUntilGone } from "../ops/manage-and-wait";
import type { SetHoldings } from "../ops/node-set-listing";
import { listHoldings, matchesSpec, setName } from "../ops/node-set-listing";
import { bucketOf, finish } from "./node-set-outcome";
import type { PreflightSources } from "../core/node-set-preflight";
import { countByGroup } from "../core/placement-group-preflight";
import { preflight, preflightReportMessage } from "../core/node-set-preflight";
import { engineLog } from "./engine-log";
import { urnOfIdentity } from "./logger";
import type { NodeInfo, NodeSetState } from "../core/node-set-state";
import { isMember, nodePhase, nodeSetState, targetCount } from "../core/node-set-state";
import type { NodeSetProviderOptions } from "./provider-context";
import { ProviderContext } from "./provider-context";
import { setLabel } from "./logger";
import { isRequestIdOf, replacementKeyOf } from "../core/request-id";
import { terminateSet } from "../ops/terminate-set";
import { updatePreflight } from "../core/update-preflight";

export { NodeSetPartialFailure, ProviderContext };
export type { NodeSetProviderOptions };

async function check(
  provider: ProviderContext,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<dynamic.CheckResult> {
  if (typeof news["identity"] === "string" && !containsUnknown(news["identity"]))
    provider.plan.checked.add(news["identity"]);
  const failures = [...validateInputs(news), ...requestIdFailures(provider.replacementBases, olds, news)];
  if (failures.length > 0) return { inputs: news, failures: withoutSecretValues(failures) };
  const inputs = withDefaults(news, baseRequestIdFor(provider.replacementBases, olds, news));
  const shared = claimAdoptions(provider, olds, inputs);
  if (shared !== undefined)
    return { inputs: { ...inputs }, failures: [{ property: "adoptExisting", reason: shared }] };
  const checked = { ...inputs, preflight: preflightMode(provider.env, inputs) };
  failures.push(...(await preflight(olds, checked, preflightSources(provider, olds), provider.plan)));
  if (failures.length === 0 && isNewSet(provider, olds, news) && inputs.adoptExisting !== undefined) {
    // diff (which says it for an update) is not called for a create: the preview shows it here.
    provider.log(inputs, `create: ${describeAdoption(inputs.adoptExisting)}`);
  }
  return { inputs: { ...inputs }, failures: withoutSecretValues(failures) };
}

/**
 * Claims, for this run, the nodes the set adopted before (its old inputs' `adoptExisting`: it holds
 * them) and those its `adoptExisting` adopts now; returns why another set of the stack claimed some
 * of them first, or undefined. No cluster read.
 */
function claimAdoptions(
  provider: ProviderContext,
  olds: Record<string, unknown>,
  inputs: NodeSetInputs,
): string | undefined {
  const claimant = provider.claims.claimant(inputs.identity, setLabel(setName(inputs), inputs.identity));
  const scope = provider.claimScope(inputs);
  return (
    provider.claims.claim(claimant, { scope, ...adoptionIds(olds["adoptExisting"]), holds: true }) ??
    provider.claims.claim(claimant, { scope, ...adoptionIds(inputs.adoptExisting), holds: false })
  );
}

/** The request and node ids an `adoptExisting` value names (none for an unknown or absent one). */
function adoptionIds(value: unknown): { requestIds: string[]; nodeIds: string[] } {
  if (typeof value !== "object" || value === null) return { requestIds: [], nodeIds: [] };
  const { requestId, nodeIds } = value as { requestId?: unknown; nodeIds?: unknown };
  return {
    requestIds: typeof requestId === "string" ? [requestId] : [],
    nodeIds: Array.isArray(nodeIds) ? nodeIds.filter((id): id is string => typeof id === "string") : [],
  };
}

/**
 * Claims, for this run, every node a set's state holds (its own and adopted requests, nodes adopted
 * by id, the nodes it lists); returns why another set claimed some of them first, or undefined.
 */
function claimHoldings(
  provider: ProviderContext,
  inputs: NodeSetInputs,
  held: { requestIds?: readonly string[]; adoptedNodeIds?: readonly string[]; nodes?: readonly NodeInfo[] },
  holds: boolean,
): string | undefined {
  const claimant = provider.claims.claimant(inputs.identity, setLabel(setName(inputs), inputs.identity));
  return provider.claims.claim(claimant, {
    scope: provider.claimScope(inputs),
    requestIds: held.requestIds ?? [],
    nodeIds: [...(held.adoptedNodeIds ?? []), ...(held.nodes ?? []).map((n) => n.id)],
    holds,
  });
}

/**
 * Whether `check` sees a new set: no old inputs, and not the engine's second `check` of a
 * replacement (also without old inputs; the first one recorded its base in `replacementBases`).
 */
function isNewSet(
  provider: ProviderContext,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): boolean {
  if (Object.keys(olds).length > 0) return false;
  return (
    containsUnknown(news["identity"]) ||
    !provider.replacementBases.has(replacementKeyOf(news["identity"], news))
  );
}

/**
 * `CYCLECLOUD_PREFLIGHT_OVERRIDE=warn|off|report`: the preflight mode of every set of the run,
 * whatever its `preflight` input (the inputs and state keep theirs). `report` is the mode of
 * `pulumi-cyclecloud plan`'s preview: each set keeps its own mode, but every capacity decision is
 * sent to the engine as data (see {@link PreflightReport}) and a capacity refusal is not returned,
 * so the engine emits every set's step and the plan shows what preflight computed.
 */
function preflightOverride(env: Record<string, string | undefined>): "warn" | "off" | "report" | undefined {
  const value = env["CYCLECLOUD_PREFLIGHT_OVERRIDE"];
  return value === "warn" || value === "off" || value === "report" ? value : undefined;
}

/** The mode a set's preflight runs in (`report` keeps the set's own). */
function preflightMode(
  env: Record<string, string | undefined>,
  inputs: NodeSetInputs,
): NodeSetInputs["preflight"] {
  const override = preflightOverride(env);
  return override === undefined || override === "report" ? inputs.preflight : override;
}

/** Report mode: each capacity decision as an info diagnostic of the set (printed without an engine). */
function reportTo(provider: ProviderContext): PreflightSources["report"] {
  if (preflightOverride(provider.env) !== "report") return undefined;
  return (inputs, report) => {
    const urn = urnOfIdentity(inputs.identity);
    const message = preflightReportMessage(setName(inputs), urn, report);
    const print = () => provider.logger.info(message);
    const engine = engineLog();
    if (engine) engine.info(message, urn, print);
    else print();
  };
}

/**
 * Where preflight reads the cluster status (cached for the run) and the set's holdings; `olds`, the
 * old inputs `check` got, name what the set adopted before (see {@link nodesHeldBySet}).
 */
function preflightSources(provider: ProviderContext, olds: Record<string, unknown> = {}): PreflightSources {
  const report = reportTo(provider);
  return {
    status: (inputs) => provider.clusterStatus(inputs),
    held: async (inputs) => (await nodesHeldBySet(provider, inputs, olds)).held,
    heldByGroup: async (inputs) => (await nodesHeldBySet(provider, inputs, olds)).byGroup,
    warmPool: async (inputs) => (await nodesHeldBySet(provider, inputs, olds)).deallocated,
    keptNodes: (inputs) => keptNodes(provider, inputs),
    log: (inputs, line) => provider.log(inputs, line),
    warn: (inputs, text) => provider.warn(inputs, text),
    ...(report === undefined ? {} : { report }),
  };
}

/**
 * For a preflight refusal: deallocated nodes of the set's nodearray (and machine type) in the
 * cluster that neither this set (its requests, what it adopts) nor any set claimed in this run
 * holds. Nodes a deallocating delete kept hold quota that may bind the refusal. One unfiltered
 * listing.
 */
async function keptNodes(provider: ProviderContext, inputs: NodeSetInputs): Promise<string | undefined> {
  const list = await provider.client(inputs.connection).listNodes(inputs.cluster);
  const scope = provider.claimScope(inputs);
  const base = inputs.baseRequestId;
  const kept = list.nodes
    .filter((r) => r.Status === "Deallocated" && r.Template === inputs.nodearray)
    .filter((r) => inputs.machineType === undefined || r.MachineType === inputs.machineType)
    .map((r) => ({
      nodeId: r.NodeId,
      name: r.Name,
      ...(typeof r.RequestId === "string" ? { requestId: r.RequestId } : {}),
    }))
    .filter((n) => n.requestId === undefined || containsUnknown(base) || !isRequestIdOf(base, n.requestId))
    .filter((n) => provider.claims.holderOf("", scope, n) === undefined);
  return keptNodesHint(inputs, kept);
}

/**
 * Live nodes of this spec the set holds or will hold without creating them: those of every
 * request id of its base that the server knows, those it adopted before (what its old inputs'
 * `adoptExisting` named, while it keeps its base: not a replacement), and those `adoptExisting`
 * names. One listing per request id, so it is used only when a plan does not fit or the set adopts.
 * Throws when `adoptExisting` names nodes that do not match the spec or are not nodearray nodes.
 */
async function nodesHeldBySet(
  provider: ProviderContext,
  inputs: NodeSetInputs,
  olds: Record<string, unknown>,
): Promise<{ held: number; deallocated: number; byGroup: ReadonlyMap<string, number> }> {
  const ctx = { ...provider.operation(inputs), log: () => undefined, warn: () => undefined };
  let holdings: SetHoldings = { requestIds: [], adoptedNodeIds: [], nodes: [] };
  // In the preview of a new set its base request id is unknown: it holds nothing of its own yet.
  if (!containsUnknown(inputs.baseRequestId)) {
    try {
      holdings = await listHoldings(ctx, adoptedBefore(olds, inputs), { probeForward: true });
    } catch {
      // Best effort: without the listing, the check is only more cautious.
    }
  }
  if (inputs.adoptExisting) holdings = await adopt(ctx, holdings);
  // Failed members count too: replacing one frees its capacity for its replacement. Deallocated
  // ones (the warm pool) hold their quota, but starting them needs room in the nodearray: the
  // preflight checks that apart (`warmPool`).
  const members = holdings.nodes.filter((n) => isMember(n) && matchesSpec(n, inputs));
  return {
    held: members.length,
    deallocated: members.filter((n) => nodePhase(n) === "deallocated").length,
    byGroup: countByGroup(members),
  };
}

/**
 * What the set adopted before, from its old inputs: the request or node ids their `adoptExisting`
 * named. None for a replacement (another base: the old set's nodes go with it) or a new set.
 */
function adoptedBefore(
  olds: Record<string, unknown>,
  inputs: NodeSetInputs,
): { requestIds: string[]; adoptedNodeIds: string[] } {
  const old = olds["adoptExisting"] as { requestId?: unknown; nodeIds?: unknown } | undefined;
  if (olds["baseRequestId"] !== inputs.baseRequestId || typeof old !== "object" || old === null)
    return { requestIds: [], adoptedNodeIds: [] };
  return {
    requestIds: typeof old.requestId === "string" ? [old.requestId] : [],
    adoptedNodeIds: Array.isArray(old.nodeIds) ? old.nodeIds.filter((id) => typeof id === "string") : [],
  };
}

async function diff(
  provider: ProviderContext,
  _id: string,
  olds: NodeSetState,
  news: Record<string, unknown>,
): Promise<dynamic.DiffResult> {
  const decision = diffNodeSet(olds, news, provider.now());
  // The engine shows no property for a change it did not compute (failed or missing nodes): say why.
  const why = describeDiff(olds, news, decision);
  const name = nameOf(news) ?? olds.name;
  if (why !== undefined)
    provider.log(name === undefined ? { identity: olds.identity } : { identity: olds.identity, name }, why);
  // Not in a refresh (which diffs without checking): it must record what it found, fit or not.
  const wasChecked = typeof news["identity"] === "string" && provider.plan.checked.has(news["identity"]);
  // What the set holds is claimed for the run, so that no other set of the stack adopts it.
  const shared = claimHoldings(provider, pickInputs(olds), olds, true);
  if (shared !== undefined && wasChecked)
    throw new DiffRefusalError(
      `${setLabel(name ?? setName(olds), olds.identity)}: ${shared}`,
      "cyclecloud: two node sets claim the same nodes",
    );
  if (decision.changes && decision.replaces.length === 0 && wasChecked) {
    // `check` saw only the inputs: the nodes the update re-creates are counted here, from the state.
    const inputs = pickInputs(news);
    const checked = { ...inputs, preflight: preflightMode(provider.env, inputs) };
    const refused = await updatePreflight(
      olds,
      checked,
      preflightSources(provider),
      provider.plan,
      provider.now(),
    );
    if (refused !== undefined)
      throw new DiffRefusalError(
        `cyclecloud ${setName(inputs)}: ${refused}`,
        "cyclecloud: preflight refused the update",
      );
  }
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
    const shared = claimHoldings(provider, inputs, holdings, false);
    if (shared !== undefined) throw new Error(shared);
    reasons = await convergeKeepingTrack(ctx, op, holdings, id, inputs.count).finally(() =>
      provider.changedBy(ctx),
    );
  } catch (error) {
    if (error instanceof NodeSetPartialFailure) throw error;
    // Nothing was made: a plain failure, and nothing is recorded in state.
    throw failure(op, inputs.cluster, error, 0);
  }
  if (holdings.nodes.filter(isMember).length === 0 && reasons.length > 0) {
    // Nothing exists: a plain failure, and nothing is recorded in state.
    const fix = "free capacity in the cluster or lower `count`, then run `pulumi up` again";
    const cause = new Error(`${reasons.join("; ")}: ${fix}`);
    throw failure(op, inputs.cluster, cause, 0);
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
      const shared = claimHoldings(
        provider,
        inputs,
        { requestIds: newRequests, adoptedNodeIds: [], nodes: adopted },
        false,
      );
      if (shared !== undefined) throw new Error(shared);
    }
  } catch (error) {
    throw failure(op, inputs.cluster, error, olds.nodes.length);
  }
  const forgotten = forgottenNodes(ctx, olds, holdings);
  const target = targetCount({ ...inputs, forgottenCount: forgotten });
  op.to = target;
  let reasons: string[];
  try {
    reasons = await convergeKeepingTrack(ctx, op, holdings, id, target).finally(() =>
      provider.changedBy(ctx),
    );
  } catch (error) {
    if (error instanceof NodeSetPartialFailure) throw error;
    // Rethrown only when the set made no request and holds no node: nothing changed.
    throw failure(op, inputs.cluster, error, olds.nodes.length);
  }
  return {
    outs: await finish(provider, ctx, {
      op,
      holdings,
      reasons,
      target,
      knownId: id,
      knownBucketId: olds.bucketId,
      forgottenCount: forgotten,
    }),
  };
}

async function read(provider: ProviderContext, id: string, props: NodeSetState): Promise<dynamic.ReadResult> {
  const inputs = pickInputs(props);
  const ctx = provider.operation(inputs);
  let holdings: SetHoldings;
  try {
    holdings = await listHoldings(ctx, props, { probeForward: true });
  } catch (error) {
    const op: Operation = { kind: "refresh", set: setName(inputs) };
    throw failure(op, inputs.cluster, error, props.nodes?.length ?? 0);
  }
  const forgottenCount = forgottenNodes(ctx, props, holdings);
  const state = nodeSetState(inputs, { ...holdings, ...bucketOf(props), forgottenCount });
  // The set is a logical object owned by the stack: it keeps its id even with no node left, and
  // the next `up` sees the shortfall and heals it (or, told to forget removed nodes, does not).
  return { id, props: state, inputs: { ...inputs } };
}

async function deleteSet(provider: ProviderContext, _id: string, props: NodeSetState): Promise<void> {
  const inputs = pickInputs(props);
  const ctx = provider.operation(inputs);
  const deallocate = inputs.onDelete === "deallocate";
  const op: Operation = {
    kind: "delete",
    set: setName(inputs),
    action: deallocate ? "deallocate" : "terminate",
  };
  const spare = sparingOthers(provider, inputs);
  let remaining: NodeInfo[];
  try {
    if (!deallocate) {
      // Probe, terminate (the warm pool too), then one listing that confirms and finds what the state lacked.
      remaining = await terminateSet(ctx, props, {
        timeoutSeconds: inputs.deleteTimeoutSeconds,
        onTerminate: () => provider.forgetStatusOf(inputs),
        spare,
      });
    } else {
      const holdings = await listHoldings(ctx, props, {
        probeForward: true,
        fate: "deallocating them with the set",
      });
      // Nodes another set of the stack holds are left to it.
      const present = spare(holdings.nodes.filter((n) => nodePhase(n) !== "gone"));
      const live = present.filter((n) => nodePhase(n) !== "leaving");
      // The warm pool (`scaleDown: "deallocate"`) goes with the set; the rest is deallocated.
      const pool =
        inputs.scaleDown === "deallocate" ? live.filter((n) => nodePhase(n) === "deallocated") : [];
      const targets = live.filter((n) => nodePhase(n) !== "deallocated");
      try {
        if (targets.length > 0) {
          ctx.log(`deallocating ${targets.length} node(s)`);
          await manageNodes(ctx, "deallocate", targets);
        }
        if (pool.length > 0) {
          ctx.log(`terminating ${pool.length} node(s) of the warm pool`);
          await manageNodes(ctx, "terminate", pool);
        }
      } finally {
        provider.forgetStatusOf(inputs);
      }
      const kept = live.filter((n) => !pool.includes(n));
      if (kept.length > 0) ctx.warn(keptNodesNotice(inputs, kept, props.adoptedNodeIds ?? []));
      const pending = present.filter((n) => !pool.includes(n));
      remaining = [
        ...(await waitUntilGone(ctx, pool, "Terminated", inputs.deleteTimeoutSeconds)),
        ...(await waitUntilGone(ctx, pending, "Deallocated", inputs.deleteTimeoutSeconds)),
      ];
    }
  } catch (error) {
    throw failure(op, inputs.cluster, error, props.nodes?.length ?? 0);
  }
  if (remaining.length > 0) {
    const cause = new Error(
      `${remaining.length} node(s) still not ${deallocate ? "deallocated" : "terminated"} after ${inputs.deleteTimeoutSeconds}s ` +
        `(${remaining.map((n) => `${n.name}: ${n.status}`).join(", ")})`,
    );
    const step = "run `pulumi destroy` again, or raise `deleteTimeoutSeconds`";
    throw failure(op, inputs.cluster, cause, props.nodes?.length ?? 0, step);
  }
}

/**
 * What a delete leaves alone: of `nodes`, those another set of the stack holds or adopts in this
 * run (they are its own: a node belongs to one set) are dropped, with a line naming them.
 */
function sparingOthers(provider: ProviderContext, inputs: NodeSetInputs): (nodes: NodeInfo[]) => NodeInfo[] {
  const claimant = provider.claims.claimant(inputs.identity, setLabel(setName(inputs), inputs.identity));
  const scope = provider.claimScope(inputs);
  return (nodes) => {
    const byHolder = new Map<string, NodeInfo[]>();
    const ours: NodeInfo[] = [];
    for (const node of nodes) {
      const holder = provider.claims.holderOf(claimant.key, scope, {
        nodeId: node.id,
        ...(node.requestId === undefined ? {} : { requestId: node.requestId }),
      });
      if (holder === undefined) ours.push(node);
      else byHolder.set(holder, [...(byHolder.get(holder) ?? []), node]);
    }
    for (const [holder, left] of byHolder) {
      provider.warn(
        inputs,
        `leaving ${left.length} node(s) that ${holder} of this stack holds too (${left.map((n) => n.name).join(", ")}): ` +
          "a node belongs to one set, and the other set keeps them",
      );
    }
    return ours;
  };
}

/**
 * The error of an operation that failed before it changed anything, or (delete) before its nodes
 * were gone: its message names the set, the operation, the cause and the next step.
 *
 * How the engine shows it is Pulumi's: the dynamic provider host answers a failed `create` or
 * `update` with the message alone, but for `delete` (and `check`, `diff`, `read`) it first prints
 * `${error}: ${error.stack}` to the provider's stderr and then returns the error, so the user sees
 * the message twice and a stack trace. A plain `Error` was printed the same way.
 */
function failure(op: Operation, cluster: string, cause: unknown, held: number, step?: string): Error {
  return new Error(failedMessage({ op, cluster, error: cause, held, step }), { cause });
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
      error.reasons.splice(
        0,
        error.reasons.length,
        ...error.reasons.map((reason) => plainText(reason, MAX_MESSAGE_LENGTH)),
      );
    }
  }
  throw error;
}

/** A check's failures as the engine shows them: each reason sanitized (see {@link shownError}). */
function shownFailures(result: dynamic.CheckResult): dynamic.CheckResult {
  const failures = result.failures?.map((failure) => ({
    ...failure,
    reason: plainText(failure.reason, MAX_MESSAGE_LENGTH),
  }));
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
      const config = req.config;
      current = new ProviderContext((key) => config.get(key), options);
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
