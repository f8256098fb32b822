/**
 * The preflight of an update refused it before any node was touched: the nodes the update would
 * create (replacements of failed, stuck or missing nodes) do not fit the cluster. Thrown by `diff`,
 * so `pulumi preview` and `pulumi up` stop on it.
 *
 * The dynamic provider host prints `${error}: ${error.stack}` to stderr for an error thrown by
 * `diff`, before the engine shows the message as the set's error: with a short `toString` and
 * `stack`, that stderr line is one pointer (`cyclecloud: preflight refused the update: the reason is
 * the node set's error`) instead of the message twice and a stack trace.
 */
export class PreflightRefusalError extends Error {
  override readonly name = "PreflightRefusalError";

  constructor(message: string) {
    super(message);
    this.stack = "the reason is the node set's error";
  }

  override toString(): string {
    return "cyclecloud: preflight refused the update";
  }
}

export function isPreflightRefusalError(value: unknown): value is PreflightRefusalError {
  return value instanceof PreflightRefusalError;
}
