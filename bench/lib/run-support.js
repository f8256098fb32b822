// @ts-check
"use strict";
/**
 * What the sections of bench/run.js share: the options and results of a run, an emulator with the
 * bench config for a section (withEmulator), environment variables set for a section (withEnv),
 * the emulator timing of sections 1 and 5 (apiTiming), and a section's text: its intro, then its
 * table (printSection).
 */
const { dist, BENCH_CONFIG, emulatorHandle, table } = require("./common");

/** @typedef {import("./common").EmulatorHandle} EmulatorHandle */
/** @typedef {import("../../emulator").RunningEmulator} RunningEmulator */
/** @typedef {import("../../emulator").EmulatorTiming} EmulatorTiming */

/**
 * @typedef {object} Options
 * @property {boolean} quick
 * @property {Set<number> | null} only Sections to run (null: all).
 * @property {number | null} reps Engine/preview repetitions (null: the mode's default).
 * @property {string | null} json
 * @property {number[] | null} sets Stack sizes of section 3 (null: 20, with the module-loading stack).
 */

/**
 * Figures of the run, by section (`--json` writes them).
 * @typedef {object} Results
 * @property {string} mode
 * @property {string} startedAt
 * @property {import("./lifecycle").LifecycleRow[]} [apiCalls]
 * @property {Awaited<ReturnType<typeof import("./generations").runGenerations>>} [generations]
 * @property {{ factor: number; rows: Awaited<ReturnType<typeof import("./readiness").runReadiness>>["rows"] }} [readiness]
 * @property {{ reps: number; sets: number; summary: import("./section-engine").EngineSummary[] }[]} [engine]
 * @property {{ provider: string; bytes: number }[]} [providerText]
 * @property {{ reps: number; summary: import("./section-engine").PreviewSummary[] }} [preview]
 * @property {import("./section-memory").MemoryRow[]} [memory]
 * @property {{ sets: number; nodesPerSet: number; listingsPerRound: number }[]} [pollRounds]
 * @property {import("./poll-rounds").PollRoundsRow[]} [pollRoundRuns]
 * @property {import("./refresh-memory").RefreshMemoryRow} [refreshMemory]
 * @property {number} [seconds]
 */

/**
 * An emulator with the bench config for `fn`, closed afterwards.
 * @template T
 * @param {Partial<EmulatorTiming>} timing
 * @param {(emu: EmulatorHandle, emulator: RunningEmulator) => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function withEmulator(timing, fn) {
  const { startEmulator } = dist("emulator/index.js");
  const emulator = await startEmulator({ port: 0, timing, config: BENCH_CONFIG });
  try {
    return await fn(emulatorHandle(emulator), emulator);
  } finally {
    await emulator.close();
  }
}

/**
 * `fn` with environment variables set (undefined: unset), restored afterwards.
 * @template T
 * @param {Record<string, string | number | undefined>} vars
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
function withEnv(vars, fn) {
  /** @type {Record<string, string | undefined>} */
  const saved = {};
  for (const [key, value] of Object.entries(vars)) {
    saved[key] = process.env[key];
    if (value === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = String(value);
  }
  const restore = () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
  };
  return Promise.resolve().then(fn).finally(restore);
}

/**
 * Provisioning and termination times for sections 1 and 5, and the poll floor (scaled down in quick mode).
 * @param {Options} options
 */
function apiTiming(options) {
  return options.quick
    ? { timing: { acquiringMs: 40, preparingMs: 40, terminatingMs: 40 }, pollMinMs: 20 }
    : { timing: { acquiringMs: 150, preparingMs: 150, terminatingMs: 150 }, pollMinMs: 50 };
}

/**
 * Prints a section's intro, then its table (`table` of common.js).
 * @param {string} intro
 * @param {Parameters<typeof table>[0]} headers
 * @param {Parameters<typeof table>[1]} rows
 * @param {Parameters<typeof table>[2]} [align]
 */
function printSection(intro, headers, rows, align) {
  console.log(intro);
  console.log(table(headers, rows, align));
}

module.exports = { withEmulator, withEnv, apiTiming, printSection };
