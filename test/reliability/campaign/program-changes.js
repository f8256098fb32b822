// @ts-check
"use strict";
/**
 * The campaign's moves: which slot and operation a step picks, and how it changes the program
 * (a new set, a grow or shrink, a new machine type or tag, a removal, a rename or move with an
 * alias, a set under an old URN or of another set's name under the other parent).
 */

const { DIST, MACHINE_TYPES } = require("./settings");

/** @type {readonly string[]} */
const REPLACE_KEYS = require(`${DIST}/provider/core/inputs`).REPLACE_KEYS;
const { urnOf } = require("./model");

/** @typedef {import("./types").Parent} Parent */
/** @typedef {import("./types").Rename} Rename */
/** @typedef {import("./model").Model} Model */
/** @typedef {ReturnType<typeof import("./random").prng>} Random */

/**
 * @param {Model} model
 * @param {number} setCount
 * @param {Random} rng
 */
function createProgramChanges(model, setCount, rng) {
  const { program, generation, identities, defaultName, newIdentity, declareName, liveResource } = model;
  const { vacated, urnFree, reusable, otherParent, twinnable } = model;

  /** The slot and operation of the next step: a slot's choices depend on whether it declares a set. */
  function chooseStep() {
    const slot = rng.int(0, setCount - 1);
    const spec = program[slot];
    /** @type {[string, number][]} */
    const choices = spec
      ? [
          ["grow", 3],
          ["shrink", 3],
          ["retype", 2],
          ["retag", 1],
          ["remove", 1],
          ["reup", 2],
          ["refresh", 2],
          ["rename", 1],
        ]
      : [
          ["create", 4],
          ["reup", 1],
          ["refresh", 1],
          ...(reusable().length > 0 ? [/** @type {[string, number]} */ (["reuse", 1])] : []),
          ...(twinnable(slot).length > 0 ? [/** @type {[string, number]} */ (["twin", 1])] : []),
        ];
    return { slot, op: rng.weighted(choices) };
  }

  /**
   * A new set in the empty `slot`, under `name` and `parent`, with `identity`.
   * @param {number} slot
   * @param {string} name
   * @param {Parent} parent
   * @param {string} identity
   */
  function declareSet(slot, name, parent, identity) {
    const spec = {
      name,
      parent,
      urn: urnOf(name, parent),
      aliases: [],
      identity,
      count: rng.int(1, 4),
      machineType: rng.pick(MACHINE_TYPES),
      rev: 0,
    };
    program[slot] = spec;
    declareName(identity, name);
    const where = parent ? ` under ${parent}` : "";
    return `${name}${where}: ${spec.count} x ${spec.machineType}, identity ...${identity.slice(-8)}`;
  }

  /** @param {number} slot */
  const nextGeneration = (slot) => (generation[slot] = (generation[slot] ?? 0) + 1);

  /**
   * Changes the program; returns what changed, and for a rename the set's state before it.
   * @param {number} slot
   * @param {string} op
   * @returns {{ change: string; rename?: Rename }}
   */
  function applyToProgram(slot, op) {
    const spec = program[slot];
    switch (op) {
      case "create": {
        if (rng.next() < 0.5) nextGeneration(slot);
        while (!urnFree(urnOf(defaultName(slot), null), slot, false)) nextGeneration(slot);
        const urn = urnOf(defaultName(slot), null);
        // A URN whose identity is still in state (its set's removal did not go through) is the
        // same resource to the engine: it gets that identity back.
        return {
          change: declareSet(
            slot,
            defaultName(slot),
            null,
            identities.get(urn)?.identity ?? newIdentity(urn),
          ),
        };
      }
      case "reuse": {
        // A new set under the URN a renamed set left: a new identity. The alias that pointed there
        // is dropped (the rename went through: nothing is in state under the old URN any more).
        const old = rng.pick(reusable());
        for (const other of program) if (other) other.aliases = other.aliases.filter((a) => a !== old.urn);
        nextGeneration(slot);
        return {
          change: `old URN of a renamed set: ${declareSet(slot, old.name, old.parent, newIdentity(old.urn))}`,
        };
      }
      case "twin": {
        // A set of the same name as another, under the other parent: another URN, another identity.
        const other = rng.pick(twinnable(slot));
        const parent = otherParent(other.parent);
        nextGeneration(slot);
        return {
          change: `same name as a set of another parent: ${declareSet(slot, other.name, parent, newIdentity(urnOf(other.name, parent)))}`,
        };
      }
      case "remove":
        program[slot] = null;
        return { change: "removed" };
    }
    // The other operations change the set the slot declares (chooseStep picks them only then).
    if (!spec) return { change: "" };
    switch (op) {
      case "rename": {
        // A rename (or, a third of the time, a move to the other parent) with an alias to the old
        // URN: the engine keeps the set's state and identity; only its name and URN change.
        const before = liveResource(slot);
        // A change an earlier step left undeployed (its `up` failed) that replaces the set: the
        // step that renames it also deploys that change, so it may replace the set for it.
        const declared = model.declared(slot);
        const pendingReplace = before
          ? REPLACE_KEYS.filter((key) => JSON.stringify(declared[key]) !== JSON.stringify(before.inputs[key]))
          : [];
        /** @type {{ name: string; parent: Parent }} */
        const moved = { name: spec.name, parent: otherParent(spec.parent) };
        /** @type {{ name: string; parent: Parent }} */
        const renamed = {
          name: `${spec.name.replace(/-r\d+$/, "")}-r${++model.renameCount}`,
          parent: spec.parent,
        };
        const to =
          rng.next() < 1 / 3 && urnFree(urnOf(moved.name, moved.parent), slot, true) ? moved : renamed;
        const from = { urn: spec.urn, name: spec.name, parent: spec.parent };
        vacated.push(from);
        spec.aliases = [...spec.aliases.filter((a) => a !== urnOf(to.name, to.parent)), from.urn];
        Object.assign(spec, to, { urn: urnOf(to.name, to.parent) });
        declareName(spec.identity, spec.name);
        const change =
          to === moved
            ? `${from.name} moved ${to.parent ? `under ${to.parent}` : "to the top level"} (alias to its old URN)`
            : `${from.name} renamed ${to.name} (alias to its old URN)`;
        if (!before) return { change: `${change}; not in state yet` };
        const pending =
          pendingReplace.length > 0 ? `; pending since a failed step: ${pendingReplace.join(", ")}` : "";
        const nodes = [...model.lastOwners]
          .filter(([, holders]) => holders.includes(before))
          .map(([id]) => id);
        return {
          change: `${change}${pending}`,
          rename: {
            slot,
            resource: before,
            identity: before.inputs.identity,
            base: before.inputs.baseRequestId,
            id: before.id,
            nodes,
            pendingReplace,
          },
        };
      }
      case "grow":
        spec.count = Math.min(6, spec.count + rng.int(1, 2));
        return { change: `count ${spec.count}` };
      case "shrink":
        spec.count = Math.max(0, spec.count - rng.int(1, 2));
        return { change: `count ${spec.count}` };
      case "retype": {
        spec.machineType = rng.pick(MACHINE_TYPES.filter((m) => m !== spec.machineType));
        return { change: `machineType ${spec.machineType}` };
      }
      case "retag":
        spec.rev += 1;
        return { change: `nodeAttributes.Tags.rev ${spec.rev}` };
      default:
        return { change: "" };
    }
  }

  return { chooseStep, applyToProgram };
}

module.exports = { createProgramChanges };
