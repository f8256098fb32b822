/**
 * `adoptExisting` takes over only nodes made outside Pulumi: a node whose request id this library
 * derived for another node set belongs to that set (in this stack or another one), and adopting it
 * would let this set terminate it. These checks refuse such nodes before any node is touched.
 * One exception, which the user asserts and the library cannot check: `orphaned: true` with
 * `adoptExisting.requestId` says no stack holds that request's nodes any more (a set destroyed
 * while its create was pending), and lifts the refusal for that request only.
 */
import type { NodeRecord } from "../schemas";
import type { NodeSetInputs } from "./inputs";
import { containsUnknown } from "./inputs";
import { isLibraryRequestId, isRequestIdOf } from "./request-id";

/**
 * The fix a refusal names. The `orphaned` exception is named, not spelt out with the refused
 * request id: a refusal is what a user meets when copying another stack's id by mistake, and a
 * ready-made line would hand over that stack's nodes.
 */
const FIX =
  "nodes made by a node set belong to it (to keep them when renaming a set, use `aliases`): " +
  "adopt only nodes made outside Pulumi. Fix `adoptExisting`. (Only for the nodes of a set destroyed " +
  "while its create was pending, which no stack holds any more, `orphaned: true` in `adoptExisting` " +
  'asserts it (README, "Errors and troubleshooting"): the library cannot check it, and a set that ' +
  "adopts another stack's nodes terminates them when it is destroyed.)";

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
    `which owns its nodes; ${FIX}`
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
    if (id !== undefined && ofAnotherSet(inputs, id)) {
      foreign.push(`${record.Name} (node id ${record.NodeId}, request id '${id}')`);
    }
  }
  if (foreign.length === 0) return undefined;
  return (
    `\`adoptExisting\`: refusing to adopt ${foreign.join(", ")}: this library made ` +
    `${foreign.length === 1 ? "it" : "them"} for another node set, which owns ${foreign.length === 1 ? "it" : "them"}; ${FIX}`
  );
}
