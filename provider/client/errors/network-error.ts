/** The errors of a request that got no answer: a network failure, or none within the timeout. */
import { RequestError, brandedGuard, redactUrlCredentials } from "./cyclecloud-error";
import type { RequestTarget } from "./cyclecloud-error";

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

/**
 * What went wrong below HTTP: `tls` (certificate not trusted), `protocol` (the server did not speak
 * TLS: an `https` url at a plain HTTP port), `unreachable`, or `connection` (reset, ...).
 */
export type NetworkFailureKind = "tls" | "protocol" | "unreachable" | "connection";

/** OpenSSL's words when the other end does not answer TLS (e.g. plain HTTP): `wrong version number`. */
const NOT_TLS = /wrong version number|unknown protocol|packet length too long|http request/i;

export interface NetworkErrorInit extends RequestTarget {
  /** Scheme, host and port of the server, e.g. `https://cyclecloud.example.com:8443`. */
  origin: string;
  /** What `fetch` threw. Only a sanitized copy (message, name, code) is kept as `cause`. */
  cause: unknown;
}

/** The request did not get an HTTP answer: the server is unreachable, TLS failed, or the connection broke. */
export class NetworkError extends RequestError {
  readonly origin: string;
  /** The system error code, e.g. `ECONNREFUSED` or `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly code: string | undefined;
  readonly kind: NetworkFailureKind;

  constructor(init: NetworkErrorInit) {
    const cause = sanitizeCause(init.cause);
    const code = errorCode(cause);
    const kind = TLS_ERROR_CODES.has(code ?? "")
      ? "tls"
      : code === "EPROTO" && NOT_TLS.test(cause.message)
        ? "protocol"
        : UNREACHABLE_ERROR_CODES.has(code ?? "")
          ? "unreachable"
          : "connection";
    super(networkErrorMessage(init, kind, cause), init, { cause });
    this.origin = init.origin;
    this.code = code;
    this.kind = kind;
  }
}

/** Whether `value` is a `NetworkError`, also one from another copy of this package. */
export const isNetworkError = brandedGuard(NetworkError);

function networkErrorMessage(init: NetworkErrorInit, kind: NetworkFailureKind, cause: Error): string {
  const code = errorCode(cause);
  // node-fetch says "request to URL failed, reason: X": keep X.
  const reason = cause.message.match(/failed, reason: (.*)$/s)?.[1] ?? cause.message;
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
    case "protocol": {
      // OpenSSL's text holds its source path: keep its reason (`wrong version number`).
      const why = reason.match(/SSL routines:[^:]*:([^:]+)/)?.[1] ?? reason;
      return (
        `CycleCloud at ${init.origin} did not answer ${request} over TLS: ${why}${code === undefined ? "" : ` (${code})`}; ` +
        "the server on that port may speak plain HTTP: check the scheme and port of `url`"
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

/**
 * A copy of what `fetch` threw holding only its name, message (URL credentials redacted) and code.
 * The original may reference sockets or request options; none of that is kept.
 */
function sanitizeCause(cause: unknown): Error {
  // undici's fetch wraps the system error: `TypeError("fetch failed", { cause: systemError })`.
  const inner: unknown = cause instanceof Error && errorCode(cause) === undefined ? cause.cause : undefined;
  const source = inner instanceof Error ? inner : cause;
  const copy = new Error(redactUrlCredentials(source instanceof Error ? source.message : String(source)));
  if (!(source instanceof Error)) return copy;
  // Like a native error's, the name is not an own enumerable property.
  Object.defineProperty(copy, "name", { value: source.name, configurable: true, writable: true });
  const code = errorCode(source);
  return code === undefined ? copy : Object.assign(copy, { code });
}

export interface TimeoutErrorInit extends RequestTarget {
  timeoutMs: number;
  /** After retries: the attempts made, how many timed out (the last one did), their time, the server's origin. */
  attempts?: { made: number; timedOut: number; elapsedMs: number; origin: string } | undefined;
}

/** CycleCloud did not answer within `timeoutMs` (on the last of `attempts.made` attempts). */
export class TimeoutError extends RequestError {
  readonly timeoutMs: number;
  /** Only after retries (`declare`: absent, not undefined, from `toJSON` otherwise). */
  declare readonly attempts?: number;
  declare readonly elapsedMs?: number;

  constructor(init: TimeoutErrorInit) {
    super(`${timeoutText(init)}; ${TIMEOUT_ADVICE}`, init);
    this.timeoutMs = init.timeoutMs;
    if (init.attempts !== undefined) {
      this.attempts = init.attempts.made;
      this.elapsedMs = init.attempts.elapsedMs;
    }
  }
}

const TIMEOUT_ADVICE =
  "if the server is just slow, raise `timeoutSeconds` (stack config `cyclecloud:timeoutSeconds` or " +
  "`connection.timeoutSeconds`; `timeoutMs` of a CycleCloudClient)";

function timeoutText({ method, path, timeoutMs, attempts }: TimeoutErrorInit): string {
  const within = formatDuration(timeoutMs);
  if (attempts === undefined || attempts.made <= 1) {
    return `CycleCloud did not answer ${method} ${path} within ${within}`;
  }
  const which =
    attempts.timedOut >= attempts.made
      ? `on any of ${attempts.made} attempts`
      : `on ${attempts.timedOut} of ${attempts.made} attempts, the last one included`;
  return (
    `CycleCloud at ${attempts.origin} did not answer ${method} ${path} within ${within} ${which} ` +
    `(${formatDuration(attempts.elapsedMs)} in all); check that \`url\` names a CycleCloud server that is up`
  );
}

/** `250 ms`, `30 s`, `1.5 s`, `1 min 32 s`, `2 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  const total = Math.round(ms / 1000);
  const [minutes, seconds] = [Math.floor(total / 60), total % 60];
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/**
 * Whether `value` is the client's `TimeoutError`, also one from another copy of this package; not
 * any error named `TimeoutError` (`AbortSignal.timeout()` rejects with a `DOMException` so named).
 */
export const isTimeoutError = brandedGuard(TimeoutError);
