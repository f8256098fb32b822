/**
 * Where the provider's lines go. In a provider process: progress and warnings to stdout (the
 * Pulumi engine shows them), the client's retry lines to stderr. Tests and the bench pass their
 * own to capture them.
 */
export interface Logger {
  /** A progress or warning line of a set. */
  info(line: string): void;
  /** A line of the client (a retried request). */
  error(line: string): void;
}

/** The provider process's logger: `console.log` and `console.error`, looked up when called. */
export const consoleLogger: Logger = {
  info: (line) => console.log(line),
  error: (line) => console.error(line),
};
