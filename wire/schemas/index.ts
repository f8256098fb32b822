/** The CycleCloud wire types: zod schemas, the one source of the types, shared with the emulator. */
export * from "./cluster-status";
export * from "./error-body";
export * from "./node-creation";
export * from "./node-management";
export * from "./node-record";
