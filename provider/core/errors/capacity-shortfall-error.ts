/**
 * A create made no node: CycleCloud added none of those requested (the reasons it gave, and what
 * to do). The cause of a create's {@link NodeSetOperationError}.
 */
export class CapacityShortfallError extends Error {
  override readonly name = "CapacityShortfallError";
}

export function isCapacityShortfallError(value: unknown): value is CapacityShortfallError {
  return value instanceof CapacityShortfallError;
}
