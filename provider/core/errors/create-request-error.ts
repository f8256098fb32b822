/**
 * A create request could not be made to apply: no free request id was found after the set's
 * earlier ones, or a request CycleCloud never applied was sent as often as allowed. It created
 * no node.
 */
export class CreateRequestError extends Error {
  override readonly name = "CreateRequestError";
}

export function isCreateRequestError(value: unknown): value is CreateRequestError {
  return value instanceof CreateRequestError;
}
