/**
 * The errors the CycleCloud client throws, each with a type guard that also recognises an error
 * from another copy of this package (`instanceof` keeps working within one).
 */
export * from "./cyclecloud-error";
export * from "./http-error";
export * from "./network-error";
