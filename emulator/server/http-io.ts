/**
 * The emulator's HTTP plumbing: its errors and their one renderer (API errors are answered as
 * CycleCloud's `{Exception, Message, Detail}` body, admin errors as `{ "error": message }`), and
 * reading request bodies.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { z } from "zod";
import type { ErrorBody } from "../../wire/schemas";
import { formatIssues } from "../../wire/util/zod-issues";

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A response before it is written: the server decides whether to send, delay or drop it. */
export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  /** Sent as JSON, or verbatim when a string (`raw`). */
  readonly body: unknown;
  readonly raw?: boolean;
}

/** Deepest nesting of `[`, `{` and `(` accepted in a body or a query value; deeper is answered 400. */
export const MAX_NESTING_DEPTH = 64;

/** The 413 of a body over {@link MAX_BODY_BYTES}; the connection is closed after it. */
function tooLarge(): EmulatorApiError {
  const message = `Request body is larger than ${MAX_BODY_BYTES} bytes`;
  return new EmulatorApiError(413, EXCEPTIONS.invalidRequest, message, { Connection: "close" });
}

/** Whether the request announces a body larger than `limit` bytes (`Content-Length`). */
export function announcesMoreThan(request: IncomingMessage, limit: number): boolean {
  const length = Number(request.headers["content-length"] ?? 0);
  return Number.isFinite(length) && length > limit;
}

/**
 * Reads the whole request body as text (any Content-Type: CycleCloud's own examples send
 * `text/plain`). Stops at {@link MAX_BODY_BYTES}: a larger body (announced or found) is answered 413
 * without reading the rest.
 */
export async function readBody(request: IncomingMessage): Promise<string> {
  if (announcesMoreThan(request, MAX_BODY_BYTES)) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      // Leaving the loop stops reading; the answer closes the connection.
      throw tooLarge();
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * How deeply `text` nests `[`, `{` and `(` outside JSON string literals; stops counting past
 * {@link MAX_NESTING_DEPTH}. Checked before parsing, so deep input is a 400, not a stack overflow.
 */
export function nestingTooDeep(text: string): boolean {
  let depth = 0;
  // A string literal (to its closing quote, or the end) is skipped whole, escapes included.
  for (const [token] of text.matchAll(/"(?:[^"\\]|\\[\s\S])*"?|[[{(\]})]/g)) {
    if (token.startsWith('"')) continue;
    depth = "[{(".includes(token) ? depth + 1 : Math.max(0, depth - 1);
    if (depth > MAX_NESTING_DEPTH) return true;
  }
  return false;
}

/** The message of a body or query value nested deeper than {@link MAX_NESTING_DEPTH}. */
export const TOO_DEEP_MESSAGE = `nests brackets deeper than ${String(MAX_NESTING_DEPTH)} levels`;

/** A request body parsed as JSON; `fail` makes the error for one that is not JSON. */
export function parseJson(text: string, fail: (message: string) => Error): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail(`Request body is not valid JSON: ${reasonOf(error)}`);
  }
}

/** Parses a JSON body and checks it against a wire schema; 400 with the bad path otherwise. */
export function parseBody<T extends z.ZodType>(text: string, schema: T, what: string): z.output<T> {
  if (text.trim() === "") throw badRequest(`Request body is empty: expected a JSON ${what}`);
  const parsed = schema.safeParse(parseJson(text, badRequest));
  if (!parsed.success) throw badRequest(`Invalid ${what}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

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
