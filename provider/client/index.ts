/** The typed CycleCloud REST client: settings, errors, retry policy. */
export { CycleCloudClient } from "./cyclecloud-client";
export { CLIENT_VERSION_HEADER_VALUE } from "./transport";
export * from "./errors";
export { RETRY_AFTER_CAP_MS, parseRetryAfter, retryDelay, shouldRetry } from "./retry";
export { MAX_MESSAGE_LENGTH, errorText, plainLines, plainText } from "../../wire/util/server-text";
export { DEFAULT_CLIENT_SETTINGS, resolveClientSettings } from "./settings";
export type { ClientSettings, FetchLike, FetchRequestInit, FetchResponse } from "./settings";
