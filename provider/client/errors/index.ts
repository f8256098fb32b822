/**
 * The errors the CycleCloud client throws, one class per file, each with a type guard that also
 * recognises an error from another copy of this package (`instanceof` keeps working within one).
 */
export { CycleCloudError, isCycleCloudError } from "./cyclecloud-error";
export { HttpError, isHttpError, isUnknownRequestId } from "./http-error";
export { NetworkError, isNetworkError } from "./network-error";
export { redactUrlCredentials } from "./redact-url-credentials";
export { ResponseValidationError, isResponseValidationError } from "./response-validation-error";
export { SettingsError, isSettingsError } from "./settings-error";
export { TimeoutError, isTimeoutError } from "./timeout-error";
export { ResponseTooLargeError, isResponseTooLargeError } from "./response-too-large-error";
