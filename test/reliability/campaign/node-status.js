// @ts-check
"use strict";
/** How the campaign reads a node of the emulator: its status class and the set it was made for. */

const HEALTHY = new Set(["Acquiring", "Preparing", "Ready", "Allocation", "Off"]);
// A deallocating node (`Stopping`) stays its set's: the warm pool, or `onDelete: "deallocate"`.
const LEAVING = new Set(["Terminating", "Terminated"]);
/** Warm-pool nodes: held by their set, not counted towards its `count`. */
const DEALLOCATED = new Set(["Deallocated", "Stopping"]);

/**
 * The set's base request id of a node's request id: `<base>-<n>`, or `<base>.pg<i>-<n>` for the
 * create of a placement group of a spread set (`placementGroups`). Undefined for any other form.
 * @param {string | null | undefined} requestId
 */
function baseOf(requestId) {
  const match = /^(.*?)(?:\.pg\d+)?-(\d+)$/.exec(requestId ?? "");
  return match ? match[1] : undefined;
}

module.exports = { HEALTHY, LEAVING, DEALLOCATED, baseOf };
