import { z } from "zod";
import {
  adminNodes,
  CapacityChangeSchema,
  failNodes,
  NodeSelectorSchema,
  QuotaChangeSchema,
  removeNodes,
  setCapacity,
  setQuota,
  setTiming,
} from "./admin-actions";
import { AdminError, json, parseJson } from "../server/http-io";
import { FaultInputSchema } from "../store/fault-queue";
import type { FaultQueue, FaultRoute } from "../store/fault-queue";
import type { EmulatorResponse } from "../server/http-io";
import type { NodeStore } from "../store/node-store";
import type { AdminNodeView } from "../store/wire-records";
import { formatIssues } from "../../wire/util/zod-issues";
import { MAX_REQUEST_NODES, TimingSchema } from "../config/limits";

/** Every admin path starts with this; it needs no credentials. */
export const ADMIN_PREFIX = "/__emulator";

/** Requests received per API route (faulted and rejected ones included), and in all. */
export type RequestCounters = Record<FaultRoute, number> & { total: number };

/** One API request as `GET /__emulator/requests` lists it. Credentials are never recorded. */
export interface RequestLogEntry {
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  /** The fault route, or null for requests that matched no route. */
  readonly route: FaultRoute | null;
  /** The status answered, or null when the connection was dropped by a `reset` fault. */
  readonly status: number | null;
  /** The id of the fault the request got, if any. */
  readonly faultId: number | null;
  /** The `X-Cycle-Client-Version` header, if sent. */
  readonly clientVersion: string | null;
  readonly userAgent: string | null;
}

/** What the admin surface acts on. */
export interface AdminTarget {
  readonly store: NodeStore;
  readonly faults: FaultQueue;
  counters(): RequestCounters;
  resetCounters(): void;
  requests(): readonly RequestLogEntry[];
  /** Back to the initial config: clears nodes, faults, counters and the request log. */
  resetAll(): void;
}

const FailNextNodesSchema = z.strictObject({
  /** At most MAX_REQUEST_NODES, also with the failures already armed. */
  count: z.number().int().positive().max(MAX_REQUEST_NODES),
  phase: z.enum(["acquiring", "preparing", "stuck"]).default("preparing"),
  message: z.string().min(1).optional(),
});

const DEFAULT_FAILURE_MESSAGES = {
  acquiring: "VM allocation failed (injected by the emulator)",
  preparing: "Node software configuration failed (injected by the emulator)",
  stuck: "Node is stuck in Acquiring (injected by the emulator)",
} as const;

function body<T extends z.ZodType>(text: string, schema: T): z.output<T> {
  const value = text.trim() === "" ? {} : parseJson(text, (message) => new AdminError(400, message));
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AdminError(400, formatIssues(parsed.error));
  return parsed.data;
}

type Handler = (target: AdminTarget, text: string) => EmulatorResponse;

const ROUTES: Record<string, Partial<Record<"GET" | "POST" | "DELETE", Handler>>> = {
  "/health": { GET: () => json(200, { status: "ok" }) },
  "/reset": {
    POST: (target) => {
      target.resetAll();
      return json(200, { reset: true });
    },
  },
  "/timing": {
    GET: (target) => json(200, target.store.timing),
    POST: (target, text) => json(200, setTiming(target.store, body(text, TimingSchema))),
  },
  "/faults": {
    GET: (target) => json(200, { faults: target.faults.list() }),
    POST: (target, text) => json(201, target.faults.add(body(text, FaultInputSchema))),
    DELETE: (target) => json(200, { cleared: target.faults.clear() }),
  },
  "/fail-nodes": {
    POST: (target, text) => {
      const selector = body(text, NodeSelectorSchema);
      const message = selector.message ?? "Node failed (injected by the emulator)";
      return matched(failNodes(target.store, selector, message));
    },
  },
  "/fail-next-nodes": {
    POST: (target, text) => {
      const { count, phase, message } = body(text, FailNextNodesSchema);
      const failure = { phase, message: message ?? DEFAULT_FAILURE_MESSAGES[phase] };
      return json(200, { pending: target.store.armFailures(count, failure) });
    },
  },
  "/remove-nodes": {
    POST: (target, text) => {
      const selector = body(text, NodeSelectorSchema);
      if (selector.message !== undefined) throw new AdminError(400, "`message` applies to fail-nodes only");
      return matched(removeNodes(target.store, selector));
    },
  },
  "/capacity": {
    POST: (target, text) => json(200, setCapacity(target.store, body(text, CapacityChangeSchema))),
  },
  "/quotas": { POST: (target, text) => json(200, setQuota(target.store, body(text, QuotaChangeSchema))) },
  "/counters": {
    GET: (target) => json(200, target.counters()),
    DELETE: (target) => {
      target.resetCounters();
      return json(200, target.counters());
    },
  },
  "/nodes": { GET: (target) => json(200, { nodes: adminNodes(target.store, false) }) },
  "/standalone-nodes": { GET: (target) => json(200, { nodes: adminNodes(target.store, true) }) },
  "/requests": { GET: (target) => json(200, { requests: target.requests() }) },
};

/** `{ nodes }`, or 404 when there are none. */
function matched(nodes: readonly AdminNodeView[]): EmulatorResponse {
  if (nodes.length === 0) throw new AdminError(404, "No node matched the given ids or names");
  return json(200, { nodes });
}

/** Routes `subpath` (the path after {@link ADMIN_PREFIX}); throws {@link AdminError}. */
export function handleAdminRequest(
  target: AdminTarget,
  method: string,
  subpath: string,
  text: string,
): EmulatorResponse {
  const methods = ROUTES[subpath === "" ? "/" : subpath];
  if (methods === undefined) throw new AdminError(404, `Unknown admin route ${ADMIN_PREFIX}${subpath}`);
  const handler = method === "GET" || method === "POST" || method === "DELETE" ? methods[method] : undefined;
  if (handler === undefined) {
    const allowed = Object.keys(methods).join(", ");
    throw new AdminError(405, `${ADMIN_PREFIX}${subpath} accepts ${allowed}, not ${method}`);
  }
  return handler(target, text);
}
