/**
 * Retry decisions as pure functions, table-tested. The policy (design.md, "Retries"): GETs and the
 * node management POSTs retry on network errors, timeouts and 408/429/5xx with capped exponential
 * backoff and jitter, honouring `Retry-After`; node creation is never retried (it recovers through
 * the 409/adopt protocol instead); anything else is not retried.
 */
import { HttpError, NetworkError, TimeoutError } from "./errors";

/** Statuses worth another attempt: the server was busy or failed before doing the work. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Methods that never change anything, so repeating them is always safe. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The longest `Retry-After` `parseRetryAfter` returns (one hour); `retryDelay` caps it further. */
export const RETRY_AFTER_CAP_MS = 3_600_000;

export interface ShouldRetryInput {
  method: string;
  /**
   * Whether repeating a non-GET request cannot do its work twice: true for node management by
   * ids and scale to a total; false for node creation.
   */
  idempotent: boolean;
  error: unknown;
  /** The attempt that just failed, 1 for the first. */
  attempt: number;
  /** Retries allowed after the first attempt (the `retries` setting). */
  maxRetries: number;
}

/**
 * Whether to try again after `error`: retries are left, the request is safe to repeat, and the
 * failure is transient (a network error other than an untrusted TLS certificate, a timeout, or a
 * status in `RETRYABLE_STATUSES`).
 */
export function shouldRetry({ method, idempotent, error, attempt, maxRetries }: ShouldRetryInput): boolean {
  if (attempt > maxRetries || (!SAFE_METHODS.has(method.toUpperCase()) && !idempotent)) return false;
  if (error instanceof HttpError) return RETRYABLE_STATUSES.has(error.status);
  if (error instanceof NetworkError) return error.kind !== "tls";
  return error instanceof TimeoutError;
}

export interface RetryDelayOptions {
  /** `retryBaseDelayMs`: the first retry waits between half of this and this. */
  baseMs: number;
  /** `retryMaxDelayMs`: no wait is longer, whatever the backoff or `Retry-After` say. */
  maxMs: number;
  /** The server's `Retry-After`, in milliseconds (from `parseRetryAfter`). */
  retryAfterMs?: number | undefined;
  /** A number in [0, 1) for the jitter. @default Math.random */
  random?: (() => number) | undefined;
}

/**
 * Milliseconds to wait before retry number `attempt` (1 for the first retry).
 *
 * Backoff: `min(maxMs, baseMs * 2^(attempt-1))`, with "equal jitter": half of it fixed, the other
 * half random, so concurrent clients spread out but never retry immediately.
 * `Retry-After`: never retry sooner than the server asked, but never wait longer than `maxMs` (a
 * server asking for minutes would otherwise stall a deployment; the next attempt may be refused
 * again and will back off further).
 */
export function retryDelay(attempt: number, options: RetryDelayOptions): number {
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const backoff = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return Math.min(options.maxMs, Math.max(backoff, options.retryAfterMs ?? 0));
}

/**
 * Parses a `Retry-After` header into milliseconds from `now` (epoch milliseconds): either delta
 * seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`; a date in the past is 0).
 * Capped at `RETRY_AFTER_CAP_MS`. Absent or invalid values (negative, fractional, unparseable)
 * give undefined.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim() ?? "";
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, RETRY_AFTER_CAP_MS);
  // HTTP dates name the day or month; requiring a letter keeps `Date.parse` from reading "1.5" as a date.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.min(Math.max(date - now, 0), RETRY_AFTER_CAP_MS);
}
