/**
 * Bounds on every number the emulator accepts (request bodies and queries, admin bodies, config
 * files and snapshots), and the object keys it refuses. They keep one request from blocking the
 * event loop or exhausting memory; each is far above what a test or a real cluster needs.
 */
import { z } from "zod";

/** Most nodes one create request (all sets together) or one scale may ask for; also the most failures armed at once. */
export const MAX_REQUEST_NODES = 10_000;

/** Largest `nameOffset`, and so the largest index a generated name can carry is below 2 * 10^9. */
export const MAX_NAME_OFFSET = 1_000_000_000;

/** Longest `nameFormat`. */
export const MAX_NAME_FORMAT_LENGTH = 256;

/** Most sets in one create request. */
export const MAX_SETS = 100;

/** Largest node count in a config, snapshot or admin capacity change (`maxCount`, `quotaCount`, ...). */
export const MAX_CONFIG_NODES = 1_000_000;

/** Largest core count in a config, snapshot, admin change or scale query (`maxCoreCount`, quotas, `totalCoreCount`). */
export const MAX_CORES = 1_000_000_000;

/** Largest lifecycle duration (one day), as the CLI's `--acquiring-ms` and the other timing flags. */
export const MAX_TIMING_MS = 24 * 60 * 60 * 1000;

/** Most requests one fault applies to. */
export const MAX_FAULT_COUNT = 10_000;

/** Largest `Retry-After` seconds of a fault (one day). */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/** A node count of a config or admin change: an integer from 0 to {@link MAX_CONFIG_NODES}. */
export const nodeCount = z.number().int().nonnegative().max(MAX_CONFIG_NODES);

/** A core count: an integer from 0 to {@link MAX_CORES}. */
export const coreCount = z.number().int().nonnegative().max(MAX_CORES);

/** A lifecycle duration in ms: an integer from 0 to {@link MAX_TIMING_MS}. */
export const timingMs = z.number().int().nonnegative().max(MAX_TIMING_MS);

/** A change of lifecycle durations (admin `POST /__emulator/timing`, the `timing` option). */
export const TimingSchema = z.strictObject({
  acquiringMs: timingMs.optional(),
  preparingMs: timingMs.optional(),
  terminatingMs: timingMs.optional(),
});

/**
 * Keys that would reach or replace an object's prototype when used as a map key (`map[key] = …`):
 * never accepted as a name of a cluster, nodearray, family, region or attribute.
 */
export function isForbiddenKey(key: string): boolean {
  return key === "__proto__" || key === "constructor" || key === "prototype";
}

/** The message for a forbidden key. */
export function forbiddenKeyMessage(key: string): string {
  return `"${key}" is not allowed as a name or key (it would reach JavaScript's Object.prototype)`;
}

/** A name used as a map key: non-empty and not a forbidden key. */
export const keyName = z
  .string()
  .min(1)
  .refine((key) => !isForbiddenKey(key), { error: (issue) => forbiddenKeyMessage(String(issue.input)) });

/**
 * `path: message` for the first forbidden key in a JSON value (the path as
 * `nodearrays[0].nodearray.__proto__`), or undefined. Checks own keys at every depth; `JSON.parse`
 * makes `__proto__` an own key.
 */
export function forbiddenKeyIssue(value: unknown, path = ""): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const list = Array.isArray(value);
    const here = list ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
    const found =
      !list && isForbiddenKey(key) ? `${here}: ${forbiddenKeyMessage(key)}` : forbiddenKeyIssue(inner, here);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A map with no prototype: no key, `__proto__` included, reaches `Object.prototype`. */
export function emptyMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
