/**
 * `adoptExisting` takes over only nodes made outside Pulumi: a node whose request id this library
 * derived for another node set belongs to that set (in this stack or another one), and adopting it
 * would let this set terminate it. These checks refuse such nodes before any node is touched.
 * One exception, which the user asserts and the library cannot check: `orphaned: true` with
 * `adoptExisting.requestId` says no stack holds that request's nodes any more (kept by a delete
 * with `onDelete: "deallocate"`, or left by a set destroyed while its create was pending), and
 * lifts the refusal for that request only.
 *
 * Within one stack the library sees more: {@link AdoptionClaims} refuses a second set that claims
 * nodes another set of the stack holds or adopts, whatever made them.
 */
import type { NodeRecord } from "../../wire/schemas";
import type { NodeSetInputs } from "./inputs";
import { containsUnknown } from "./inputs-unknown";
import { isLibraryRequestId, isRequestIdOf } from "./request-id";

/**
 * The fix a refusal names. The `orphaned` exception is named, not spelt out with the refused
 * request id: a refusal is what a user meets when copying another stack's id by mistake, and a
 * ready-made line would hand over that stack's nodes.
 */
const FIX =
  "nodes made by a node set belong to it (to keep them when renaming a set, use `aliases`): " +
  "adopt only nodes made outside Pulumi. Fix `adoptExisting`. (Only for nodes no stack holds any more, " +
  'kept by a delete with `onDelete: "deallocate"` (its warning gave the `adoptExisting` to use) or left by a set ' +
  "destroyed while its create was pending, `orphaned: true` in `adoptExisting` asserts it " +
  '(README, "Errors and troubleshooting"): the library cannot check it, and a set that adopts another ' +
  "stack's nodes terminates them when it is destroyed.)";

/**
 * Whether a request id was made by this library for a set other than the one with these inputs,
 * and the user did not assert its nodes orphaned.
 */
function ofAnotherSet(inputs: NodeSetInputs, requestId: string): boolean {
  if (!isLibraryRequestId(requestId)) return false;
  if (inputs.adoptExisting?.orphaned === true && inputs.adoptExisting.requestId === requestId) return false;
  const base = inputs.baseRequestId;
  return typeof base !== "string" || containsUnknown(base) || !isRequestIdOf(base, requestId);
}

/**
 * Why `adoptExisting.requestId` names another set's create request, or undefined. No cluster read.
 * A request id the set already holds (`held`, from its state) is its own now.
 */
export function foreignRequestIdProblem(
  inputs: NodeSetInputs,
  held: readonly unknown[] = [],
): string | undefined {
  const requestId = inputs.adoptExisting?.requestId;
  if (typeof requestId !== "string" || containsUnknown(requestId) || held.includes(requestId))
    return undefined;
  if (!ofAnotherSet(inputs, requestId)) return undefined;
  return (
    `\`adoptExisting.requestId\`: refusing to adopt request '${requestId}': this library made it for another node set, ` +
    `so its nodes are not this set's (a set of this or another stack may hold them: the library cannot tell); ${FIX}`
  );
}

/**
 * Why some of the nodes `adoptExisting` names belong to another set (each named with its request
 * id), or undefined. `requestId` stands in for a record that lacks its own.
 */
export function foreignNodesProblem(
  inputs: NodeSetInputs,
  records: readonly NodeRecord[],
  requestId?: string,
): string | undefined {
  const foreign: string[] = [];
  for (const record of records) {
    const id = record.RequestId ?? requestId;
    if (id !== undefined && ofAnotherSet(inputs, id))
      foreign.push(`${record.Name} (node id ${record.NodeId}, request id '${id}')`);
  }
  if (foreign.length === 0) return undefined;
  const [it, itIs] = foreign.length === 1 ? ["it", "it is"] : ["them", "they are"];
  return (
    `\`adoptExisting\`: refusing to adopt ${foreign.join(", ")}: this library made ${it} for another node set, ` +
    `so ${itIs} not this set's (a set of this or another stack may hold ${it}: the library cannot tell); ${FIX}`
  );
}

/** A set as it claims nodes: who it is, how messages name it, and where its nodes are. */
export interface ClaimingSet {
  /** The set's identity (unknown for a new set in a preview: it then gets a key of its own). */
  identity: unknown;
  /** How the set is named in a message, e.g. `cyclecloud adopted`. */
  label: string;
  /** The connection's url ("" when none resolves) and the cluster: claims of other clusters never meet. */
  url: string;
  cluster: string;
}

/** What a set claims: request ids whose nodes it holds, and node ids. */
export interface Claim {
  requestIds: readonly string[];
  nodeIds: readonly string[];
  /** Whether the set holds these nodes already (its state, or its old inputs), or adopts them now. */
  holds: boolean;
}

/** Who holds a claim: its `key` is the set's identity, or for a new set in a preview a key of its own. */
type Holder = Pick<ClaimingSet, "label"> & Pick<Claim, "holds"> & { key: string };

/** The keys a set's claim is recorded under in `where`, with what each names for a refusal. */
function claimKeys(
  where: Pick<ClaimingSet, "url" | "cluster">,
  requestIds: readonly string[],
  nodeIds: readonly string[],
): { key: string; what: string }[] {
  const scope = JSON.stringify([where.url, where.cluster]);
  return [
    ...requestIds.filter(known).map((id) => ({ key: `${scope}|request|${id}`, what: `request '${id}'` })),
    ...nodeIds.filter(known).map((id) => ({ key: `${scope}|node|${id}`, what: `node ${id}` })),
  ];
}

/**
 * Which set of the stack holds (or adopts) which nodes, as far as this provider process saw in
 * this run. The engine runs one provider process for the node sets of a stack and calls `check`
 * (and `diff`, for a set in state) on every set the program declares, even an unchanged one, so a
 * set that already holds nodes claims them here before or after a second set claims the same ones;
 * whichever comes second is refused. A set only in state (removed from the program) claims nothing:
 * its delete comes last, when its nodes are still its own.
 */
export class AdoptionClaims {
  private readonly holders = new Map<string, Holder>();
  private newSets = 0;

  /**
   * Records `claims` of `set`, in order; returns why another set already claimed some of the same
   * nodes (that claim and those after it are then not recorded), or undefined.
   */
  claim(set: ClaimingSet, ...claims: Claim[]): string | undefined {
    const { identity, label } = set;
    const key =
      typeof identity === "string" && !containsUnknown(identity) ? identity : `(new set ${++this.newSets})`;
    for (const claim of claims) {
      const keys = claimKeys(set, claim.requestIds, claim.nodeIds);
      const self: Holder = { key, label, holds: claim.holds };
      for (const { key: at, what } of keys) {
        const holder = this.holders.get(at);
        if (holder !== undefined && holder.key !== key) return sharedNodesProblem(self, holder, what);
      }
      for (const { key: at } of keys) {
        const holder = this.holders.get(at);
        if (holder === undefined || (claim.holds && !holder.holds)) this.holders.set(at, self);
      }
    }
    return undefined;
  }

  /**
   * The set (its label) that claimed a request id or a node id in `where`, if any; with `except`,
   * a set other than the one of that identity.
   */
  holderOf(
    where: Pick<ClaimingSet, "url" | "cluster">,
    ids: { requestId?: string; nodeId: string },
    except?: string,
  ): string | undefined {
    const requestIds = ids.requestId === undefined ? [] : [ids.requestId];
    for (const { key } of claimKeys(where, requestIds, [ids.nodeId])) {
      const holder = this.holders.get(key);
      if (holder !== undefined && holder.key !== except) return holder.label;
    }
    return undefined;
  }
}

function known(id: string): boolean {
  return id.length > 0 && !containsUnknown(id);
}

/**
 * The refusal of a set (`self`) that claims nodes (`what`: a request or a node) another set of the
 * stack (`other`) claimed first in this run. The fix names the set that does not hold them yet.
 */
function sharedNodesProblem(self: Holder, other: Holder, what: string): string {
  const [first, second] = other.holds || !self.holds ? [other, self] : [self, other];
  const who =
    first.holds === second.holds
      ? `${first.label} and ${second.label} both ${first.holds ? "hold" : "adopt"} them`
      : `${first.label} holds them and ${second.label} adopts them`;
  const fix = !second.holds
    ? `remove \`adoptExisting\` from ${second.label}`
    : "remove one of the two sets from the program (its delete leaves the nodes the other set holds)";
  return (
    `\`adoptExisting\`: refusing to let two node sets of this stack hold the nodes of ${what}: ${who}. ` +
    "A node belongs to one set (removing either set would terminate the nodes the other holds): " +
    `${fix}. (To move nodes to another set, rename that set with \`aliases\`.)`
  );
}

/**
 * The warning of a delete that deallocates (`onDelete: "deallocate"`): the nodes it keeps, which no
 * set holds any more and which keep their quota, the request ids that hold them, and the
 * `adoptExisting` that brings them back under a set (with `orphaned: true` for a request this
 * library made: the adopting set would be refused without it). Nodes the set adopted by id are
 * named by id.
 */
export function keptNodesNotice(
  inputs: Pick<NodeSetInputs, "cluster" | "nodearray">,
  kept: readonly { id: string; name: string; requestId?: string; machineType?: string }[],
  adoptedNodeIds: readonly string[],
): string {
  const byRequest = new Map<string, string[]>();
  const byId: { id: string; name: string }[] = [];
  for (const node of kept) {
    if (node.requestId === undefined || adoptedNodeIds.includes(node.id)) byId.push(node);
    else byRequest.set(node.requestId, [...(byRequest.get(node.requestId) ?? []), node.name]);
  }
  const lines = [...byRequest].map(
    ([requestId, nodeNames]) => `  ${adoptionOf(requestId)}, // ${nodeNames.join(", ")}`,
  );
  if (byId.length > 0) {
    const ids = byId.map((n) => JSON.stringify(n.id)).join(", ");
    lines.push(`  adoptExisting: { nodeIds: [${ids}] }, // ${byId.map((n) => n.name).join(", ")}`);
  }
  const machineTypes = [...new Set(kept.map((n) => n.machineType).filter((t) => t !== undefined))];
  const machineType = machineTypes.length === 1 ? `, machineType '${machineTypes[0]}'` : "";
  const requests = [...byRequest.keys()].map((id) => `'${id}'`);
  const heldBy = [...requests, ...(byId.length > 0 ? ["nodes adopted by id"] : [])].join(", ");
  return (
    `onDelete: "deallocate" keeps ${kept.length} deallocated node(s) that no node set holds any more: ` +
    `${kept.map((n) => n.name).join(", ")} (${requests.length === 1 && byId.length === 0 ? "request" : "from"} ${heldBy}). ` +
    "They keep their quota until they are terminated in CycleCloud. To bring them back, declare a node set " +
    `of cluster '${inputs.cluster}', nodearray '${inputs.nodearray}'${machineType} with` +
    `${lines.length > 1 ? " (one set for each line)" : ""}:\n${lines.join("\n")}`
  );
}

/**
 * The part of a preflight refusal about deallocated nodes of the set's nodearray (and machine
 * type) that hold quota while no set seen in this run holds them, grouped by request id, with the
 * `adoptExisting` that takes them back; undefined when there are none. The library cannot tell a
 * node kept by a deallocating delete from one a set of another stack holds: it says so.
 */
export function keptNodesHint(
  inputs: Pick<NodeSetInputs, "nodearray">,
  kept: readonly { name: string; requestId?: string }[],
): string | undefined {
  if (kept.length === 0) return undefined;
  const byRequest = new Map<string, string[]>();
  for (const node of kept) {
    const id = node.requestId ?? "";
    byRequest.set(id, [...(byRequest.get(id) ?? []), node.name]);
  }
  const snippets = [...byRequest.keys()].filter((id) => id !== "").map((id) => `\`${adoptionOf(id)}\``);
  const groups = [...byRequest].map(
    ([id, names]) => `${names.join(", ")}${id === "" ? "" : ` (request '${id}')`}`,
  );
  return (
    `${kept.length} deallocated node(s) of nodearray '${inputs.nodearray}' that no node set seen in this run holds ` +
    `keep their quota: ${groups.join("; ")}. If a delete with \`onDelete: "deallocate"\` kept them, no set holds them: ` +
    `take them back with ${snippets.length > 0 ? snippets.join(" or ") : "`adoptExisting: { nodeIds: [...] }`"} ` +
    "(they then count as this set's), or terminate them in CycleCloud (a set of another stack may hold them: the library cannot tell)"
  );
}

/** The `adoptExisting` that takes back a request's nodes (`orphaned: true` for a request this library made). */
function adoptionOf(requestId: string): string {
  const orphaned = isLibraryRequestId(requestId) ? ", orphaned: true" : "";
  return `adoptExisting: { requestId: ${JSON.stringify(requestId)}${orphaned} }`;
}
