/**
 * An engine call on a set (create, update, refresh, delete) failed before it changed anything, or
 * (delete) before its nodes were gone. The message names the set, the operation, the cause, what
 * state holds and the next step (see failure-messages.ts); `cause` is the error behind it.
 */
export class NodeSetOperationError extends Error {
  override readonly name = "NodeSetOperationError";
}

export function isNodeSetOperationError(value: unknown): value is NodeSetOperationError {
  return value instanceof NodeSetOperationError;
}
