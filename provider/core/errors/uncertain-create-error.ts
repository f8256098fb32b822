import { errorText } from "../../../wire/util/server-text";
import { lostAnswerText } from "../lost-answer";

/**
 * A create whose answer was lost, and whose request could not be listed afterwards either: the
 * server may or may not hold its nodes. The set must record `requestId`, so that refresh, the
 * next update or destroy list it and nothing is orphaned.
 */
export class UncertainCreateError extends Error {
  override readonly name = "UncertainCreateError";
  constructor(
    readonly requestId: string,
    lost: unknown,
    listing: unknown,
  ) {
    super(
      `create request ${requestId} ${lostAnswerText(lost)} and listing its nodes failed too ` +
        `(${errorText(listing)}); whether CycleCloud applied it is unknown, so the set keeps the request id ` +
        "and the next refresh or up finds its nodes",
      { cause: listing },
    );
  }
}

export function isUncertainCreateError(value: unknown): value is UncertainCreateError {
  return value instanceof UncertainCreateError;
}
