#!/usr/bin/env node
// @ts-check
"use strict";
/**
 * Benchmarks of pulumi-cyclecloud against the CycleCloud emulator. Prints tables; asserts no time.
 *
 *   npm run bench                      # build, then the full run (a few minutes)
 *   node bench/run.js --quick          # smoke version for CI (a few seconds, on an existing dist/)
 *   node bench/run.js --only 1,2       # some sections (1 api calls, 2 readiness, 3 engine,
 *                                      #   4 preview, 5 memory, 6 shared poll rounds,
 *                                      #   7 refresh memory of a 5,000-node set)
 *   node bench/run.js --reps 7         # engine/preview repetitions (default 5; quick: 0 = skipped)
 *   node bench/run.js --only 3 --sets 20,100,200
 *                                      # section 3 at these stack sizes (node sets vs trivial
 *                                      #   resources, with state bytes per set; default 20)
 *   node bench/run.js --json out.json  # also write the figures as JSON
 *
 * See bench/README.md for what each section measures and the latest figures.
 */
const fs = require("node:fs");
const path = require("node:path");
const util = require("node:util");
const { now } = require("./lib/common");
const { sectionApiCalls, sectionGenerations } = require("./lib/section-api-calls");
const { sectionReadiness } = require("./lib/section-readiness");
const { sectionsThroughEngine } = require("./lib/section-engine");
const { sectionMemory } = require("./lib/section-memory");
const { sectionPollRounds } = require("./lib/section-poll-rounds");
const { sectionRefreshMemory } = require("./lib/section-refresh-memory");

/** @typedef {import("./lib/run-support").Options} Options */
/** @typedef {import("./lib/run-support").Results} Results */

/** A bad command line: printed as one line, without a stack. */
class UsageError extends Error {}

/** The sections `--only` names. */
const SECTIONS = [1, 2, 3, 4, 5, 6, 7];

/**
 * The command line (see the comment at the top of this file; `--help` prints it).
 * @param {string[]} argv
 * @returns {Options}
 */
function parseArgs(argv) {
  const { values, tokens } = parseOrExplain(argv);
  if (values.help) {
    const text = fs.readFileSync(path.join(__dirname, "run.js"), "utf8");
    // The comment at the top, without its first and last lines.
    console.log(text.slice(text.indexOf("/**\n") + 4, text.indexOf("\n */")));
    process.exit(0);
  }
  /** @type {Options} */
  const options = { quick: false, only: null, reps: null, json: values.json ?? null, sets: null };
  // --quick and --full: the last one given wins.
  for (const token of tokens)
    if (token.kind === "option" && (token.name === "quick" || token.name === "full"))
      options.quick = token.name === "quick";
  if (values.only !== undefined) {
    const only = values.only.split(",").map(Number);
    const bad = only.filter((n) => !SECTIONS.includes(n));
    if (bad.length > 0)
      throw new UsageError(`--only: sections are ${SECTIONS.join(", ")}, got ${values.only}`);
    options.only = new Set(only);
  }
  if (values.reps !== undefined) {
    const reps = Number(values.reps);
    if (!Number.isInteger(reps) || reps < 0)
      throw new UsageError(`--reps needs a whole number (0 or more), got ${values.reps}`);
    options.reps = reps;
  }
  if (values.sets !== undefined) {
    const sets = values.sets.split(",").map(Number);
    if (sets.some((n) => !Number.isInteger(n) || n < 1))
      throw new UsageError(`--sets needs whole numbers of 1 or more, comma-separated, got ${values.sets}`);
    options.sets = sets;
  }
  // Parse only (test/docs/documented-commands.test.ts): print the options, run nothing.
  if (values["check-args"]) {
    console.log(JSON.stringify({ ...options, only: options.only && [...options.only] }));
    process.exit(0);
  }
  return options;
}

/**
 * `util.parseArgs` of the options below; its error says where to look.
 * @param {string[]} argv
 */
function parseOrExplain(argv) {
  try {
    return util.parseArgs({ args: argv, options: OPTIONS, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
}

const OPTIONS = /** @type {const} */ ({
  quick: { type: "boolean" },
  full: { type: "boolean" },
  only: { type: "string" },
  reps: { type: "string" },
  json: { type: "string" },
  sets: { type: "string" },
  "check-args": { type: "boolean" },
  help: { type: "boolean", short: "h" },
});

// ------------------------------------------------------------------------------------------------

async function main() {
  const parsed = parseArgs(process.argv.slice(2));
  const options = { ...parsed, reps: parsed.reps ?? (parsed.quick ? 0 : 5) };
  const want = (/** @type {number} */ section) => options.only === null || options.only.has(section);
  /** @type {Results} */
  const results = { mode: options.quick ? "quick" : "full", startedAt: new Date().toISOString() };
  const t0 = now();
  console.log(`# pulumi-cyclecloud benchmarks (${results.mode}), node ${process.version}`);
  if (want(1)) await sectionApiCalls(options, results);
  if (want(1)) await sectionGenerations(options, results);
  if (want(2)) await sectionReadiness(options, results);
  if (options.reps > 0 && (want(3) || want(4))) await sectionsThroughEngine(options, results, want);
  else if (want(3) || want(4))
    console.log("\n## 3, 4. Engine overhead, preview: skipped (quick; add --reps N to run them)");
  if (want(5)) await sectionMemory(options, results);
  if (want(6)) await sectionPollRounds(options, results);
  if (want(7)) await sectionRefreshMemory(options, results);
  results.seconds = (now() - t0) / 1000;
  console.log(`\nTotal ${results.seconds.toFixed(1)} s (${results.mode}).`);
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  console.error(error instanceof UsageError ? `bench/run.js: ${error.message}` : error);
  process.exitCode = 1;
});
