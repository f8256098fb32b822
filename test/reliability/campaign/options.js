// @ts-check
"use strict";
/** The command line of the campaign (see campaign.js). */

const util = require("node:util");
const { errorText } = require("./messages");
const { FAULT_KINDS } = require("./settings");

/** @typedef {import("./types").Options} Options */

const USAGE = "use --seed N --steps N [--sets N] [--without KIND,...] [--trace] [--json]";

/**
 * The command line (see the comment at the top). Throws on a bad one.
 * @param {string[]} argv
 * @returns {Required<Options>}
 */
function parseArgs(argv) {
  /** @type {ReturnType<typeof parseStrict>} */
  let values;
  try {
    values = parseStrict(argv);
  } catch (error) {
    throw new Error(`${errorText(error)}; ${USAGE}`);
  }
  /** @param {"seed" | "steps" | "sets"} name */
  const whole = (name) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a whole number`);
    return v;
  };
  /** @type {Required<Options>} */
  const options = {
    seed: values.seed === undefined ? 1 : whole("seed"),
    steps: values.steps === undefined ? 200 : whole("steps"),
    sets: values.sets === undefined ? 4 : Math.max(1, whole("sets")),
    trace: values.trace ?? false,
    json: values.json ?? false,
    without: [],
  };
  if (values.without !== undefined) {
    options.without = values.without.split(",");
    const unknown = options.without.filter((kind) => !FAULT_KINDS.some(([k]) => k === kind));
    if (unknown.length > 0) throw new Error(`--without: unknown fault kind ${unknown.join(", ")}`);
  }
  return options;
}

/** @param {string[]} argv */
function parseStrict(argv) {
  const options = /** @type {const} */ ({
    seed: { type: "string" },
    steps: { type: "string" },
    sets: { type: "string" },
    trace: { type: "boolean" },
    json: { type: "boolean" },
    without: { type: "string" },
  });
  return util.parseArgs({ args: argv, options, strict: true }).values;
}

module.exports = { parseArgs };
