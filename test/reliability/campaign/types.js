// @ts-check
"use strict";
/** The types the campaign's modules share (JSDoc only). */

/** @typedef {import("../../../provider/core/inputs").NodeSetInputs} SetInputs */
/** @typedef {import("../../../provider/core/node-set-state").NodeSetState} SetState */
/** @typedef {import("../../../emulator").AdminNodeView} AdminNodeView */
/** @typedef {import("../../../emulator").RequestCounters} RequestCounters */

/**
 * The campaign's settings (`parseArgs` of the command line); what is left out takes its default.
 * @typedef {object} Options
 * @property {number} [seed]
 * @property {number} [steps]
 * @property {number} [sets]
 * @property {boolean} [trace]
 * @property {boolean} [json]
 * @property {string[]} [without]
 */

/**
 * A node set in the stack's state, as the engine model keeps it.
 * @typedef {object} Resource
 * @property {number} slot
 * @property {string} urn
 * @property {string} id
 * @property {SetInputs & Record<string, unknown>} inputs The inputs check returned (an object as stored).
 * @property {SetState} state
 * @property {string[] | null} initErrors
 * @property {boolean} [pendingDelete]
 */

/**
 * The set a slot of the program declares.
 * @typedef {object} SetSpec
 * @property {string} name
 * @property {Parent} parent
 * @property {string} urn
 * @property {string[]} aliases
 * @property {string} identity
 * @property {number} count
 * @property {string} machineType
 * @property {number} rev
 */

/** @typedef {"group" | null} Parent The component a set is declared under, or none. */
/** @typedef {{ op: string; slot: number; kind: string; message: string }} Failure */
/** @typedef {{ slot: number; current: Resource | undefined; inputs: Resource["inputs"]; action?: "create" | "replace" | "update" | "same" }} PlanStep */

/**
 * What a `pulumi up` or `pulumi refresh` of the model did.
 * @typedef {object} StepResult
 * @property {boolean} ok
 * @property {Failure[]} failures
 * @property {Set<number>} operated Slots whose own set was created, updated or replaced.
 * @property {Set<number>} [touched] `operated` and the slots of the sets deleted.
 * @property {boolean} refused
 * @property {PlanStep[]} [plan]
 * @property {boolean} [refresh]
 */

/**
 * A node set operation that changed nodes, then failed (NodeSetPartialFailure): the engine stores
 * `properties` as the set's state.
 * @typedef {{ id: string; properties: SetState; reasons?: string[] }} PartialFailure
 */

/**
 * The campaign's findings and figures.
 * @typedef {object} Report
 * @property {number} seed
 * @property {number} steps
 * @property {number} sets
 * @property {{ ok: number; failed: number; refusedByCheck: number }} outcome
 * @property {Record<string, number>} operations
 * @property {Record<string, number>} calls
 * @property {Record<string, number>} faults
 * @property {Record<string, number>} faultsHit
 * @property {number} heals
 * @property {number} largestRequestIds
 * @property {{ client: number; createResends: number; adoptedAfterLostAnswer: number; adoptedAfter409: number }} retries
 * @property {Partial<RequestCounters> & { total: number }} requests
 * @property {Record<string, number>} violations
 * @property {{ step: number; kind: string; detail: string }[]} violationDetails
 * @property {Record<string, number>} messages
 * @property {number} durationSeconds
 * @property {number} [outputLines]
 * @property {number} [emulatorLogLines]
 * @property {number} [violationCount]
 */

/**
 * A rename of a set in state, for the `renamed` invariant: its identity, base request id, id, the
 * nodes it held before, and the replace-triggering inputs whose change an earlier failed step left
 * undeployed (the rename's deployment may replace the set for them).
 * @typedef {{ slot: number; resource: Resource; identity: string; base: string; id: string; nodes: string[]; pendingReplace: string[] }} Rename
 */

module.exports = {};
