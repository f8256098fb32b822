/** zod issues as text, for messages that name the bad value by its path. */
import type { z } from "zod";

/**
 * `sets[0].count`, `clusters[1].nodearrays[0].name`; the root is `(root)`. With `quoteKeys`, a key
 * that is not an identifier is quoted: `["a b"]`.
 */
export function formatIssuePath(path: readonly PropertyKey[], quoteKeys = false): string {
  let text = "";
  for (const key of path) {
    const name = String(key);
    if (typeof key === "number") text += `[${name}]`;
    else if (quoteKeys && !/^[A-Za-z_$][\w$]*$/.test(name)) text += `[${JSON.stringify(name)}]`;
    else text += text === "" ? name : `.${name}`;
  }
  return text === "" ? "(root)" : text;
}

/** One line per issue, each naming the path of the bad value: `sets[0].count: Too small: ...`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join("; ");
}

/**
 * `where: expected string, got number` (`got 1.5` for a fractional integer, `but it is missing` for
 * an absent value), naming the type of the value at the issue's path in `root`; another issue as
 * `where: message`.
 */
export function describeIssue(issue: z.core.$ZodIssue, root: unknown, where: string): string {
  if (issue.code !== "invalid_type") return `${where}: ${issue.message}`;
  const expected = issue.expected === "int" ? "integer" : issue.expected;
  let actual = root;
  for (const key of issue.path) {
    actual = typeof actual === "object" && actual !== null ? Reflect.get(actual, key) : undefined;
  }
  if (actual === undefined) return `${where}: expected ${expected}, but it is missing`;
  const type = actual === null ? "null" : Array.isArray(actual) ? "array" : typeof actual;
  const got = expected === "integer" && type === "number" ? String(actual) : type;
  return `${where}: expected ${expected}, got ${got}`;
}
