import { CycleCloudError, brandedGuard } from "./cyclecloud-error";

export interface TimeoutErrorInit {
  method: string;
  path: string;
  timeoutMs: number;
  /**
   * After retries: the attempts made, how many of them timed out (the last one did), the time
   * from the first to the end of the last, and the server's origin.
   */
  attempts?: { made: number; timedOut: number; elapsedMs: number; origin: string } | undefined;
}

/** CycleCloud did not answer within `timeoutMs` (on the last of `attempts.made` attempts). */
export class TimeoutError extends CycleCloudError {
  readonly method: string;
  readonly path: string;
  readonly timeoutMs: number;
  /** Only after retries (`declare`: absent, not undefined, from `toJSON` otherwise). */
  declare readonly attempts?: number;
  declare readonly elapsedMs?: number;

  constructor(init: TimeoutErrorInit) {
    super(`${timeoutText(init)}; ${TIMEOUT_ADVICE}`);
    this.method = init.method;
    this.path = init.path;
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
  if (ms < 60_000) {
    const seconds = Math.round(ms / 100) / 10;
    return `${seconds} s`;
  }
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/**
 * Whether `value` is the client's `TimeoutError`, also one from another copy of this package; not
 * any error named `TimeoutError` (`AbortSignal.timeout()` rejects with a `DOMException` so named).
 */
export const isTimeoutError = brandedGuard(TimeoutError);
