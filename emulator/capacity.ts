/**
 * Capacity arithmetic, free of I/O: every limit is turned into "how many more nodes of this size
 * fit", and the smallest one binds.
 */

/** One limit, expressed as the number of nodes of the size at hand that still fit under it. */
export interface Limit {
  /** Says which limit this is, as it appears in a partial-add message. */
  readonly description: string;
  readonly remaining: number;
}

/** A limit on a node count: `max` nodes, `used` already taken. */
export function countLimit(description: string, max: number, used: number): Limit {
  return { description, remaining: max - used };
}

/** A limit on cores: `maxCores` cores, `usedCores` already taken, nodes of `vcpuCount` cores each. */
export function coreLimit(
  description: string,
  maxCores: number,
  usedCores: number,
  vcpuCount: number,
): Limit {
  return { description, remaining: Math.floor((maxCores - usedCores) / vcpuCount) };
}

export interface Fit {
  /** How many nodes fit under every limit (never negative). */
  readonly fit: number;
  /** The first limit that allows only `fit` nodes; undefined when there are no limits. */
  readonly binding: Limit | undefined;
}

/** The number of nodes that fit under all `limits` at once, and the limit that binds. */
export function fitUnder(limits: readonly Limit[]): Fit {
  let binding: Limit | undefined;
  for (const limit of limits) {
    if (binding === undefined || limit.remaining < binding.remaining) {
      binding = limit;
    }
  }
  if (binding === undefined) {
    return { fit: Number.MAX_SAFE_INTEGER, binding };
  }
  return { fit: Math.max(0, binding.remaining), binding };
}

/** The `message` of a create set that added fewer nodes than asked. */
export function partialAddMessage(added: number, requested: number, reason: string): string {
  return `Added ${String(added)} of ${String(requested)} requested nodes: ${reason}`;
}
