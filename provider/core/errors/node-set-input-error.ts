/**
 * The inputs ask for something the cluster contradicts: e.g. `adoptExisting` names nodes the
 * cluster does not have, or nodes that do not match the declared spec. The message names the
 * input and how to fix it.
 */
export class NodeSetInputError extends Error {
  override readonly name = "NodeSetInputError";
}

export function isNodeSetInputError(value: unknown): value is NodeSetInputError {
  return value instanceof NodeSetInputError;
}
