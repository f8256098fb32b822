// @ts-check
"use strict";
/**
 * Section 7 of bench/run.js: memory of a refresh of one large set (the worker is
 * refresh-memory.js); prints its table and summary line and stores the row in the results.
 */
const { median } = require("./common");
const { printSection } = require("./run-support");

/** @typedef {import("./run-support").Options} Options */
/** @typedef {import("./run-support").Results} Results */

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionRefreshMemory(options, results) {
  const { runRefreshMemory } = require("./refresh-memory");
  const n = options.quick ? 500 : 5000;
  const reps = options.quick ? 1 : 3;
  const row = await runRefreshMemory({ n, reps });
  results.refreshMemory = row;
  const mb = (/** @type {number} */ kb) => (kb / 1024).toFixed(1);
  const heapMb = (/** @type {number} */ bytes) => (bytes / 2 ** 20).toFixed(1);
  printSection(
    `\n## 7. Refresh memory\n\nOne set of ${n} nodes (state ${(row.stateBytes / 2 ** 20).toFixed(2)} MB as JSON). ` +
      "Each run is a child `node --expose-gc` process that loads the provider, configures it and reads the state; " +
      "start = RSS after a full GC at that point; peak = `process.resourceUsage().maxRSS`; heap peak sampled every 2 ms. " +
      "read = the provider's `read` (refresh); baseline = returns a copy of the same state, no work.\n",
    [
      "run",
      "start RSS (MB)",
      "peak RSS (MB)",
      "peak - start (MB)",
      "heap start (MB)",
      "heap peak (MB)",
      "ms",
    ],
    [...row.baseline, ...row.read].map((r) => [
      r.mode,
      mb(r.startRssKb),
      mb(r.peakRssKb),
      mb(r.peakRssKb - r.startRssKb),
      heapMb(r.startHeap),
      heapMb(r.peakHeap),
      r.ms.toFixed(0),
    ]),
  );
  const medianOf = (/** @type {number[]} */ values) => median(values);
  const growth = (/** @type {import("./refresh-memory").RefreshMemoryRun[]} */ runs) =>
    medianOf(runs.map((r) => r.peakRssKb - r.startRssKb));
  console.log(
    `\nMedian peak RSS above start: read ${mb(growth(row.read))} MB, baseline ${mb(growth(row.baseline))} MB; ` +
      `read - baseline ${mb(growth(row.read) - growth(row.baseline))} MB (median peak RSS: read ` +
      `${mb(medianOf(row.read.map((r) => r.peakRssKb)))} MB, baseline ${mb(medianOf(row.baseline.map((r) => r.peakRssKb)))} MB).`,
  );
}

module.exports = { sectionRefreshMemory };
