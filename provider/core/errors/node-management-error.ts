/**
 * CycleCloud refused to terminate, deallocate or start some of the set's nodes (per-node errors of
 * a management request). The message names each node and its error.
 */
export class NodeManagementError extends Error {
  override readonly name = "NodeManagementError";
}

export function isNodeManagementError(value: unknown): value is NodeManagementError {
  return value instanceof NodeManagementError;
}
