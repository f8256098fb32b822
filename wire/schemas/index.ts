/**
 * The CycleCloud wire types: zod schemas that are the single source of the TypeScript types,
 * shared by the client and the emulator.
 */
export * from "./cluster-status";
export * from "./error-body";
export * from "./node-creation";
export * from "./node-management";
export * from "./node-record";
