// @ts-check
"use strict";
/**
 * Sections 1 and 1b of bench/run.js: API calls per operation of one set of N nodes (the workers
 * are lifecycle.js and generations.js), and the create of a set whose earlier generations were
 * destroyed. Each prints its table and stores its rows in the results.
 */
const { fmt } = require("./common");
const { withEmulator, withEnv, apiTiming, printSection } = require("./run-support");

/** @typedef {import("./run-support").Options} Options */
/** @typedef {import("./run-support").Results} Results */

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionApiCalls(options, results) {
  const { runLifecycle } = require("./lifecycle");
  const sizes = [1, 10, 100, 1000];
  const { timing: API_TIMING, pollMinMs: API_POLL_MIN_MS } = apiTiming(options);
  /** @type {import("./lifecycle").LifecycleRow[]} */
  const rows = [];
  await withEnv({ CYCLECLOUD_POLL_MIN_MS: API_POLL_MIN_MS, CYCLECLOUD_POLL_MAX_MS: undefined }, () =>
    withEmulator(API_TIMING, async (emu) => {
      for (const n of sizes) rows.push(...(await runLifecycle({ emu, n, pollMinMs: API_POLL_MIN_MS })));
    }),
  );
  results.apiCalls = rows;
  printSection(
    `\n## 1. API calls per operation\n\nEmulator: provisioning ${API_TIMING.acquiringMs}+${API_TIMING.preparingMs} ms, ` +
      `terminating ${API_TIMING.terminatingMs} ms; CYCLECLOUD_POLL_MIN_MS=${API_POLL_MIN_MS} (max default). ` +
      "Each operation runs in a fresh provider state (as a new `pulumi` command would).\n" +
      "calls = requests the emulator received; polls = node-listing rounds after a poll sleep; " +
      "calls/poll = listings per such round.\n",
    [
      "N",
      "operation",
      "calls",
      "status",
      "list",
      "create",
      "terminate",
      "polls",
      "calls/poll",
      "log lines",
      "ms",
    ],
    rows.map((r) => [
      r.n,
      r.op,
      r.server.total,
      r.server.status,
      r.server.nodes,
      r.server.create,
      r.server.terminate,
      r.polls || "-",
      r.polls ? (r.pollCalls / r.polls).toFixed(2) : "-",
      r.logLines,
      fmt.ms(r.ms),
    ]),
    ["r", "l"],
  );
}

// 1b. Re-creating a destroyed set

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionGenerations(options, results) {
  const { runGenerations } = require("./generations");
  const generations = options.quick ? [0, 1, 5, 10] : [0, 1, 5, 10, 20, 50];
  const rows = await withEmulator({ acquiringMs: 0, preparingMs: 0, terminatingMs: 0 }, (emu) =>
    runGenerations({ emu, generations }),
  );
  results.generations = rows;
  printSection(
    "\n### 1b. create of a set whose earlier generations were destroyed\n\n" +
      "The same set (same stack, name and spec: the same base request id) brought up and destroyed g times " +
      "before, e.g. an ephemeral CI stack; 1 node, instant provisioning. Every earlier id is used on the server.\n",
    ["earlier generations g", "calls", "create POSTs", "list", "status", "request id used"],
    rows.map((r) => [
      r.g,
      r.server.total,
      r.server.create,
      r.server.nodes,
      r.server.status,
      r.requestId.replace(/^pcc-\w+-/, "<base>-"),
    ]),
    ["r", "r", "r", "r", "r", "l"],
  );
}

module.exports = { sectionApiCalls, sectionGenerations };
