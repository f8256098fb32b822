/** The errors of an answer the client got: a status outside 2xx, or a body it cannot read or accept. */
import type { ErrorBody } from "../../../wire/schemas";
import { RequestError, brandedGuard } from "./cyclecloud-error";
import type { RequestTarget } from "./cyclecloud-error";

export interface HttpErrorInit extends RequestTarget {
  status: number;
  statusText?: string | undefined;
  body?: ErrorBody | undefined;
  serverMessage?: string | undefined;
  /** `Content-Type` of the answer. */
  contentType?: string | undefined;
  /** Where a 3xx answer points (already reduced to an origin and sanitized). */
  redirectOrigin?: string | undefined;
  /** Whether that redirect leaves https for http. */
  redirectDowngrade?: boolean | undefined;
  retryAfterMs?: number | undefined;
}

/** CycleCloud answered with a status outside 2xx. */
export class HttpError extends RequestError {
  readonly status: number;
  /** CycleCloud's `Message`, or the start of a plain-text body; undefined when there was none. */
  readonly serverMessage: string | undefined;
  /** CycleCloud's JSON error body (`Message`, `Exception`, `Detail`, `Code`), when present. */
  readonly body: ErrorBody | undefined;
  /** The server's request tag from `Detail` (e.g. `request-1274`), to quote to support. */
  readonly requestTag: string | undefined;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: HttpErrorInit) {
    super(httpErrorMessage(init), init);
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.body = init.body;
    this.requestTag = init.body?.Detail?.match(/\brequest-\d+\b/)?.[0];
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** Whether `value` is an `HttpError`, also one from another copy of this package. */
export const isHttpError = brandedGuard(HttpError);

function httpErrorMessage(init: HttpErrorInit): string {
  const statusText = init.statusText === undefined || init.statusText === "" ? "" : ` ${init.statusText}`;
  let message =
    init.serverMessage === undefined
      ? `CycleCloud answered ${init.status}${statusText} to ${init.method} ${init.path} without an error message` +
        (init.contentType?.includes("html") === true ? ` (an HTML page)` : "")
      : `CycleCloud answered ${init.status} to ${init.method} ${init.path}: ${init.serverMessage}`;
  if (init.status === 401) {
    message += "; check the `username` and `password` settings";
  } else if (init.redirectOrigin !== undefined && init.redirectDowngrade === true) {
    // Never advise following it: the credentials would then go unencrypted.
    message +=
      `; it redirects to ${init.redirectOrigin}, a downgrade from https to http, which is not followed: ` +
      "keep `url` on https and check that it is the address of the CycleCloud server";
  } else if (init.redirectOrigin !== undefined) {
    message +=
      `; it redirects to ${init.redirectOrigin}, which is not followed (the credentials would go there): ` +
      "if that is the CycleCloud server, set `url` to that address";
  }
  return message;
}

/** The text CycleCloud answers (404) when listing the nodes of a request id it never saw. */
const UNKNOWN_REQUEST_ID_TEXT = "No operation found for request id".toLowerCase();

/**
 * True when `error` is CycleCloud saying it knows no such request id: any 4xx whose message or
 * detail holds {@link UNKNOWN_REQUEST_ID_TEXT}. Callers treat that as "no nodes".
 */
export function isUnknownRequestId(error: unknown): error is HttpError {
  if (!(error instanceof HttpError) || error.status < 400 || error.status >= 500) return false;
  return [error.serverMessage, error.body?.Detail].some((text) =>
    text?.toLowerCase().includes(UNKNOWN_REQUEST_ID_TEXT),
  );
}

/**
 * The request succeeded but the answer could not be read: the body is not JSON (an HTML login page
 * of a proxy, say) or does not match the expected wire type. Deliberately not an `HttpError`.
 */
export class ResponseValidationError extends RequestError {
  readonly status: number;
  /** The wire type the body should have been, e.g. `NodeList`. */
  readonly expected: string;
  /** What does not match, each naming the JSON path: `nodes[2].NodeId: expected string, got number`. */
  readonly problems: readonly string[];

  constructor(init: RequestTarget & { status: number; expected: string; problems: readonly string[] }) {
    super(
      `CycleCloud answered ${init.status} to ${init.method} ${init.path} but the body is not a valid ` +
        `${init.expected}: ${init.problems.join("; ")}`,
      init,
    );
    this.status = init.status;
    this.expected = init.expected;
    this.problems = init.problems;
  }
}

/** Whether `value` is a `ResponseValidationError`, also one from another copy of this package. */
export const isResponseValidationError = brandedGuard(ResponseValidationError);

/**
 * The answer's body was longer than the client accepts (`maxResponseBytes`): the client stopped
 * reading at the limit and dropped the connection. Not retried: the same request gets the same body.
 */
export class ResponseTooLargeError extends RequestError {
  readonly status: number;
  /** The limit that was reached, in bytes. */
  readonly limitBytes: number;

  constructor(init: RequestTarget & { status: number; limitBytes: number }) {
    const mib = init.limitBytes / (1024 * 1024);
    const limit = Number.isInteger(mib)
      ? `${mib} MiB (${init.limitBytes} bytes)`
      : `${init.limitBytes} bytes`;
    super(
      `CycleCloud answered ${init.status} to ${init.method} ${init.path} with a body larger than ` +
        `${limit}; the client stopped reading it. If the server is CycleCloud and the ` +
        "cluster is that large, raise the limit: `maxResponseMiB` (stack config `cyclecloud:maxResponseMiB`, " +
        "`connection.maxResponseMiB` or CYCLECLOUD_MAX_RESPONSE_MIB; `maxResponseBytes` of a CycleCloudClient); " +
        "otherwise check that `url` points at the CycleCloud server",
      init,
    );
    this.status = init.status;
    this.limitBytes = init.limitBytes;
  }
}

/** Whether `value` is a `ResponseTooLargeError`, also one from another copy of this package. */
export const isResponseTooLargeError = brandedGuard(ResponseTooLargeError);
