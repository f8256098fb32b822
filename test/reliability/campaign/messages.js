// @ts-check
"use strict";
/** What a failure message must say (the campaign's `message` invariant) and how messages group by shape. */

/** A failed call must say what was attempted... */
const NAMES_OPERATION =
  /\b(GET|POST) \/|\bcreat|\bterminat|\bdeallocat|\bstart|\bdelet|\bdestroy|\brefresh|\bread\b|\bresiz|\bgrow|\bshrink|\badopt|\bready\b|\bpreflight|\badded \d+ of/i;
/** ...and what went wrong. */
const NAMES_CAUSE =
  /\b[1-5]\d\d\b|did not answer|unreachable|fail|refused|timed out|not (valid|recognized|ready|terminated)|added \d+ of \d+|connection|does not fit|reset|hang up|ECONN/i;

/**
 * The form of a node set operation's failure (provider/core/failure-messages.ts): `<name>:
 * <operation> failed: <cause>; <what became of the nodes and state>[. <next step>]`, or `... did
 * not finish: ...` when nodes changed and the set is recorded with them.
 */
const OPERATION_FAILURE =
  /^(.+?): (create of .+?|(?:grow|shrink) from \d+ to \d+ nodes|update \(\d+ nodes\)|destroy \((?:terminate|deallocate) its nodes\)|refresh) (failed|did not finish): ([\s\S]*)$/;
/** What became of the nodes and state, after the cause (leftmost), by outcome. */
/** @type {Record<string, RegExp>} */
const CONSEQUENCES = {
  failed:
    /; (nothing was created and nothing is recorded in state|no node was changed and the state still lists the set's \d+ node\(s\)|the set stays in state with the \d+ node\(s\) it holds)(\. \S[\s\S]*)?$/,
  "did not finish": /; (the set is recorded with the \d+ node\(s\) it holds \(\d+ ready\))(\. \S[\s\S]*)?$/,
};
/** The operation a failure of each provider call must name. */
/** @type {Record<string, RegExp>} */
const CALL_OPERATIONS = {
  create: /^create of /,
  "replace-create": /^create of /,
  update: /^(grow from|shrink from|update \()/,
  delete: /^destroy \(/,
  read: /^refresh$/,
};

/**
 * Why a failure message is not good enough, or undefined. `call` (optional): `{ op, names }`, the
 * campaign's name of the failed call and every name the set was declared under; a create, update,
 * delete or read must then fail in the form of {@link OPERATION_FAILURE}, naming one of `names`,
 * the call's operation, and a cause of its own (the form's "failed" says nothing by itself).
 * @param {unknown} message
 * @param {{ op: string; names?: readonly string[] }} [call]
 * @returns {string | undefined}
 */
function messageProblem(message, call) {
  if (typeof message !== "string" || message.trim() === "") return "empty message";
  if (/\brequest failed\b/i.test(message) && message.length < 40) return "bare 'Request failed'";
  if (/\bundefined\b|\[object Object\]|\bNaN\b/.test(message))
    return "contains undefined/[object Object]/NaN";
  const expected = call ? CALL_OPERATIONS[call.op] : undefined;
  if (expected === undefined) {
    if (!NAMES_OPERATION.test(message)) return "does not name the operation";
    if (!NAMES_CAUSE.test(message)) return "does not name the cause";
    return undefined;
  }
  const form = OPERATION_FAILURE.exec(message);
  if (!form)
    return "is not of the form `<name>: <operation> failed|did not finish: <cause>; <what became of the nodes and state>`";
  // The expression's four groups always match (possibly empty) when it matches.
  const [, name = "", operation = "", outcome = "", rest = ""] = form;
  if (call?.names && !call.names.includes(name))
    return `names set '${name}', which is none of the set's names (${call.names.join(", ")})`;
  if (!expected.test(operation)) return `names the operation '${operation}' for a ${call?.op}`;
  const consequence = CONSEQUENCES[outcome]?.exec(rest);
  if (!consequence) return `does not say what became of the nodes and state after '${outcome}'`;
  const cause = rest.slice(0, consequence.index);
  if (cause.trim() === "") return "does not name the cause";
  if (!NAMES_CAUSE.test(cause)) return `does not name the cause ('${cause}')`;
  return undefined;
}

/**
 * Replaces ids, numbers and durations so messages of one shape group together.
 * @param {string} message
 */
function messageShape(message) {
  return message
    .replace(/pcc-[0-9a-f]{24}(-\d+)?/g, "<id>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/request-\d+/g, "request-N")
    .replace(/ondemand-\d+/g, "ondemand-N")
    .replace(/\d+/g, "N")
    .slice(0, 240);
}

/** @param {unknown} error */
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * @param {unknown} error
 * @returns {error is PartialFailure}
 */

module.exports = { messageProblem, messageShape, errorText };
