/**
 * The base class of every error the CycleCloud client throws, the one `toJSON` they share, and the
 * brands their type guards check.
 *
 * Credentials never reach an error: the client keeps the `Authorization` header to itself, URLs are
 * stripped of `user:pass@` (`redactUrlCredentials`), and a network error's `cause` is a sanitized
 * copy of the original.
 */

/**
 * Marks `target` and its subclasses with `brand`: a non-enumerable static property, so it shows in
 * neither `JSON.stringify` nor `util.inspect` of an instance (not even with `showHidden`, which
 * would list a prototype's symbols). The brands come from `Symbol.for`, which every realm and every
 * copy of this package loaded in the process share, so a type guard recognises an error thrown by
 * another copy, where `instanceof` does not.
 */
export function brandClass(target: abstract new (...args: never[]) => object, brand: symbol): void {
  Object.defineProperty(target, brand, { value: true });
}

/** Whether `value` is an instance of a class marked with `brand` by `brandClass` (or of a subclass). */
export function hasBrand(value: unknown, brand: symbol): boolean {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const constructor: unknown = Reflect.get(value, "constructor");
  return typeof constructor === "function" && Reflect.get(constructor, brand) === true;
}

const CYCLECLOUD_ERROR_BRAND = Symbol.for("pulumi-cyclecloud.CycleCloudError");

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
brandClass(CycleCloudError, CYCLECLOUD_ERROR_BRAND);

/** Whether `value` is a `CycleCloudError` (any of the client's errors), also one from another copy of this package. */
export function isCycleCloudError(value: unknown): value is CycleCloudError {
  return value instanceof CycleCloudError || hasBrand(value, CYCLECLOUD_ERROR_BRAND);
}
