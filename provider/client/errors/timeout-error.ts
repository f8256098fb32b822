import { CycleCloudError, brandClass, hasBrand } from "./cyclecloud-error";

export interface TimeoutErrorInit {
  method: string;
  path: string;
  timeoutMs: number;
}

const TIMEOUT_ERROR_BRAND = Symbol.for("pulumi-cyclecloud.TimeoutError");

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
}
brandClass(TimeoutError, TIMEOUT_ERROR_BRAND);

/**
 * Whether `value` is the client's `TimeoutError`, also one from another copy of this package; not
 * any error named `TimeoutError` (`AbortSignal.timeout()` rejects with a `DOMException` so named).
 */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return value instanceof TimeoutError || hasBrand(value, TIMEOUT_ERROR_BRAND);
}
