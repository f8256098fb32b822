/**
 * The errors of the resource layer that a caller tells apart. Every other failure is a plain
 * `Error` whose message names the set, the cause and the fix (see failure-messages.ts).
 */
import { errorText } from "../../wire/util/server-text";
import { lostAnswerText } from "./lost-answer";
import type { NodeSetState } from "./node-set-state";

/**
 * Thrown after nodes were created or changed but the set did not fully converge: the dynamic
 * provider host turns it into a partial failure (it has an `id`), so the set is recorded in state
 * with its nodes (`properties`) and the next `pulumi up` heals it. The engine shows `reasons`.
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
        `(${errorText(listing)}); whether CycleCloud applied it is unknown, so the set keeps the request id ` +
        "and the next refresh or up finds its nodes",
      { cause: listing },
    );
  }
}

/**
 * `diff` refused the set before any node was touched: its update's preflight found that the nodes
 * it would create do not fit the cluster, or it holds nodes another set of the stack adopts.
 *
 * The dynamic provider host prints `${error}: ${error.stack}` to stderr for an error thrown by
 * `diff`, before the engine shows the message as the set's error: with a short `toString` (the
 * `pointer`, e.g. `cyclecloud: preflight refused the update`) and `stack`, that stderr line is one
 * pointer to the set's error instead of the message twice and a stack trace.
 */
export class DiffRefusalError extends Error {
  override readonly name = "DiffRefusalError";

  constructor(
    message: string,
    private readonly pointer: string,
  ) {
    super(message);
    this.stack = "the reason is the node set's error";
  }

  override toString(): string {
    return this.pointer;
  }
}
