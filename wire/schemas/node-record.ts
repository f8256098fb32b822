import { z } from "zod";
import { describeIssue } from "../util/zod-issues";

/** A value a node record key may hold that a server may also send as `null`. */
const optionalString = z.string().nullish();
const optionalNumber = z.number().nullish();
const optionalBoolean = z.boolean().nullish();

/**
 * One node record, PascalCase as on the wire. Strict about the keys the library relies on
 * (`NodeId`, `Name`, `Template`, `Status`); every other key is optional, and unknown keys are
 * dropped. The reference types a node record as a bare object, so a listing may hold records this
 * schema does not read (a head node of an older server, a record missing `NodeId`): listings keep
 * those apart, as sent ({@link NodeListSchema}).
 */
const NodeRecordSchema = z.object({
  Name: z.string(),
  NodeId: z.string(),
  /** The nodearray the node was created from (there is no `NodeArray` key). */
  Template: z.string(),
  Status: z.string(),
  MachineType: optionalString,
  State: optionalString,
  TargetState: optionalString,
  Hostname: optionalString,
  PrivateIp: optionalString,
  PublicIp: optionalString,
  InstanceId: optionalString,
  PlacementGroupId: optionalString,
  Region: optionalString,
  ClusterName: optionalString,
  RequestId: optionalString,
  Configuration: z.record(z.string(), z.unknown()).nullish(),
  Tags: z.record(z.string(), z.unknown()).nullish(),
  KeepAlive: optionalBoolean,
  Interruptible: optionalBoolean,
  CoreCount: optionalNumber,
  Memory: optionalNumber,
  Infiniband: optionalBoolean,
  ShutdownPolicy: optionalString,
  /** Why the node is `Failed` (emulator and newer servers). */
  StatusMessage: optionalString,
});
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

/** `OperationStatus`: there is no completion field; progress is read from node records. */
export const OperationStatusSchema = z.object({
  action: z.string(),
  startTime: z.string(),
  id: z.string().optional(),
});
export type OperationStatus = z.infer<typeof OperationStatusSchema>;

/**
 * Node records as a listing sends them, split: the ones {@link NodeRecordSchema} reads go to
 * `nodes` (in wire order), the others stay as sent in `unparsedNodes` (only when there are any).
 */
export interface SplitNodeRecords {
  nodes: NodeRecord[];
  /**
   * Records lacking a key this library reads or carrying a known key with another type. The
   * provider reads them only when they are nodes it manages, and then names what is wrong
   * ({@link nodeRecordProblems}).
   */
  unparsedNodes?: unknown[];
}

/**
 * How many unreadable records a listing may hold whatever its size. Beyond this and beyond half of
 * its records, the answer is not a listing of nodes (a broken or hostile server): it fails at once.
 */
export const TOLERATED_UNREADABLE_RECORDS = 100;

/**
 * A listing most of whose records this library cannot read: {@link splitNodeRecords} gave up.
 * Turned into a `ResponseValidationError` by the client (`response-parsing.ts`).
 */
export class UnreadableRecordsError extends Error {
  override readonly name = "UnreadableRecordsError";
}

/**
 * Splits node records as the server sent them. A record lacking a key the schema requires is set
 * aside without being validated (no error object per record); once more than
 * {@link TOLERATED_UNREADABLE_RECORDS} and more than half of the records are unreadable it throws
 * an {@link UnreadableRecordsError}, so a body of millions of junk records costs little time and
 * memory beyond its JSON.
 */
export function splitNodeRecords(items: readonly unknown[]): SplitNodeRecords {
  const nodes: NodeRecord[] = [];
  const unparsed: unknown[] = [];
  const limit = Math.max(TOLERATED_UNREADABLE_RECORDS, items.length / 2);
  let firstIndex = -1;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const parsed = hasRequiredKeys(item) ? NodeRecordSchema.safeParse(item) : undefined;
    if (parsed?.success === true) {
      nodes.push(parsed.data);
      continue;
    }
    if (firstIndex < 0) firstIndex = index;
    unparsed.push(item);
    if (unparsed.length > limit) {
      // The first unreadable record and why, e.g. `[0] Name: expected string, but it is missing`.
      const first = `[${firstIndex}] ${nodeRecordProblems(unparsed[0]).join(", ")}`;
      throw new UnreadableRecordsError(
        `more than half of its ${items.length} records are not node records this library can read ` +
          `(gave up after ${unparsed.length}; the first: ${first})`,
      );
    }
  }
  return unparsed.length > 0 ? { nodes, unparsedNodes: unparsed } : { nodes };
}

const REQUIRED_KEYS = ["Name", "NodeId", "Template", "Status"] as const;

/** Whether `item` is an object with the four keys {@link NodeRecordSchema} requires, as strings. */
function hasRequiredKeys(item: unknown): boolean {
  if (typeof item !== "object" || item === null) return false;
  return REQUIRED_KEYS.every((key) => typeof (item as Record<string, unknown>)[key] === "string");
}

/** Why {@link NodeRecordSchema} cannot read `record`, e.g. `["NodeId: expected string, got number"]`. */
export function nodeRecordProblems(record: unknown): string[] {
  const parsed = NodeRecordSchema.safeParse(record);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) =>
    describeIssue(issue, record, issue.path.length === 0 ? "(record)" : issue.path.map(String).join(".")),
  );
}

/** A record's `key` when it is a non-empty string (to name an unreadable record; a set's engine inputs). */
export function recordText(record: unknown, key: string): string | undefined {
  const value =
    typeof record === "object" && record !== null ? (record as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * `GET /clusters/{cluster}/nodes` (optionally filtered by `operation` or `request_id`). Without a
 * filter it lists every node of the cluster, the head node included; records split as
 * {@link splitNodeRecords} does.
 */
export const NodeListSchema = z
  .object({
    nodes: z.array(z.unknown()),
    operation: OperationStatusSchema.optional(),
  })
  .transform(({ nodes, operation }): NodeList => {
    const split = splitNodeRecords(nodes);
    return operation === undefined ? split : { ...split, operation };
  });
export interface NodeList extends SplitNodeRecords {
  operation?: OperationStatus;
}

/** `GET /operations/?request_id=ID`: zero or one item. */
export const OperationStatusListSchema = z.array(OperationStatusSchema);
