/** The typed CycleCloud REST client: settings, errors, retry policy. */
export { CycleCloudClient, CLIENT_VERSION_HEADER_VALUE } from "./cyclecloud-client";
export type { ListNodesFilter, ScaleTarget } from "./cyclecloud-client";
export {
  CycleCloudError,
  HttpError,
  NetworkError,
  ResponseTooLargeError,
  ResponseValidationError,
  SettingsError,
  TimeoutError,
  UNKNOWN_REQUEST_ID_TEXT,
  isCycleCloudError,
  isHttpError,
  isNetworkError,
  isResponseTooLargeError,
  isResponseValidationError,
  isSettingsError,
  isTimeoutError,
  isUnknownRequestId,
} from "./errors";
export type { NetworkFailureKind } from "./errors";
export { RETRYABLE_STATUSES, RETRY_AFTER_CAP_MS, parseRetryAfter, retryDelay, shouldRetry } from "./retry";
export type { RetryDelayOptions, ShouldRetryInput } from "./retry";
export {
  MAX_MESSAGE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SERVER_TEXT_LENGTH,
  errorText,
  jsonText,
  markdownCode,
  markdownText,
  plainLines,
  plainText,
} from "../../wire/util/server-text";
export { DEFAULT_CLIENT_SETTINGS, DEFAULT_MAX_RESPONSE_BYTES, resolveClientSettings } from "./settings";
export type {
  ClientLogger,
  ClientSettings,
  FetchLike,
  FetchRequestInit,
  FetchResponse,
  ResolvedClientSettings,
} from "./settings";
