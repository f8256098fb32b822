/**
 * pulumi-cyclecloud: Azure CycleCloud compute nodes as Pulumi resources.
 */
export { CycleCloudNodeSet } from "./engine/cyclecloud-node-set";
export type { CycleCloudNodeSetArgs } from "./engine/cyclecloud-node-set";
export type { AdoptExisting, ExternalRemovals, OnDeleteAction, PreflightMode } from "./core/inputs";
export type { ConnectionArgs } from "./core/connection-args";
export { NODE_SET_DEFAULTS } from "./core/inputs";
export type { NodeInfo } from "./core/node-set-state";

export { getClusterStatus, getClusterStatusOutput } from "./engine/cluster-status";
export type { GetClusterStatusArgs, GetClusterStatusOutputArgs } from "./engine/cluster-status";
export { capacityFit, describeFit, findBucket, findNodearray, maxNodesThatFit } from "./capacity/index";
export type { CapacityFit, CapacityLimit, NodeSpec } from "./capacity/index";
export { resolveConnection, ConnectionConfigError, CONNECTION_SOURCES } from "./core/connection";
export type { ResolvedConnection } from "./core/connection";

export {
  CycleCloudClient,
  CycleCloudError,
  HttpError,
  NetworkError,
  ResponseTooLargeError,
  ResponseValidationError,
  SettingsError,
  TimeoutError,
  isCycleCloudError,
  isHttpError,
  isNetworkError,
  isResponseTooLargeError,
  isResponseValidationError,
  isSettingsError,
  isTimeoutError,
} from "./client";
export type { ClientSettings } from "./client";
export type {
  Bucket,
  ClusterStatus,
  NodearrayStatus,
  NodeCreationRequest,
  NodeCreationResult,
  NodeList,
  NodeManagementRequest,
  NodeManagementResult,
  NodeRecord,
  PlacementGroupStatus,
  VirtualMachine,
} from "../wire/schemas";

export { capacityPlan, CapacityPlanError, renderMarkdown, renderTable } from "./plan";
export type { CapacityPlan, CapacityPlanOptions, PlanAction, PlanBucket, PlanChange } from "./plan";
