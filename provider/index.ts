/**
 * pulumi-cyclecloud: Azure CycleCloud compute nodes as Pulumi resources.
 */
export { CycleCloudNodeSet } from "./resource/cyclecloud-node-set";
export type { CycleCloudNodeSetArgs } from "./resource/cyclecloud-node-set";
export type { AdoptExisting, ExternalRemovals, OnDeleteAction, PreflightMode } from "./resource/inputs";
export type { ConnectionArgs } from "./connection-args";
export { NODE_SET_DEFAULTS } from "./resource/inputs";
export type { NodeInfo } from "./resource/node-set-state";

export { getClusterStatus, getClusterStatusOutput } from "./cluster-status";
export type { GetClusterStatusArgs, GetClusterStatusOutputArgs } from "./cluster-status";
export { capacityFit, describeFit, findBucket, findNodearray, maxNodesThatFit } from "./capacity";
export type { CapacityFit, CapacityLimit, NodeSpec } from "./capacity";
export { resolveConnection, ConnectionConfigError, CONNECTION_SOURCES } from "./connection";
export type { ResolvedConnection } from "./connection";

export {
  CycleCloudClient,
  CycleCloudError,
  HttpError,
  NetworkError,
  ResponseValidationError,
  SettingsError,
  TimeoutError,
  isCycleCloudError,
  isHttpError,
  isNetworkError,
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
} from "./schemas";
