/**
 * The emulator's errors and their one renderer: API errors are answered as CycleCloud's
 * `{Exception, Message, Detail}` body, admin errors as `{ "error": message }`.
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { ErrorBody } from "../../wire/schemas";
import type { EmulatorResponse } from "./http-io";

/**
 * The `Exception` names the emulator answers with (CycleCloud's Java exception classes). Only
 * `InvalidAttributeException` is attested in a real server's answer; the others keep their simple
 * names under the same package, `com.cyclecomputing.cloud.exceptions`.
 */
const PACKAGE = "com.cyclecomputing.cloud.exceptions";
export const EXCEPTIONS = {
  invalidAttribute: `${PACKAGE}.InvalidAttributeException`,
  duplicateRequest: `${PACKAGE}.DuplicateRequestException`,
  invalidRequest: `${PACKAGE}.InvalidRequestException`,
  notFound: `${PACKAGE}.NotFoundException`,
  notAuthenticated: `${PACKAGE}.AuthenticationException`,
  methodNotAllowed: `${PACKAGE}.MethodNotAllowedException`,
  injected: "com.cyclecomputing.emulator.InjectedFaultException",
  internal: "java.lang.RuntimeException",
} as const;

/**
 * An error the API answers as `{Exception, Message, Detail}` with an HTTP status (and `headers`).
 * Thrown by the emulator's handlers and request handling; {@link renderError} turns it into the
 * response.
 */
export class EmulatorApiError extends Error {
  override readonly name = "EmulatorApiError";

  constructor(
    readonly status: number,
    readonly exception: string,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

/** Thrown by admin handlers; answered as `{ "error": message }`. */
export class AdminError extends Error {
  override readonly name = "AdminError";

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** 400: the request cannot be read (bad JSON, a body or query that does not match the wire format). */
export const badRequest = (message: string): EmulatorApiError =>
  new EmulatorApiError(400, EXCEPTIONS.invalidRequest, message);

/** 404: unknown cluster, nodearray in a path, operation or request id. */
export const notFound = (message: string): EmulatorApiError =>
  new EmulatorApiError(404, EXCEPTIONS.notFound, message);

/** 409: a well-formed request CycleCloud rejects (unknown machine type, invalid bucket, ...). */
export const invalidAttribute = (message: string): EmulatorApiError =>
  new EmulatorApiError(409, EXCEPTIONS.invalidAttribute, message);

/**
 * CycleCloud's JSON error body. `Detail` points at the server log with the request tag
 * (`request-7`), worded as real servers word it.
 */
export function errorBody(exception: string, message: string, requestTag: string): ErrorBody {
  return {
    Exception: exception,
    Message: message,
    Detail: `Please see /opt/cycle_server/logs/cycle_server.log for lines tagged with ${requestTag} for details.`,
  };
}

/**
 * The response for `error` on the API (request `tag` in `Detail`) or the admin surface. Anything
 * but {@link EmulatorApiError} (and, on the admin surface, {@link AdminError}) is an emulator bug:
 * 500, and on the API `onInternal` is told.
 */
export function renderError(
  error: unknown,
  surface: { readonly api: true; readonly tag: string } | { readonly api: false },
  onInternal: (reason: string) => void = () => undefined,
): EmulatorResponse {
  if (!surface.api) {
    if (error instanceof AdminError) return json(error.status, { error: error.message });
    if (error instanceof EmulatorApiError) {
      // Keeps `Connection: close` of a 413.
      return json(error.status, { error: error.message }, error.headers);
    }
    return json(500, { error: `Internal emulator error: ${reasonOf(error)}` });
  }
  if (error instanceof EmulatorApiError) {
    return json(error.status, errorBody(error.exception, error.message, surface.tag), error.headers);
  }
  const reason = reasonOf(error);
  onInternal(reason);
  return json(500, errorBody(EXCEPTIONS.internal, `Internal emulator error: ${reason}`, surface.tag));
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: OutgoingHttpHeaders = {}): EmulatorResponse {
  return { status, body, headers };
}

/** The message of anything thrown. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
