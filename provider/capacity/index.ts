/**
 * The capacity arithmetic behind preflight, as one public module: bucket lookup
 * (./bucket-lookup), the quota layers (./quota-layers), a status with a plan's earlier changes
 * (./planned-status), and the fit with its message (./capacity-fit).
 */
export { bucketMachineType, findBucket, findNodearray } from "../../wire/bucket-lookup";
export { capacityFit, describeFit, maxNodesThatFit } from "./capacity-fit";
export type { CapacityFit, CapacityLimit, NodeSpec } from "./capacity-fit";
export { withAddedNodes } from "./planned-status";
export { sharesFamilyQuota } from "./quota-layers";
