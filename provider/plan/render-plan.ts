/** The plan as text: a terminal table (the default) or Markdown (a pull-request comment). */
import {
  MAX_MESSAGE_LENGTH,
  MAX_NAME_LENGTH,
  markdownCode,
  markdownText,
  plainText,
} from "../../wire/util/server-text";
import type { CapacityPlan, PlanBucket, PlanChange } from "./plan-types";

const CHANGE_HEADER = ["node set", "cluster", "nodearray", "machine type", "action", "from", "to"];
const BUCKET_HEADER = [
  "node set",
  "cluster",
  "nodearray",
  "machine type",
  "available now",
  "requested",
  "available after",
  "binding limit",
  "fits",
];

function changeRow(change: PlanChange): string[] {
  return [
    change.name,
    change.cluster,
    change.nodearray,
    change.machineType ?? "-",
    change.action,
    String(change.from),
    String(change.to),
  ];
}

function bucketRow(bucket: PlanBucket): string[] {
  const group = bucket.placementGroupId === undefined ? "" : ` (placement group ${bucket.placementGroupId})`;
  return [
    bucket.set,
    bucket.cluster,
    bucket.nodearray,
    `${bucket.machineType ?? "-"}${group}`,
    String(bucket.availableNow),
    String(bucket.requested),
    String(bucket.availableAfter),
    bucket.bindingLimit,
    bucket.fits ? "yes" : bucket.preflight === "warn" ? "no (warns)" : "NO",
  ];
}

function verdict(plan: CapacityPlan): string {
  if (plan.fits) return "Every increase fits.";
  return plan.refused
    ? "Some increase does not fit: preflight refuses it (see the binding limit)."
    : 'Some increase does not fit: its set\'s `preflight` is "warn", so preflight warns and the update tries anyway (see the binding limit).';
}

type Table = (header: readonly string[], rows: readonly string[][]) => string;

/** The title, the two tables (the buckets' only when there are any), the verdict and the error lines. */
function render(
  plan: CapacityPlan,
  title: string,
  table: Table,
  errorLine: (line: string) => string,
): string {
  const parts = [title, "", table(CHANGE_HEADER, plan.changes.map(changeRow))];
  if (plan.buckets.length > 0) parts.push("", table(BUCKET_HEADER, plan.buckets.map(bucketRow)));
  parts.push("", verdict(plan), ...errorLines(plan).map(errorLine));
  return `${parts.join("\n")}\n`;
}

/** A cell for a terminal: cells hold the server's names, so each is sanitized ({@link plainText}). */
function textCell(cell: string): string {
  return plainText(cell, MAX_NAME_LENGTH);
}

/** Columns padded to their widest cell. */
function textTable(header: readonly string[], rawRows: readonly string[][]): string {
  const rows = rawRows.map((row) => row.map(textCell));
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The default output: two aligned tables and the verdict. */
export function renderTable(plan: CapacityPlan): string {
  return render(plan, `Capacity plan of stack ${textCell(plan.stack)}`, textTable, (line) => line);
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const escape = (cell: string) => markdownText(cell, { maxLength: MAX_NAME_LENGTH, table: true });
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Markdown for a pull-request comment. */
export function renderMarkdown(plan: CapacityPlan): string {
  const stack = markdownCode(plan.stack, { maxLength: MAX_NAME_LENGTH });
  const outcome = plan.fits ? "fits" : plan.refused ? "**does not fit**" : "does not fit (preflight warns)";
  // Each line is already plain text of at most MAX_NAME_LENGTH + MAX_MESSAGE_LENGTH + 19 characters.
  const quote = (line: string) => `> ${markdownText(line, { maxLength: 2 * MAX_MESSAGE_LENGTH })}`;
  return render(plan, `### Capacity plan of stack ${stack}: ${outcome}`, markdownTable, quote);
}

/**
 * The engine's errors of the sets, then preflight's line of each increase that does not fit: its
 * refusal, or (a set whose `preflight` is "warn") its warning.
 */
function errorLines(plan: CapacityPlan): string[] {
  return [
    ...plan.changes.flatMap((change) =>
      change.error === undefined
        ? []
        : [`${plainText(change.name, MAX_NAME_LENGTH)}: ${plainText(change.error, MAX_MESSAGE_LENGTH)}`],
    ),
    ...plan.buckets.flatMap((bucket) =>
      bucket.fits
        ? []
        : [
            `${plainText(bucket.set, MAX_NAME_LENGTH)}: ${bucket.preflight === "warn" ? "preflight warns: " : ""}` +
              plainText(bucket.line, MAX_MESSAGE_LENGTH),
          ],
    ),
  ];
}
