import { z } from "zod";

/**
 * Body of terminate, deallocate, start, shutdown and remove. Several selectors are combined as a
 * union. Note the snake_case `ip_addresses`, as on the wire.
 */
export const NodeManagementRequestSchema = z.object({
  ids: z.array(z.string()).optional(),
  names: z.array(z.string()).optional(),
  hostnames: z.array(z.string()).optional(),
  ip_addresses: z.array(z.string()).optional(),
  /** An expression such as `State === "Started"`. */
  filter: z.string().optional(),
  requestId: z.string().optional(),
});
export type NodeManagementRequest = z.infer<typeof NodeManagementRequestSchema>;

export const NodeManagementResultSchema = z.object({
  operationId: z.string(),
  nodes: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      /**
       * `OK` or `Error`; other values are kept as sent. Optional in the reference ("Each node's
       * status indicates if the request affects it"; `error` is the message "if the status is
       * Error"): an absent status is not an error, so the library counts the node as acted on.
       * Only `Error` (or another value than `OK`, with an `error` message) is a refusal.
       */
      status: z.string().optional(),
      error: z.string().nullish(),
    }),
  ),
});
export type NodeManagementResult = z.infer<typeof NodeManagementResultSchema>;

/** The node management actions, each `POST /clusters/{cluster}/nodes/{action}`. */
export const NODE_MANAGEMENT_ACTIONS = ["terminate", "deallocate", "start", "shutdown", "remove"] as const;
export type NodeManagementAction = (typeof NODE_MANAGEMENT_ACTIONS)[number];
