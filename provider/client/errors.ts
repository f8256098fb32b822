import type { ErrorBody } from "../schemas";

/**
 * The errors the CycleCloud client throws. One base class, a few subclasses that carry context.
 *
 * Credentials never reach an error: the client keeps the `Authorization` header to itself, URLs are
 * stripped of `user:pass@`, and a network error's `cause` is a sanitized copy of the original.
 */

/** Replaces the `user:pass@` part of every URL in `text` with `***@`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1***@");
}

/** The base class of every error the client throws. */
export class CycleCloudError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // Not an own enumerable field: `util.inspect` and `JSON.stringify` stay clean.
    Object.defineProperty(this, "name", { value: new.target.name, configurable: true, writable: true });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message };
  }
}

/** The client settings are invalid: each issue names the option in backticks and the fix. */
export class SettingsError extends CycleCloudError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`Invalid CycleCloud client settings: ${issues.join("; ")}`);
    this.issues = issues;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

export interface HttpErrorInit {
  method: string;
  /** Path and query of the request, without host or credentials, e.g. `/clusters/hpc/status?nodes=false`. */
  path: string;
  status: number;
  statusText?: string | undefined;
  /** CycleCloud's JSON error body, when the server sent one. */
  body?: ErrorBody | undefined;
  /** The body's `Message`, or the start of a plain-text body. */
  serverMessage?: string | undefined;
  /** `Content-Type` of the answer. */
  contentType?: string | undefined;
  /** Where a 3xx answer points (already reduced to an origin). */
  redirectOrigin?: string | undefined;
  /** The server's `Retry-After`, in milliseconds. */
  retryAfterMs?: number | undefined;
}

/** CycleCloud answered with a status outside 2xx. */
export class HttpError extends CycleCloudError {
  readonly method: string;
  readonly path: string;
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
    super(httpErrorMessage(init));
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.body = init.body;
    this.requestTag = init.body?.Detail?.match(/\brequest-\d+\b/)?.[0];
    this.retryAfterMs = init.retryAfterMs;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      method: this.method,
      path: this.path,
      status: this.status,
      serverMessage: this.serverMessage,
      body: this.body,
      requestTag: this.requestTag,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

function httpErrorMessage(init: HttpErrorInit): string {
  const statusText = init.statusText === undefined || init.statusText === "" ? "" : ` ${init.statusText}`;
  let message =
    init.serverMessage === undefined
      ? `CycleCloud answered ${init.status}${statusText} to ${init.method} ${init.path} without an error message` +
        (init.contentType?.includes("html") === true ? ` (an HTML page)` : "")
      : `CycleCloud answered ${init.status} to ${init.method} ${init.path}: ${init.serverMessage}`;
  if (init.status === 401) {
    message += "; check the `username` and `password` settings";
  } else if (init.redirectOrigin !== undefined) {
    message += `; it redirects to ${init.redirectOrigin}: set \`url\` to that address`;
  }
  return message;
}

/** TLS failures that a CA certificate (or a correct host name) fixes; retrying them is pointless. */
const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const UNREACHABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ETIMEDOUT",
]);

/** What went wrong below HTTP: `tls` (certificate not trusted), `unreachable`, or `connection` (reset, ...). */
export type NetworkFailureKind = "tls" | "unreachable" | "connection";

export interface NetworkErrorInit {
  method: string;
  path: string;
  /** Scheme, host and port of the server, e.g. `https://cyclecloud.example.com:8443`. */
  origin: string;
  /** What `fetch` threw. Only a sanitized copy (message, name, code) is kept as `cause`. */
  cause: unknown;
}

/** The request did not get an HTTP answer: the server is unreachable, TLS failed, or the connection broke. */
export class NetworkError extends CycleCloudError {
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  /** The system error code, e.g. `ECONNREFUSED` or `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly code: string | undefined;
  readonly kind: NetworkFailureKind;

  constructor(init: NetworkErrorInit) {
    const cause = sanitizeCause(init.cause);
    const code = errorCode(cause);
    const kind: NetworkFailureKind =
      code !== undefined && TLS_ERROR_CODES.has(code)
        ? "tls"
        : code !== undefined && UNREACHABLE_ERROR_CODES.has(code)
          ? "unreachable"
          : "connection";
    super(networkErrorMessage(init, kind, code, failureReason(cause)), { cause });
    this.method = init.method;
    this.path = init.path;
    this.origin = init.origin;
    this.code = code;
    this.kind = kind;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      method: this.method,
      path: this.path,
      origin: this.origin,
      code: this.code,
      kind: this.kind,
    };
  }
}

function networkErrorMessage(
  init: NetworkErrorInit,
  kind: NetworkFailureKind,
  code: string | undefined,
  reason: string,
): string {
  const request = `${init.method} ${init.path}`;
  const codeSuffix = code === undefined || reason.includes(code) ? "" : ` (${code})`;
  switch (kind) {
    case "tls": {
      const fix =
        code === "ERR_TLS_CERT_ALTNAME_INVALID"
          ? "use the host name the certificate was issued for in `url`"
          : "if the server uses a self-signed or private certificate, trust it with the `caCert` option " +
            "(stack config `cyclecloud:caCertPath` or `cyclecloud:caCert`)";
      return (
        `Could not verify the TLS certificate of CycleCloud at ${init.origin} for ${request}: ` +
        `${reason}${codeSuffix}. To fix, ${fix}; \`insecure: true\` turns verification off (not recommended)`
      );
    }
    case "unreachable":
      return (
        `CycleCloud is unreachable at ${init.origin} for ${request}: ${reason}${codeSuffix}; ` +
        "check `url` and that the server is running and reachable from this machine"
      );
    case "connection":
      return `Connection to CycleCloud at ${init.origin} failed during ${request}: ${reason}${codeSuffix}`;
  }
}

function errorCode(error: Error): string | undefined {
  const code: unknown = Reflect.get(error, "code");
  return typeof code === "string" && code !== "" ? code : undefined;
}

/** node-fetch says "request to URL failed, reason: X": keep X. */
function failureReason(error: Error): string {
  return error.message.match(/failed, reason: (.*)$/s)?.[1] ?? error.message;
}

/**
 * A copy of what `fetch` threw holding only its name, message (URL credentials redacted) and code.
 * The original may reference sockets or request options; none of that is kept.
 */
function sanitizeCause(cause: unknown): Error {
  // undici's fetch wraps the system error: `TypeError("fetch failed", { cause: systemError })`.
  const inner: unknown = cause instanceof Error && errorCode(cause) === undefined ? cause.cause : undefined;
  const source = inner instanceof Error ? inner : cause;
  const copy = new Error(redactUrlCredentials(source instanceof Error ? source.message : String(source)));
  if (source instanceof Error) {
    // Like a native error's, the name is not an own enumerable property.
    Object.defineProperty(copy, "name", { value: source.name, configurable: true, writable: true });
    const code = errorCode(source);
    if (code !== undefined) {
      Object.assign(copy, { code });
    }
  }
  return copy;
}

export interface TimeoutErrorInit {
  method: string;
  path: string;
  timeoutMs: number;
}

/** CycleCloud did not answer within `timeoutMs`. */
export class TimeoutError extends CycleCloudError {
  readonly method: string;
  readonly path: string;
  readonly timeoutMs: number;

  constructor(init: TimeoutErrorInit) {
    super(
      `CycleCloud did not answer ${init.method} ${init.path} within ${init.timeoutMs} ms; ` +
        "if the server is just slow, raise `timeoutSeconds` (stack config `cyclecloud:timeoutSeconds` or " +
        "`connection.timeoutSeconds`; `timeoutMs` of a CycleCloudClient)",
    );
    this.method = init.method;
    this.path = init.path;
    this.timeoutMs = init.timeoutMs;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), method: this.method, path: this.path, timeoutMs: this.timeoutMs };
  }
}

export interface ResponseValidationErrorInit {
  method: string;
  path: string;
  status: number;
  /** The wire type the body should have been, e.g. `NodeList`. */
  expected: string;
  /** What does not match, each naming the JSON path: `nodes[2].NodeId: expected string, got number`. */
  problems: readonly string[];
}

/**
 * The request succeeded but the answer could not be read: the body is not JSON (an HTML login page
 * of a proxy, say) or does not match the expected wire type. Deliberately not an `HttpError`.
 */
export class ResponseValidationError extends CycleCloudError {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly expected: string;
  readonly problems: readonly string[];

  constructor(init: ResponseValidationErrorInit) {
    super(
      `CycleCloud answered ${init.status} to ${init.method} ${init.path} but the body is not a valid ` +
        `${init.expected}: ${init.problems.join("; ")}`,
    );
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.expected = init.expected;
    this.problems = init.problems;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      method: this.method,
      path: this.path,
      status: this.status,
      expected: this.expected,
      problems: this.problems,
    };
  }
}

/** The text CycleCloud answers (404) when listing the nodes of a request id it never saw. */
export const UNKNOWN_REQUEST_ID_TEXT = "No operation found for request id";

/**
 * True when `error` is CycleCloud saying it knows no such request id (`GET /clusters/{c}/nodes?request_id=ID`).
 * Callers treat that as "no nodes". The text decides: any 4xx whose message or detail contains
 * "No operation found for request id" (servers answer 404).
 */
export function isUnknownRequestId(error: unknown): error is HttpError {
  if (!(error instanceof HttpError) || error.status < 400 || error.status >= 500) {
    return false;
  }
  const needle = UNKNOWN_REQUEST_ID_TEXT.toLowerCase();
  return [error.serverMessage, error.body?.Detail].some(
    (text) => text !== undefined && text.toLowerCase().includes(needle),
  );
}
