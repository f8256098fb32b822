/** The errors the resource layer throws, one class per file, each with its type guard. */
export { CapacityShortfallError, isCapacityShortfallError } from "./capacity-shortfall-error";
export { CreateRequestError, isCreateRequestError } from "./create-request-error";
export { DeleteTimeoutError, isDeleteTimeoutError } from "./delete-timeout-error";
export { isNodeManagementError, NodeManagementError } from "./node-management-error";
export { isNodeSetInputError, NodeSetInputError } from "./node-set-input-error";
export { isNodeSetOperationError, NodeSetOperationError } from "./node-set-operation-error";
export { isNodeSetPartialFailure, NodeSetPartialFailure } from "./node-set-partial-failure";
export { RequestProbeError } from "./request-probe-error";
export { isPreflightRefusalError, PreflightRefusalError } from "./preflight-refusal-error";
export { isUncertainCreateError, UncertainCreateError } from "./uncertain-create-error";
