/**
 * The errors the CycleCloud client throws, one class per file, each with a type guard that also
 * recognises an error from another copy of this package (`instanceof` keeps working within one).
 */
export { CycleCloudError, isCycleCloudError } from "./cyclecloud-error";
export { HttpError, UNKNOWN_REQUEST_ID_TEXT, isHttpError, isUnknownRequestId } from "./http-error";
export type { HttpErrorInit } from "./http-error";
export { NetworkError, isNetworkError } from "./network-error";
export type { NetworkErrorInit, NetworkFailureKind } from "./network-error";
export { redactUrlCredentials } from "./redact-url-credentials";
export { ResponseValidationError, isResponseValidationError } from "./response-validation-error";
export type { ResponseValidationErrorInit } from "./response-validation-error";
export { SettingsError, isSettingsError } from "./settings-error";
export { TimeoutError, isTimeoutError } from "./timeout-error";
export type { TimeoutErrorInit } from "./timeout-error";
export { ResponseTooLargeError, isResponseTooLargeError } from "./response-too-large-error";
export type { ResponseTooLargeErrorInit } from "./response-too-large-error";
