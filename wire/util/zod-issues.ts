/**
 * zod issues as text, for messages that name the bad value. The same semantics as
 * `emulator/zod-issues.ts`, which the emulator keeps for now (it is to import this one).
 */
import type { z } from "zod";

/** `sets[0].count`, `clusters[1].nodearrays[0].name`; the root is `(root)`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") {
      text += `[${String(key)}]`;
    } else {
      text += text === "" ? String(key) : `.${String(key)}`;
    }
  }
  return text === "" ? "(root)" : text;
}

/** One line per issue, each naming the path of the bad value: `sets[0].count: Too small: ...`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join("; ");
}
