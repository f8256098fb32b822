/** The client's errors, each with a guard that also recognises one from another copy of this package. */
export * from "./cyclecloud-error";
export * from "./http-error";
export * from "./network-error";
