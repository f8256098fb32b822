import { z } from "zod";

/** One set of a create request: `count` nodes from `nodearray`. */
export const NodeCreationSetSchema = z.object({
  count: z.number().int().positive(),
  nodearray: z.string().min(1),
  /**
   * Picks the bucket. Without it, or without `machineType` in it (`"definition": {}` is valid), the
   * first bucket that can satisfy the set is used (CycleCloud API reference, NodeCreationRequest).
   */
  definition: z.object({ machineType: z.string().min(1).optional() }).optional(),
  /** Logical placement group, created on first use. */
  placementGroupId: z.string().min(1).optional(),
  /** Node record keys (e.g. `KeepAlive`, `Tags`, `Configuration`) applied to every node. */
  nodeAttributes: z.record(z.string(), z.unknown()).optional(),
  /** Replaces `nodearray-%d` naming; without `%d` it names one node exactly. */
  nameFormat: z.string().min(1).optional(),
  nameOffset: z.number().int().nonnegative().optional(),
});
export type NodeCreationSet = z.infer<typeof NodeCreationSetSchema>;

/** `POST /clusters/{cluster}/nodes/create` body. */
export const NodeCreationRequestSchema = z.object({
  /** The client's idempotency key: a reused id is answered 409. */
  requestId: z.string().min(1).optional(),
  sets: z.array(NodeCreationSetSchema).min(1),
});
export type NodeCreationRequest = z.infer<typeof NodeCreationRequestSchema>;

/** Result of create and scale: one entry per requested set, in request order. */
export const NodeCreationResultSchema = z.object({
  operationId: z.string(),
  sets: z.array(
    z.object({
      added: z.number().int().nonnegative(),
      /** Why fewer than `count` were added. */
      message: z.string().nullish(),
    }),
  ),
});
export type NodeCreationResult = z.infer<typeof NodeCreationResultSchema>;
