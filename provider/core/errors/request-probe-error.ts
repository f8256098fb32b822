/**
 * The probe for the nodes of interrupted creates met more request ids than a set can have made
 * (see `MAX_PROBED_REQUESTS` in node-set-listing.ts): the server answers every id alike.
 */
export class RequestProbeError extends Error {
  override readonly name = "RequestProbeError";
}
