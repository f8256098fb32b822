import type { NodeSetState } from "../node-set-state";

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

export function isNodeSetPartialFailure(value: unknown): value is NodeSetPartialFailure {
  return value instanceof NodeSetPartialFailure;
}
