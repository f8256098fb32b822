// @ts-check
"use strict";
/**
 * Section 5 of bench/run.js: peak RSS of a child process (memory-worker.js) running the lifecycle
 * of section 1 for one set; prints its table and stores its rows in the results.
 */
const path = require("node:path");
const { fmt } = require("./common");
const { withEmulator, apiTiming, printSection } = require("./run-support");

/** @typedef {import("./run-support").Options} Options */
/** @typedef {import("./run-support").Results} Results */

/**
 * A line of memory-worker.js.
 * @typedef {{ n: number; baselineKb: number; maxRssKb: number; heapUsed: number; ms: number }} MemoryRow
 */

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionMemory(options, results) {
  const { execFile } = require("node:child_process");
  const sizes = [1, 1000];
  const { timing: API_TIMING, pollMinMs: API_POLL_MIN_MS } = apiTiming(options);
  /** @type {MemoryRow[]} */
  const rows = [];
  await withEmulator(API_TIMING, async (_emu, emulator) => {
    const info = {
      url: emulator.url,
      adminUrl: emulator.adminUrl,
      username: emulator.username,
      password: emulator.password,
    };
    for (const n of sizes) {
      /** @type {string} */
      const out = await new Promise((resolve, reject) => {
        execFile(
          process.execPath,
          [path.join(__dirname, "memory-worker.js"), JSON.stringify({ info, n, pollMinMs: API_POLL_MIN_MS })],
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        );
      });
      rows.push(JSON.parse(out.trim().split("\n").pop() ?? ""));
    }
  });
  results.memory = rows;
  printSection(
    "\n## 5. Memory\n\nPeak RSS (`process.resourceUsage().maxRSS`) of a child node process running the provider " +
      "through the whole lifecycle of section 1 (preview, create+wait, refresh, grow, shrink, destroy) for one set; " +
      "baseline = after loading the provider, before any operation.\n",
    ["N", "baseline RSS (MB)", "peak RSS (MB)", "peak - baseline (MB)", "heap used at end (MB)"],
    rows.map((r) => [
      r.n,
      fmt.mb(r.baselineKb),
      fmt.mb(r.maxRssKb),
      fmt.mb(r.maxRssKb - r.baselineKb),
      (r.heapUsed / 2 ** 20).toFixed(0),
    ]),
  );
}

module.exports = { sectionMemory };
