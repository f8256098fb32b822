/** The capacity arithmetic behind preflight, as one public module. */
export { bucketMachineType, findBucket, findNodearray } from "../../wire/bucket-lookup";
export { capacityFit, describeFit, maxNodesThatFit } from "./capacity-fit";
export type { CapacityFit, CapacityLimit, NodeSpec } from "./capacity-fit";
export { withAddedNodes } from "./planned-status";
export { sharesFamilyQuota } from "./quota-layers";
