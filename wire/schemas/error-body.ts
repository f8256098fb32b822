import { z } from "zod";

/**
 * CycleCloud's JSON error body, e.g.
 * `{"Exception":"...InvalidAttributeException","Message":"MachineType X is not recognized","Detail":"... request-1274 ..."}`.
 */
export const ErrorBodySchema = z.object({
  Exception: z.string().optional(),
  Message: z.string().optional(),
  Detail: z.string().optional(),
  Code: z.number().int().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
