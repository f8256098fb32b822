/**
 * The naming rule for clusters, nodearrays and nodes, and the wording the input checks share:
 * how a value is described in a message, and the reason for a misspelt key of an object input.
 */
import { nearestKey } from "../../wire/util/nearest-key";

export const NAME_HINT = "letters, digits, '.', '_' and '-'";

/**
 * The names this library accepts for a cluster, a nodearray and a node. CycleCloud's reference
 * publishes no naming rule; this one is conservative: ASCII letters, digits, '.', '_' and '-',
 * starting with a letter or digit (so never `.` or `..`, which URL normalisation would resolve
 * when the name is a path segment), at most {@link MAX_NAME_LENGTH} characters.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Longest cluster, nodearray or node name accepted. */
export const MAX_NAME_LENGTH = 80;
export const NAME_RULE = `1-${MAX_NAME_LENGTH} characters of ${NAME_HINT}, starting with a letter or digit`;

/** Whether `name` is a cluster, nodearray or node name this library accepts. */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && name.length <= MAX_NAME_LENGTH;
}

/** The reason a cluster, nodearray or node name given as `field` is refused, naming the fix. */
export function invalidNameReason(field: string, value: unknown, example: string): string {
  return `\`${field}\` must be ${NAME_RULE}, got ${describe(value)}: give the name of the ${example}`;
}

/** The reason for keys of an object input (`field`) it does not know, each with the nearest known key. */
export function unknownNestedKeys(field: string, keys: readonly string[], known: readonly string[]): string {
  const each = keys.map((key) => {
    const nearest = nearestKey(key, known);
    return `\`${field}.${key}\` is not a key of \`${field}\`${nearest ? `: did you mean \`${nearest}\`?` : ""}`;
  });
  return `${each.join("; ")} (\`${field}\` accepts ${known.map((k) => `\`${k}\``).join(", ")})`;
}

/** A value as a message shows it: strings quoted, objects and lists by kind only. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return String(value);
}
