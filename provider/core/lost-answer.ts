/** How a create's answer was lost, in words for messages. */
import { HttpError, NetworkError, TimeoutError } from "../client/errors";
import { errorText } from "../../wire/util/server-text";

/**
 * Whether a create may have reached the server without its answer reaching us. A refused
 * connection, an unknown host or an untrusted certificate means nothing was sent.
 */
export function isLostAnswer(error: unknown): boolean {
  if (error instanceof NetworkError) return error.kind === "connection";
  if (error instanceof TimeoutError) return true;
  return error instanceof HttpError && error.status >= 500;
}

/** How an answer was lost: `got no answer (timeout ...)` or `was answered 503 (Service Unavailable)`. */
export function lostAnswerText(error: unknown): string {
  if (error instanceof HttpError)
    return `was answered ${error.status}${error.serverMessage ? ` (${error.serverMessage})` : ""}`;
  return `got no answer (${errorText(error)})`;
}
