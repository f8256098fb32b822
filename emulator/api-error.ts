import type { ErrorBody } from "../provider/schemas";

/** The `Exception` names the emulator answers with (CycleCloud's Java exception classes). */
export const EXCEPTIONS = {
  invalidAttribute: "com.cyclecomputing.cloud.InvalidAttributeException",
  duplicateRequest: "com.cyclecomputing.cloud.DuplicateRequestException",
  invalidRequest: "com.cyclecomputing.cloud.InvalidRequestException",
  notFound: "com.cyclecomputing.cloud.NotFoundException",
  notAuthenticated: "com.cyclecomputing.cloud.AuthenticationException",
  methodNotAllowed: "com.cyclecomputing.cloud.MethodNotAllowedException",
  injected: "com.cyclecomputing.emulator.InjectedFaultException",
} as const;

/**
 * An error the API answers as `{Exception, Message, Detail}` with an HTTP status. Thrown by the
 * emulator's state and request handling; the server turns it into the response.
 */
export class EmulatorApiError extends Error {
  override readonly name = "EmulatorApiError";

  constructor(
    readonly status: number,
    readonly exception: string,
    message: string,
  ) {
    super(message);
  }
}

/** 400: the request cannot be read (bad JSON, a body or query that does not match the wire format). */
export function badRequest(message: string): EmulatorApiError {
  return new EmulatorApiError(400, EXCEPTIONS.invalidRequest, message);
}

/** 404: unknown cluster, nodearray in a path, operation or request id. */
export function notFound(message: string): EmulatorApiError {
  return new EmulatorApiError(404, EXCEPTIONS.notFound, message);
}

/** 409: a well-formed request CycleCloud rejects (unknown machine type, invalid bucket, ...). */
export function invalidAttribute(message: string): EmulatorApiError {
  return new EmulatorApiError(409, EXCEPTIONS.invalidAttribute, message);
}

/**
 * CycleCloud's JSON error body. `Detail` carries a request tag (`request-7`) the way real servers
 * do, so clients can show it.
 */
export function errorBody(exception: string, message: string, requestTag: string): ErrorBody {
  return { Exception: exception, Message: message, Detail: `${exception}: ${message} (${requestTag})` };
}
