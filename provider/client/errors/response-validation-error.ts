import { CycleCloudError, brandedGuard } from "./cyclecloud-error";

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
}

/** Whether `value` is a `ResponseValidationError`, also one from another copy of this package. */
export const isResponseValidationError = brandedGuard(ResponseValidationError);
