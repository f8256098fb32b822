/**
 * The preflight of an update refused it before any node was touched: the nodes the update would
 * create (replacements of failed, stuck or missing nodes) do not fit the cluster. Thrown by `diff`,
 * so `pulumi preview` and `pulumi up` stop on it.
 */
export class PreflightRefusalError extends Error {
  override readonly name = "PreflightRefusalError";
}

export function isPreflightRefusalError(value: unknown): value is PreflightRefusalError {
  return value instanceof PreflightRefusalError;
}
