// @ts-check
"use strict";
/**
 * The Pulumi engine as the campaign models it: `pulumi up` (every check, then diffs, then creates,
 * updates and replacements in parallel, then the deletes when nothing failed) and `pulumi refresh`,
 * each in a fresh provider process, storing in the model what the engine stores.
 */

const { errorText, messageProblem, messageShape } = require("./messages");

/** @typedef {import("./types").Resource} Resource */
/** @typedef {import("./types").Failure} Failure */
/** @typedef {import("./types").PlanStep} PlanStep */
/** @typedef {import("./types").StepResult} StepResult */
/** @typedef {import("./types").PartialFailure} PartialFailure */
/** @typedef {import("./context").Context} Context */
/** @typedef {import("./model").Model} Model */
/** @typedef {ReturnType<typeof import("../../../provider/engine/node-set-provider").createNodeSetProvider>} Provider */

/**
 * @param {unknown} error
 * @returns {error is PartialFailure}
 */
function isPartialFailure(error) {
  if (error === null || typeof error !== "object") return false;
  const { id, properties } = /** @type {{ id?: unknown; properties?: unknown }} */ (error);
  return typeof id === "string" && id !== "" && properties !== undefined;
}

/**
 * @param {Context} ctx
 * @param {Model} model
 * @param {number} setCount
 * @param {() => Provider} makeProvider A new provider (a new process).
 * @param {Record<string, string>} stackConfig
 */
function createEngine(ctx, model, setCount, makeProvider, stackConfig) {
  const { report, violation, checkSecret, checkStruct, countCall } = ctx;
  const { program, specAt, namesOf, namesOfResource, declared, liveResource, isDeclared } = model;
  const { recordIdentities, deleteIdentities } = model;
  let provider = makeProvider();

  /** A new provider process: fresh caches, stack config through configure. */
  async function freshProcess() {
    provider = makeProvider();
    await provider.configure({
      config: { get: (key) => stackConfig[key], require: (key) => stackConfig[key] ?? "" },
    });
  }

  /**
   * `names`: every name the set was declared under (for a create, update, delete or read).
   * @param {Failure[]} failures
   * @param {string} op
   * @param {number} slot
   * @param {unknown} error
   * @param {string} kind
   * @param {readonly string[]} [names]
   */
  function recordFailure(failures, op, slot, error, kind, names) {
    const message = typeof error === "string" ? error : errorText(error);
    failures.push({ op, slot, kind, message });
    const problem = messageProblem(message, names ? { op, names } : undefined);
    if (problem) violation("message", `${op} of slot ${slot}: ${problem}: ${message}`);
    checkSecret(`${op} error message`, message);
    if (error instanceof Error) checkSecret(`${op} error stack`, error.stack);
    const shape = `${op}: ${messageShape(message)}`;
    report.messages[shape] = (report.messages[shape] ?? 0) + 1;
  }

  /**
   * A provider call, counted by outcome.
   * @template T
   * @param {string} name
   * @param {() => Promise<T>} fn
   * @returns {Promise<{ ok: true; value: T } | { ok: false; error: unknown }>}
   */
  async function call(name, fn) {
    try {
      const value = await fn();
      countCall(name, "ok");
      return { ok: /** @type {const} */ (true), value };
    } catch (error) {
      countCall(name, isPartialFailure(error) ? "partial" : "error");
      return { ok: /** @type {const} */ (false), error };
    }
  }

  /**
   * @param {Resource[]} targets
   * @param {Failure[]} failures
   */
  async function deleteResources(targets, failures) {
    await Promise.all(
      targets.map(async (r) => {
        const result = await call("delete", () => provider.delete(r.id, r.state));
        if (result.ok) model.resources = model.resources.filter((x) => x !== r);
        else recordFailure(failures, "delete", r.slot, result.error, "error", namesOfResource(r));
      }),
    );
  }

  /**
   * `pulumi up` of the current program.
   * @returns {Promise<StepResult>}
   */
  async function up() {
    await freshProcess();
    /** @type {Failure[]} */
    const failures = [];
    /** @type {Set<number>} */
    const operated = new Set();

    /** @type {PlanStep[]} */
    const plan = [];
    for (let slot = 0; slot < setCount; slot++) {
      if (program[slot] === null) continue;
      const current = liveResource(slot);
      const result = await call("check", () => provider.check(current ? current.inputs : {}, declared(slot)));
      if (!result.ok) {
        recordFailure(failures, "check", slot, result.error, "error");
        continue;
      }
      const checkFailures = result.value.failures ?? [];
      if (checkFailures.length > 0) {
        const text = checkFailures.map((f) => `${f.property}: ${f.reason}`).join("; ");
        recordFailure(failures, "check", slot, text, "check");
        continue;
      }
      plan.push({ slot, current, inputs: result.value.inputs });
    }
    if (failures.length > 0) return { ok: false, failures, operated, refused: true };

    for (const step of plan) {
      const current = step.current;
      if (!current) {
        step.action = "create";
        continue;
      }
      const result = await call("diff", () => provider.diff(current.id, current.state, step.inputs));
      if (!result.ok) {
        recordFailure(failures, "diff", step.slot, result.error, "error");
        step.action = "same";
        continue;
      }
      const diff = result.value;
      if ((diff.replaces ?? []).length > 0) step.action = "replace";
      else if (diff.changes !== false || current.initErrors) step.action = "update";
      else step.action = "same";
    }
    if (failures.length > 0) return { ok: false, failures, operated, refused: false };

    // The plan runs: identities are created or follow their set, unchanged sets take their new
    // inputs (a rename: the new name and URN) and keep their outputs, as a same step does.
    recordIdentities();
    for (const step of plan) {
      // A set is "same" only when it is in state.
      if (step.action !== "same" || !step.current) continue;
      step.current.inputs = step.inputs;
      step.current.urn = specAt(step.slot).urn;
    }

    await Promise.all(
      plan.map(async (step) => {
        const { slot, current, inputs } = step;
        if (step.action === "same") return;
        operated.add(slot);
        const names = namesOf.get(inputs.identity) ?? [];
        if (step.action === "create" || step.action === "replace") {
          const op = step.action === "create" ? "create" : "replace-create";
          const result = await call("create", () => provider.create(inputs));
          if (result.ok) {
            checkStruct(`${op} outs`, result.value.outs);
            model.resources.push({
              slot,
              urn: specAt(slot).urn,
              id: result.value.id,
              inputs,
              state: result.value.outs,
              initErrors: null,
            });
            if (current) current.pendingDelete = true;
          } else if (isPartialFailure(result.error)) {
            checkStruct(`${op} partial-failure properties`, result.error.properties);
            model.resources.push({
              slot,
              urn: specAt(slot).urn,
              id: result.error.id,
              inputs,
              state: result.error.properties,
              initErrors: result.error.reasons ?? [],
            });
            if (current) current.pendingDelete = true;
            recordFailure(failures, op, slot, result.error, "partial", names);
          } else {
            recordFailure(failures, op, slot, result.error, "error", names);
          }
          return;
        }
        // An update is planned only for a set in state.
        if (!current) return;
        const result = await call("update", () => provider.update(current.id, current.state, inputs));
        if (result.ok) {
          checkStruct("update outs", result.value.outs);
          current.state = result.value.outs;
          current.inputs = inputs;
          current.urn = specAt(slot).urn;
          current.initErrors = null;
        } else if (isPartialFailure(result.error)) {
          checkStruct("update partial-failure properties", result.error.properties);
          current.state = result.error.properties;
          current.inputs = inputs;
          current.urn = specAt(slot).urn;
          current.initErrors = result.error.reasons ?? [];
          recordFailure(failures, "update", slot, result.error, "partial", names);
        } else {
          recordFailure(failures, "update", slot, result.error, "error", names);
        }
      }),
    );
    if (failures.length > 0) return { ok: false, failures, operated, refused: false, plan };

    // `operated`: the slots whose own set was created, updated or replaced; `touched` adds the slots
    // of the sets deleted (replaced or dropped), whose deletion does not change the set declared
    // there (shortfall) but may take nodes of a base it shares with an explicit `requestId` (lost).
    const removed = model.resources.filter((r) => r.pendingDelete || !isDeclared(r));
    const touched = new Set([...operated, ...removed.map((r) => r.slot)]);
    await deleteResources(removed, failures);
    // The identities depend on nothing and their sets on them: deleted last, if every delete went.
    if (failures.length === 0) deleteIdentities();
    return { ok: failures.length === 0, failures, operated, touched, refused: false, plan };
  }

  /**
   * `pulumi refresh`: stores what read returns.
   * @returns {Promise<StepResult>}
   */
  async function refresh() {
    await freshProcess();
    /** @type {Failure[]} */
    const failures = [];
    await Promise.all(
      model.resources.map(async (r) => {
        const result = await call("read", () => provider.read(r.id, r.state));
        if (!result.ok) {
          recordFailure(failures, "read", r.slot, result.error, "error", namesOfResource(r));
          return;
        }
        checkStruct("read props", result.value.props);
        if (!result.value.id) {
          model.resources = model.resources.filter((x) => x !== r);
          return;
        }
        r.state = result.value.props;
        if (result.value.inputs) r.inputs = result.value.inputs;
      }),
    );
    return { ok: failures.length === 0, failures, operated: new Set(), refused: false, refresh: true };
  }

  return {
    freshProcess,
    call,
    up,
    refresh,
    /** The provider of the current process. */
    get provider() {
      return provider;
    },
  };
}

/** @typedef {ReturnType<typeof createEngine>} Engine */

module.exports = { createEngine };
