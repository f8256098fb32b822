/** The capacity plan of a preview (`pulumi-cyclecloud plan`), as a function. */
export { capacityPlan, CapacityPlanError } from "./capacity-plan";
export type { CapacityPlanOptions } from "./capacity-plan";
export { renderMarkdown, renderTable } from "./render-plan";
export type { CapacityPlan, PlanAction, PlanBucket, PlanChange } from "./plan-types";
