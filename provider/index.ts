/**
 * pulumi-cyclecloud: Azure CycleCloud compute nodes as Pulumi resources.
 */
import type * as ClientModule from "./client";
import type * as ClusterStatusModule from "./cluster-status";
import type * as ConnectionModule from "./connection";
import { lazyModule } from "./lazy-module";

export { CycleCloudNodeSet } from "./resource/cyclecloud-node-set";
export type { CycleCloudNodeSetArgs } from "./resource/cyclecloud-node-set";
export type { AdoptExisting, ExternalRemovals, OnDeleteAction, PreflightMode } from "./resource/inputs";
export type { ConnectionArgs } from "./connection-args";
export { NODE_SET_DEFAULTS } from "./resource/inputs";
export type { NodeInfo } from "./resource/node-set-state";

export { capacityFit, describeFit, findBucket, findNodearray, maxNodesThatFit } from "./capacity";
export type { CapacityFit, CapacityLimit, NodeSpec } from "./capacity";
export type { GetClusterStatusArgs, GetClusterStatusOutputArgs } from "./cluster-status";
export type { ResolvedConnection } from "./connection";

// Loaded on first use (lazy-module.ts). Each export is declared for the type checker and defined as
// a getter in the form Node's CommonJS export detection reads, so ES module imports still see it.
/* eslint-disable @typescript-eslint/no-require-imports -- loading on first use is the point */
const clusterStatus = lazyModule(() => require("./cluster-status") as typeof ClusterStatusModule);
const connection = lazyModule(() => require("./connection") as typeof ConnectionModule);
const client = lazyModule(() => require("./client") as typeof ClientModule);
/* eslint-enable @typescript-eslint/no-require-imports */

export declare const getClusterStatus: typeof ClusterStatusModule.getClusterStatus;
export declare const getClusterStatusOutput: typeof ClusterStatusModule.getClusterStatusOutput;
Object.defineProperty(exports, "getClusterStatus", {
  enumerable: true,
  get: function () {
    return clusterStatus.getClusterStatus;
  },
});
Object.defineProperty(exports, "getClusterStatusOutput", {
  enumerable: true,
  get: function () {
    return clusterStatus.getClusterStatusOutput;
  },
});

export declare const resolveConnection: typeof ConnectionModule.resolveConnection;
export declare const CONNECTION_SOURCES: typeof ConnectionModule.CONNECTION_SOURCES;
export type ConnectionConfigError = ConnectionModule.ConnectionConfigError;
export declare const ConnectionConfigError: typeof ConnectionModule.ConnectionConfigError;
Object.defineProperty(exports, "resolveConnection", {
  enumerable: true,
  get: function () {
    return connection.resolveConnection;
  },
});
Object.defineProperty(exports, "ConnectionConfigError", {
  enumerable: true,
  get: function () {
    return connection.ConnectionConfigError;
  },
});
Object.defineProperty(exports, "CONNECTION_SOURCES", {
  enumerable: true,
  get: function () {
    return connection.CONNECTION_SOURCES;
  },
});

export type CycleCloudClient = ClientModule.CycleCloudClient;
export declare const CycleCloudClient: typeof ClientModule.CycleCloudClient;
export type CycleCloudError = ClientModule.CycleCloudError;
export declare const CycleCloudError: typeof ClientModule.CycleCloudError;
export type HttpError = ClientModule.HttpError;
export declare const HttpError: typeof ClientModule.HttpError;
export type NetworkError = ClientModule.NetworkError;
export declare const NetworkError: typeof ClientModule.NetworkError;
export type ResponseValidationError = ClientModule.ResponseValidationError;
export declare const ResponseValidationError: typeof ClientModule.ResponseValidationError;
export type SettingsError = ClientModule.SettingsError;
export declare const SettingsError: typeof ClientModule.SettingsError;
export type TimeoutError = ClientModule.TimeoutError;
export declare const TimeoutError: typeof ClientModule.TimeoutError;
export declare const isCycleCloudError: typeof ClientModule.isCycleCloudError;
export declare const isHttpError: typeof ClientModule.isHttpError;
export declare const isNetworkError: typeof ClientModule.isNetworkError;
export declare const isResponseValidationError: typeof ClientModule.isResponseValidationError;
export declare const isSettingsError: typeof ClientModule.isSettingsError;
export declare const isTimeoutError: typeof ClientModule.isTimeoutError;
Object.defineProperty(exports, "CycleCloudClient", {
  enumerable: true,
  get: function () {
    return client.CycleCloudClient;
  },
});
Object.defineProperty(exports, "CycleCloudError", {
  enumerable: true,
  get: function () {
    return client.CycleCloudError;
  },
});
Object.defineProperty(exports, "HttpError", {
  enumerable: true,
  get: function () {
    return client.HttpError;
  },
});
Object.defineProperty(exports, "NetworkError", {
  enumerable: true,
  get: function () {
    return client.NetworkError;
  },
});
Object.defineProperty(exports, "ResponseValidationError", {
  enumerable: true,
  get: function () {
    return client.ResponseValidationError;
  },
});
Object.defineProperty(exports, "SettingsError", {
  enumerable: true,
  get: function () {
    return client.SettingsError;
  },
});
Object.defineProperty(exports, "TimeoutError", {
  enumerable: true,
  get: function () {
    return client.TimeoutError;
  },
});
Object.defineProperty(exports, "isCycleCloudError", {
  enumerable: true,
  get: function () {
    return client.isCycleCloudError;
  },
});
Object.defineProperty(exports, "isHttpError", {
  enumerable: true,
  get: function () {
    return client.isHttpError;
  },
});
Object.defineProperty(exports, "isNetworkError", {
  enumerable: true,
  get: function () {
    return client.isNetworkError;
  },
});
Object.defineProperty(exports, "isResponseValidationError", {
  enumerable: true,
  get: function () {
    return client.isResponseValidationError;
  },
});
Object.defineProperty(exports, "isSettingsError", {
  enumerable: true,
  get: function () {
    return client.isSettingsError;
  },
});
Object.defineProperty(exports, "isTimeoutError", {
  enumerable: true,
  get: function () {
    return client.isTimeoutError;
  },
});

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
