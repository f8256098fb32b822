/**
 * The engine's `check` and `diff` of a node set: where the engine's property bags become a typed
 * {@link SetChange}, the run's claims on nodes are made (one owner per node), and preflight reads
 * the cluster. Create, update, read and delete are in node-set-provider.ts and node-set-delete.ts.
 */
import type { dynamic } from "@pulumi/pulumi";
import { baseRequestIdFor, isRecordedReplacement, requestIdFailures } from "../core/base-request-id";
import type { AdoptionClaims, ClaimingSet } from "../core/adoption-ownership";
import { keptNodesHint } from "../core/adoption-ownership";
import { adopt } from "../ops/converge-node-set";
import { describeAdoption, describeDiff, diffNodeSet } from "../core/diff-node-set";
import { DiffRefusalError } from "../core/errors";
import type { NodeSetInputs } from "../core/inputs";
import { containsUnknown } from "../core/inputs-unknown";
import { pickInputs, withDefaults } from "../core/inputs-pick";
import { validateInputs, withoutSecretValues } from "../core/inputs-check";
import type { NodeSetClient, OperationContext, SetHoldings } from "../ops/node-set-listing";
import { listOwnNodes, matchesSpec, setName } from "../ops/node-set-listing";
import type { PreflightSources } from "../core/node-set-preflight";
import { preflight } from "../core/node-set-preflight";
import { preflightReportMessage } from "../core/preflight-report";
import { countByGroup } from "../core/placement-group-preflight";
import type { NodeList } from "../../wire/schemas";
import type { Bag, PriorSet } from "../core/set-change";
import { adoptionIds, checkedChange, priorOf } from "../core/set-change";
import type { NodeInfo, NodeSetState } from "../core/node-set-state";
import { isMember, nodePhase } from "../core/node-set-state";
import { isRequestIdOf } from "../core/request-id";
import { engineLog } from "./engine-log";
import { setLabel, urnOfIdentity } from "./logger";
import type { ProviderContext } from "./provider-context";

/** `check`: validates the inputs, fixes the base request id, claims adopted nodes, runs preflight. */
export async function check(provider: ProviderContext, olds: Bag, news: Bag): Promise<dynamic.CheckResult> {
  if (typeof news["identity"] === "string" && !containsUnknown(news["identity"]))
    provider.plan.checked.add(news["identity"]);
  const failures = [...validateInputs(news), ...requestIdFailures(provider.replacementBases, olds, news)];
  if (failures.length > 0) return { inputs: news, failures: withoutSecretValues(failures) };
  // The engine's second `check` of a replacement: no old inputs, like a new set, but the first recorded it.
  const replacing = Object.keys(olds).length === 0 && isRecordedReplacement(provider.replacementBases, news);
  const inputs = withDefaults(news, baseRequestIdFor(provider.replacementBases, olds, news));
  const change = checkedChange(olds, inputs, replacing);
  const prior = change.kind === "create" ? undefined : change.prior;
  const shared = claimAdoptions(provider, prior, inputs);
  if (shared !== undefined)
    return { inputs: { ...inputs }, failures: [{ property: "adoptExisting", reason: shared }] };
  const checked = { ...change, inputs: { ...inputs, preflight: preflightMode(provider.env, inputs) } };
  failures.push(...(await preflight(checked, preflightSources(provider, prior), provider.plan)));
  if (failures.length === 0 && change.kind === "create" && !replacing && inputs.adoptExisting !== undefined) {
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
  prior: PriorSet | undefined,
  inputs: NodeSetInputs,
): string | undefined {
  return provider.claims.claim(
    provider.claiming(inputs),
    { ...adoptionIds(prior?.adoptExisting), holds: true },
    { ...adoptionIds(inputs.adoptExisting), holds: false },
  );
}

/**
 * Claims, for this run, every node a set's state holds (its own and adopted requests, nodes adopted
 * by id, the nodes it lists); returns why another set claimed some of them first, or undefined.
 */
export function claimHoldings(
  claims: AdoptionClaims,
  set: ClaimingSet,
  held: { requestIds?: readonly string[]; adoptedNodeIds?: readonly string[]; nodes?: readonly NodeInfo[] },
  holds: boolean,
): string | undefined {
  return claims.claim(set, {
    requestIds: held.requestIds ?? [],
    nodeIds: [...(held.adoptedNodeIds ?? []), ...(held.nodes ?? []).map((n) => n.id)],
    holds,
  });
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
 * Where preflight reads the cluster status (cached for the run) and the set's holdings; `prior`, the
 * old inputs `check` got, name what the set adopted before (see {@link nodesHeldBySet}). The sources
 * serve one preflight of one set, each read made once: its operation context, whose client lists
 * the cluster's nodes (unfiltered) once, which the kept nodes of a refusal read too, and what the
 * set holds.
 */
function preflightSources(provider: ProviderContext, prior?: PriorSet): PreflightSources {
  const report = reportTo(provider);
  let ctx: OperationContext | undefined;
  let held: ReturnType<typeof nodesHeldBySet> | undefined;
  const quiet = () => undefined;
  const context = (inputs: NodeSetInputs): OperationContext => {
    if (ctx !== undefined) return ctx;
    const { client, ...operation } = provider.operation(inputs);
    return (ctx = { ...operation, client: listingOnce(client), log: quiet, warn: quiet });
  };
  const holdings = (inputs: NodeSetInputs) => (held ??= nodesHeldBySet(context(inputs), prior));
  return {
    status: (inputs) => provider.clusterStatus(inputs),
    held: async (inputs) => (await holdings(inputs)).held,
    heldByGroup: async (inputs) => (await holdings(inputs)).byGroup,
    warmPool: async (inputs) => (await holdings(inputs)).deallocated,
    keptNodes: (inputs) => keptNodes(provider, inputs, context(inputs).client),
    log: (inputs, line) => provider.log(inputs, line),
    warn: (inputs, text) => provider.warn(inputs, text),
    ...(report && { report }),
  };
}

/** The client, with the unfiltered listing of each cluster made once (filtered ones as asked). */
function listingOnce(client: NodeSetClient): NodeSetClient {
  const listings = new Map<string, Promise<NodeList>>();
  const listNodes: NodeSetClient["listNodes"] = (cluster, filter) => {
    if (filter !== undefined) return client.listNodes(cluster, filter);
    const listing = listings.get(cluster) ?? client.listNodes(cluster);
    listings.set(cluster, listing);
    return listing;
  };
  return { ...client, listNodes };
}

/**
 * For a preflight refusal: deallocated nodes of the set's nodearray (and machine type) in the
 * cluster that neither this set (its requests, what it adopts) nor any set claimed in this run
 * holds. Nodes a deallocating delete kept hold quota that may bind the refusal. One unfiltered
 * listing (the one preflight made of what the set holds, when it made it).
 */
async function keptNodes(
  provider: ProviderContext,
  inputs: NodeSetInputs,
  client: NodeSetClient,
): Promise<string | undefined> {
  const list = await client.listNodes(inputs.cluster);
  const where = provider.claiming(inputs);
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
    .filter((n) => provider.claims.holderOf(where, n) === undefined);
  return keptNodesHint(inputs, kept);
}

/**
 * Live nodes of this spec the set holds or will hold without creating them: those of every
 * request id of its base that the server knows, those it adopted before (what its old inputs'
 * `adoptExisting` named, while it keeps its base: not a replacement), and those `adoptExisting`
 * names. Read only when a plan does not fit or the set adopts.
 * Throws when `adoptExisting` names nodes that do not match the spec or are not nodearray nodes.
 */
async function nodesHeldBySet(ctx: OperationContext, prior: PriorSet | undefined) {
  const { inputs } = ctx;
  let holdings: SetHoldings = { requestIds: [], adoptedNodeIds: [], nodes: [] };
  // In the preview of a new set its base request id is unknown: it holds nothing of its own yet.
  if (!containsUnknown(inputs.baseRequestId)) {
    try {
      // What it adopted before, while it keeps its base (not a replacement: the old set's nodes go with it).
      const before = adoptionIds(
        prior?.baseRequestId === inputs.baseRequestId ? prior.adoptExisting : undefined,
      );
      holdings = await listOwnNodes(ctx, { requestIds: before.requestIds, adoptedNodeIds: before.nodeIds });
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

/** `diff`: update or replace, why (shown in the preview), the set's claims, the update's preflight. */
export async function diff(
  provider: ProviderContext,
  _id: string,
  olds: NodeSetState,
  news: Bag,
): Promise<dynamic.DiffResult> {
  const inputs = pickInputs(news);
  const decision = diffNodeSet(olds, inputs, provider.now());
  // Not in a refresh (which diffs without checking): it must record what it found, fit or not.
  const wasChecked = typeof inputs.identity === "string" && provider.plan.checked.has(inputs.identity);
  // The engine shows no property for a change it did not compute (failed or missing nodes): say why.
  const why = describeDiff(olds, inputs, decision, { now: provider.now(), refresh: !wasChecked });
  const name = inputs.name === undefined || containsUnknown(inputs.name) ? olds.name : inputs.name;
  if (why !== undefined)
    provider.logOnce(
      name === undefined ? { identity: olds.identity } : { identity: olds.identity, name },
      why,
    );
  // What the set holds is claimed for the run, so that no other set of the stack adopts it.
  const shared = claimHoldings(provider.claims, provider.claiming(pickInputs(olds)), olds, true);
  if (shared !== undefined && wasChecked)
    throw new DiffRefusalError(
      `${setLabel(name ?? setName(olds), olds.identity)}: ${shared}`,
      "cyclecloud: two node sets claim the same nodes",
    );
  if (decision.changes && decision.replaces.length === 0 && wasChecked) {
    // `check` saw only the inputs: the nodes the update re-creates are counted here, from the state.
    const checked = { ...inputs, preflight: preflightMode(provider.env, inputs) };
    const change = { kind: "update", inputs: checked, prior: priorOf({ ...olds }), state: olds } as const;
    const [refused] = await preflight(change, preflightSources(provider), provider.plan, provider.now());
    if (refused !== undefined)
      throw new DiffRefusalError(
        `cyclecloud ${setName(inputs)}: ${refused.reason}`,
        "cyclecloud: preflight refused the update",
      );
  }
  return {
    changes: decision.changes,
    replaces: decision.replaces,
    deleteBeforeReplace: decision.deleteBeforeReplace,
  };
}
