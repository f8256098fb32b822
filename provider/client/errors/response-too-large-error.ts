import { CycleCloudError, brandedGuard } from "./cyclecloud-error";

export interface ResponseTooLargeErrorInit {
  method: string;
  path: string;
  status: number;
  /** The limit that was reached, in bytes. */
  limitBytes: number;
}

/**
 * The answer's body was longer than the client accepts (`maxResponseBytes`): the client stopped
 * reading at the limit and dropped the connection. Not retried: the same request gets the same body.
 */
export class ResponseTooLargeError extends CycleCloudError {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly limitBytes: number;

  constructor(init: ResponseTooLargeErrorInit) {
    super(
      `CycleCloud answered ${init.status} to ${init.method} ${init.path} with a body larger than ` +
        `${formatBytes(init.limitBytes)}; the client stopped reading it. If the server is CycleCloud and the ` +
        "cluster is that large, raise the limit: `maxResponseMiB` (stack config `cyclecloud:maxResponseMiB`, " +
        "`connection.maxResponseMiB` or CYCLECLOUD_MAX_RESPONSE_MIB; `maxResponseBytes` of a CycleCloudClient); " +
        "otherwise check that `url` points at the CycleCloud server",
    );
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.limitBytes = init.limitBytes;
  }
}

/** Whether `value` is a `ResponseTooLargeError`, also one from another copy of this package. */
export const isResponseTooLargeError = brandedGuard(ResponseTooLargeError);

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB (${bytes} bytes)` : `${bytes} bytes`;
}
