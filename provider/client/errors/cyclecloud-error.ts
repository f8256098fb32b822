/**
 * The client's base error, its `toJSON`, the brands of the guards, and the settings error.
 * Credentials never reach an error: the client keeps the `Authorization` header to itself, URLs are
 * stripped of `user:pass@` (`redactUrlCredentials`), and a network error's `cause` is a sanitized
 * copy of the original.
 */

/**
 * Marks `target` and its subclasses with a brand and returns its type guard. The brand is a
 * non-enumerable static property, so it shows in neither `JSON.stringify` nor `util.inspect` of an
 * instance (not even with `showHidden`, which would list a prototype's symbols). It comes from
 * `Symbol.for`, which every realm and every copy of this package loaded in the process share, so
 * the guard recognises an error thrown by another copy, where `instanceof` does not.
 */
export function brandedGuard<C extends abstract new (...args: never[]) => object>(
  target: C,
): (value: unknown) => value is InstanceType<C> {
  const brand = Symbol.for(`pulumi-cyclecloud.${target.name}`);
  Object.defineProperty(target, brand, { value: true });
  return (value): value is InstanceType<C> => {
    if (value instanceof target) return true;
    if (typeof value !== "object" || value === null) return false;
    const constructor: unknown = Reflect.get(value, "constructor");
    return typeof constructor === "function" && Reflect.get(constructor, brand) === true;
  };
}

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

  /**
   * `name`, `message`, then the public fields the class declares, in declaration order: those are
   * exactly the error's own enumerable properties (`name`, `message`, `stack` and `cause` are not
   * enumerable, and nothing is added to an error after construction). Subclasses write no `toJSON`.
   */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, ...Object.fromEntries(Object.entries(this)) };
  }
}

/** Whether `value` is a `CycleCloudError` (any of the client's errors), also one from another copy of this package. */
export const isCycleCloudError = brandedGuard(CycleCloudError);

/** The request an error is about: its method, and its path and query (no host or credentials). */
export interface RequestTarget {
  method: string;
  /** e.g. `/clusters/hpc/status?nodes=false`. */
  path: string;
}

/** An error about one request: its `method` and `path` come first in `toJSON`. */
export abstract class RequestError extends CycleCloudError {
  readonly method: string;
  readonly path: string;

  constructor(message: string, { method, path }: RequestTarget, options?: ErrorOptions) {
    super(message, options);
    this.method = method;
    this.path = path;
  }
}

/** The client settings are invalid: each issue names the option in backticks and the fix. */
export class SettingsError extends CycleCloudError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`Invalid CycleCloud client settings: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

/** Whether `value` is a `SettingsError`, also one from another copy of this package. */
export const isSettingsError = brandedGuard(SettingsError);
