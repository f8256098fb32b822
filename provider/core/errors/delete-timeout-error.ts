/**
 * Some of a deleted set's nodes were still not gone when `deleteTimeoutSeconds` passed. The cause
 * of a delete's {@link NodeSetOperationError}.
 */
export class DeleteTimeoutError extends Error {
  override readonly name = "DeleteTimeoutError";
}

export function isDeleteTimeoutError(value: unknown): value is DeleteTimeoutError {
  return value instanceof DeleteTimeoutError;
}
