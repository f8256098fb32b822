/**
 * A module loaded when one of its exports is first read: the package entry (index.ts) uses it so a
 * program that only declares node sets does not load the client (node-fetch, its URL parser, the
 * wire schemas) it never calls.
 */

/** An object whose properties are those of `load()`'s result, loaded on the first read. */
export function lazyModule<T extends object>(load: () => T): T {
  let loaded: T | undefined;
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get((loaded ??= load()), key),
  });
}
