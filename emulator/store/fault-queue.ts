import { z } from "zod";
import { AdminError } from "../server/http-io";
import { MAX_FAULT_COUNT, MAX_REQUEST_NODES, MAX_RETRY_AFTER_SECONDS } from "../config/limits";

/**
 * API routes a fault can target. Other code (tests, the provider's tests) depends on these names:
 * never rename them.
 */
export const FAULT_ROUTES = [
  "status",
  "nodes",
  "create",
  "terminate",
  "deallocate",
  "start",
  "shutdown",
  "remove",
  "scale",
  "operations",
  /** The legacy `POST /cloud/actions/terminate_node/{cluster}`. */
  "terminate_node",
  /** The legacy `POST /cloud/actions/retry/{cluster}`. */
  "retry",
] as const;
export type FaultRoute = (typeof FAULT_ROUTES)[number];

/** The longest `delayMs` (one hour): longer waits would overflow Node's timers (2^31 ms) or hold sockets for days. */
export const MAX_FAULT_DELAY_MS = 3_600_000;

const DELAY_TOO_LONG = `\`delayMs\` must be at most ${MAX_FAULT_DELAY_MS} (one hour)`;

/** Most faults pending at once: adding one more is refused. */
export const MAX_PENDING_FAULTS = 1000;

/** Body of `POST /__emulator/faults`. */
export const FaultInputSchema = z
  .strictObject({
    route: z.enum(FAULT_ROUTES),
    /** How many of the next requests of `route` get the fault. @default 1 */
    count: z.number().int().positive().max(MAX_FAULT_COUNT).optional(),
    /** Answer this status (with a CycleCloud-style error body, or `body`) without applying the request. */
    status: z.number().int().min(200).max(599).optional(),
    /** `Retry-After` header sent with `status`: seconds, or an HTTP date string. */
    retryAfter: z
      .union([z.number().int().nonnegative().max(MAX_RETRY_AFTER_SECONDS), z.string().min(1).max(100)])
      .optional(),
    /** Wait this long before answering (or resetting), at most an hour. The request is applied first. */
    delayMs: z.number().int().nonnegative().max(MAX_FAULT_DELAY_MS, { error: DELAY_TOO_LONG }).optional(),
    /** `before`: drop the connection without applying; `after`: apply, then drop without answering. */
    reset: z.enum(["before", "after"]).optional(),
    /** Sent instead of the default error body: a string is sent verbatim, anything else as JSON. */
    body: z.unknown().optional(),
    /** `create` and `scale` only: each set adds at most this many nodes, with a capacity message. */
    maxAdded: z.number().int().nonnegative().max(MAX_REQUEST_NODES).optional(),
  })
  .superRefine((fault, ctx) => {
    const issue = (path: string[], message: string): void => {
      ctx.addIssue({ code: "custom", path, message });
    };
    const answers = fault.status !== undefined || fault.body !== undefined;
    if (fault.reset !== undefined && answers) {
      issue(["reset"], "`reset` cannot be combined with `status` or `body`");
    }
    if (fault.retryAfter !== undefined && fault.status === undefined) {
      issue(["retryAfter"], "`retryAfter` needs `status`");
    }
    if (fault.maxAdded !== undefined && fault.route !== "create" && fault.route !== "scale") {
      issue(["maxAdded"], "`maxAdded` applies to routes create and scale only");
    } else if (fault.maxAdded !== undefined && (answers || fault.reset === "before")) {
      issue(
        ["maxAdded"],
        "`maxAdded` needs the request to be applied: drop `status`, `body` and `reset: before`",
      );
    }
    if (!answers && [fault.reset, fault.delayMs, fault.maxAdded].every((field) => field === undefined)) {
      issue([], "a fault needs at least one of `status`, `body`, `reset`, `delayMs` or `maxAdded`");
    }
  });
export type FaultInput = z.input<typeof FaultInputSchema>;

/** A fault as stored: the input with its id and how many requests it still applies to. */
export type Fault = Readonly<
  Omit<z.output<typeof FaultInputSchema>, "count"> & { id: number; remaining: number }
>;

/** Pending faults, consumed in the order they were added, per route. */
export class FaultQueue {
  private faults: Fault[] = [];
  private nextId = 1;

  /** Adds a checked fault (see {@link FaultInputSchema}). */
  add(input: z.output<typeof FaultInputSchema>): Fault {
    if (this.faults.length >= MAX_PENDING_FAULTS) {
      throw new AdminError(
        409,
        `${MAX_PENDING_FAULTS} faults are already pending: clear them (DELETE /__emulator/faults) first`,
      );
    }
    const { count, ...rest } = input;
    const fault: Fault = { id: this.nextId++, remaining: count ?? 1, ...rest };
    this.faults.push(fault);
    return fault;
  }

  /** The fault the next request of `route` gets, if any; uses up one of its count. */
  take(route: FaultRoute): Fault | undefined {
    const index = this.faults.findIndex((fault) => fault.route === route);
    const fault = this.faults[index];
    if (fault === undefined) return undefined;
    if (fault.remaining <= 1) {
      this.faults.splice(index, 1);
    } else {
      this.faults[index] = { ...fault, remaining: fault.remaining - 1 };
    }
    return fault;
  }

  list(): Fault[] {
    return [...this.faults];
  }

  /** Drops every pending fault and restarts ids at 1; returns how many there were. */
  clear(): number {
    const cleared = this.faults.length;
    this.faults = [];
    this.nextId = 1;
    return cleared;
  }
}
