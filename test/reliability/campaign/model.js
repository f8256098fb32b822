// @ts-check
"use strict";
/**
 * The engine's model of the stack: the resources in state, the program (one node set or none per
 * slot, with its name, parent, URN, aliases and identity), the identities in state and the URNs
 * renames left, and what the last verification saw. Which URN a set may take and its inputs.
 */

const { prng } = require("./random");
const { CLUSTER, NODEARRAY, WARM_SLOT, SPREAD_SLOT, PLACEMENT_GROUPS } = require("./settings");

/** @typedef {import("./types").Resource} Resource */
/** @typedef {import("./types").SetSpec} SetSpec */
/** @typedef {import("./types").Parent} Parent */
/** @typedef {import("./types").SetState} SetState */
/** URNs the campaign's sets are declared under (as `pulumi.createUrn` makes them). */
const PROJECT = "reliability";
const STACK = "campaign";
const NODE_SET_TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
/** The component some sets are declared under (`parent: "group"`). */
const GROUP_TYPE = "reliability:index:Group";
/**
 * @param {string} name
 * @param {Parent} parent
 */
function urnOf(name, parent) {
  return `urn:pulumi:${STACK}::${PROJECT}::${parent ? `${GROUP_TYPE}$` : ""}${NODE_SET_TYPE}::${name}`;
}

/**
 * @param {number} setCount
 * @param {number} seed
 */
function createModel(setCount, seed) {
  const model = {
    /** Resources in the stack's state: `{ slot, urn, id, inputs, state, initErrors, pendingDelete? }`. */
    resources: /** @type {Resource[]} */ ([]),
    /** Renames so far (each new name is `<name>-r<n>`). */
    renameCount: 0,
    /** Node id -> the sets in state that held it at the last verification. */
    /** @type {Map<string, Resource[]>} */
    lastOwners: new Map(),
    /** Set in state -> what its read returned at the last verification. */
    /** @type {Map<Resource, SetState>} */
    lastRefreshed: new Map(),
  };
  /**
   * The program, by slot: each slot declares at most one node set, as `{ name, parent, urn, aliases,
   * identity, count, machineType, rev }`, or null. A slot keeps its set through renames.
   */
  /** @type {(SetSpec | null)[]} */
  const program = Array.from({ length: setCount }, () => null);
  /**
   * The set `slot` declares, where the model knows there is one.
   * @param {number} slot
   * @returns {SetSpec}
   */
  const specAt = (slot) => {
    const spec = program[slot];
    if (!spec) throw new Error(`slot ${slot} declares no set`);
    return spec;
  };
  /** Largest count each set was ever asked for since it was last empty (overshoot bound). */
  const everAsked = Array.from({ length: setCount }, () => 0);

  /**
   * A set created in a slot is named `set<slot>`, or after a removal, half of the time, a new name
   * `set<slot>-<generation>` (also a new explicit `requestId` for the last slot; under its old
   * `requestId`, the old request ids are answered 409 and skipped).
   */
  const generation = Array.from({ length: setCount }, () => 0);
  /** @param {number} slot */
  const defaultName = (slot) => `set${slot}${(generation[slot] ?? 0) > 0 ? `-${generation[slot]}` : ""}`;
  /** Identities in state, by the URN of their set they are at: `{ identity, slot }`. */
  /** @type {Map<string, { identity: string; slot: number }>} */
  const identities = new Map();
  /** Every name each identity was declared under (a message may name a former one). */
  /** @type {Map<string, string[]>} */
  const namesOf = new Map();
  /** URNs renames and moves left behind: `{ urn, name, parent }`. */
  /** @type {{ urn: string; name: string; parent: Parent }[]} */
  const vacated = [];
  /** Tokens of new identities, from their own RNG so they do not shift the program and faults. */
  const tokenRng = prng((Math.imul(seed, 0x9e3779b1) ^ 0x1d3a7) >>> 0);
  /** @param {string} urn */
  const newIdentity = (urn) =>
    `${urn}#${Array.from({ length: 3 }, () =>
      Math.floor(tokenRng.next() * 2 ** 32)
        .toString(16)
        .padStart(8, "0"),
    ).join("")}`;
  /**
   * @param {string} identity
   * @param {string} name
   */
  const declareName = (identity, name) => namesOf.set(identity, [...(namesOf.get(identity) ?? []), name]);
  /** @param {Resource} r */
  const namesOfResource = (r) => [
    ...new Set([...(namesOf.get(r.inputs.identity) ?? []), ...(namesOf.get(r.state.identity) ?? [])]),
  ];
  /** @param {Resource} r */
  const label = (r) => `${r.inputs.name ?? "?"} of slot ${r.slot} (${r.id})`;
  /**
   * The set's inputs. The last slot has an explicit `requestId` (the same base across replacements);
   * the others derive theirs. `rev` > 0 adds `nodeAttributes` (a change replaces the set).
   * @param {number} slot
   */
  const declared = (slot) => {
    const spec = specAt(slot);
    /** @type {Record<string, unknown>} */
    const inputs = {
      identity: spec.identity,
      name: spec.name,
      cluster: CLUSTER,
      nodearray: NODEARRAY,
      count: spec.count,
      machineType: spec.machineType,
      readyTimeoutSeconds: 1.5,
      deleteTimeoutSeconds: 3,
    };
    if (spec.rev > 0) inputs.nodeAttributes = { Tags: { rev: String(spec.rev) } };
    if (slot === WARM_SLOT) inputs.scaleDown = "deallocate";
    if (slot === SPREAD_SLOT) inputs.placementGroups = { ...PLACEMENT_GROUPS };
    if (slot === setCount - 1) inputs.requestId = `campaign-set${slot}-g${generation[slot]}`;
    return inputs;
  };
  /** @type {(spec: SetSpec, urn: string) => boolean} */
  const claims = (spec, urn) => spec.urn === urn || spec.aliases.includes(urn);
  /**
   * The engine finds a set's old state by its URN, then by its aliases (pending deletes aside).
   * @param {number} slot
   */
  const liveResource = (slot) => {
    const spec = program[slot];
    if (!spec) return undefined;
    const live = model.resources.filter((r) => !r.pendingDelete);
    return live.find((r) => r.urn === spec.urn) ?? live.find((r) => spec.aliases.includes(r.urn));
  };
  /** @param {Resource} r */
  const isDeclared = (r) => program.some((spec) => spec !== null && claims(spec, r.urn));
  /**
   * Whether a set of `slot` may be declared under `urn`: no other set claims it and nothing of
   * another slot is in state under it. `fresh`: nothing at all is (a new resource, new identity).
   * @type {(urn: string, slot: number, fresh: boolean) => boolean}
   */
  const urnFree = (urn, slot, fresh) =>
    !program.some((spec, s) => spec !== null && (fresh || s !== slot) && claims(spec, urn)) &&
    !model.resources.some((r) => !r.pendingDelete && r.urn === urn && (fresh || r.slot !== slot)) &&
    !(identities.has(urn) && (fresh || identities.get(urn)?.slot !== slot));
  /** Old URNs a new set may take now: nothing in state under them, no set declared under them. */
  const reusable = () =>
    vacated.filter(
      (v, i) =>
        vacated.findIndex((w) => w.urn === v.urn) === i &&
        !program.some((spec) => spec !== null && spec.urn === v.urn) &&
        !model.resources.some((r) => !r.pendingDelete && r.urn === v.urn) &&
        !identities.has(v.urn),
    );
  /** @type {(parent: Parent) => Parent} */
  const otherParent = (parent) => (parent ? null : "group");
  /**
   * Sets declared in other slots whose name is free under the other parent.
   * @param {number} slot
   * @returns {SetSpec[]}
   */
  const twinnable = (slot) =>
    program.filter(
      /** @returns {spec is SetSpec} */
      (spec, s) =>
        spec !== null && s !== slot && urnFree(urnOf(spec.name, otherParent(spec.parent)), slot, true),
    );
  /** The identity resource registers before its set: created (or moved by an alias) once a plan runs. */
  function recordIdentities() {
    program.forEach((spec, slot) => {
      if (!spec) return;
      for (const alias of spec.aliases)
        if (identities.get(alias)?.identity === spec.identity) identities.delete(alias);
      identities.set(spec.urn, { identity: spec.identity, slot });
    });
  }
  /** Deletes of identities no set declares and no set in state refers to (after the sets' deletes). */
  function deleteIdentities() {
    for (const [urn, entry] of identities) {
      if (program.some((spec) => spec !== null && spec.urn === urn)) continue;
      if (
        model.resources.some(
          (r) => r.inputs.identity === entry.identity || r.state.identity === entry.identity,
        )
      )
        continue;
      identities.delete(urn);
    }
  }

  return Object.assign(model, {
    program,
    specAt,
    everAsked,
    generation,
    defaultName,
    identities,
    namesOf,
    vacated,
    newIdentity,
    declareName,
    namesOfResource,
    label,
    declared,
    liveResource,
    isDeclared,
    urnFree,
    reusable,
    otherParent,
    twinnable,
    recordIdentities,
    deleteIdentities,
  });
}

/** @typedef {ReturnType<typeof createModel>} Model */

module.exports = { createModel, urnOf };
