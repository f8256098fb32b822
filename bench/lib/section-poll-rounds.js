// @ts-check
"use strict";
/**
 * Section 6 of bench/run.js: shared poll rounds of S sets created concurrently by one provider
 * object (the worker is poll-rounds.js); prints its table and stores its rows in the results.
 */
const { withEmulator, withEnv, printSection } = require("./run-support");

/** @typedef {import("./run-support").Options} Options */
/** @typedef {import("./run-support").Results} Results */

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionPollRounds(options, results) {
  const { runPollRounds } = require("./poll-rounds");
  const timing = options.quick
    ? { acquiringMs: 60, preparingMs: 60, terminatingMs: 40 }
    : { acquiringMs: 1000, preparingMs: 1000, terminatingMs: 150 };
  const pollMinMs = options.quick ? 20 : 50;
  const shapes = options.quick
    ? [
        [1, 2],
        [10, 2],
        [10, 20],
      ]
    : [
        [1, 2],
        [1, 20],
        [10, 2],
        [10, 20],
        [50, 2],
        [50, 20],
      ];
  /** @type {import("./poll-rounds").PollRoundsRow[]} */
  const rows = [];
  await withEnv({ CYCLECLOUD_POLL_MIN_MS: pollMinMs, CYCLECLOUD_POLL_MAX_MS: undefined }, () =>
    withEmulator(timing, async (emu) => {
      for (const [sets = 1, nodesPerSet = 1] of shapes)
        rows.push(await runPollRounds({ emu, sets, nodesPerSet, pollMinMs }));
    }),
  );
  results.pollRounds = rows.map((r) => ({
    sets: r.sets,
    nodesPerSet: r.nodesPerSet,
    listingsPerRound: Number(r.listingsPerRound.toFixed(2)),
  }));
  results.pollRoundRuns = rows;
  printSection(
    `\n## 6. Shared poll rounds\n\nS sets of N nodes created concurrently by one provider object (one provider ` +
      `process, as the engine runs a stack's creates), then destroyed concurrently. Emulator: provisioning ` +
      `${timing.acquiringMs}+${timing.preparingMs} ms, terminating ${timing.terminatingMs} ms; ` +
      `CYCLECLOUD_POLL_MIN_MS=${pollMinMs}. Poll listings = node listings of the waits (all but each request's ` +
      "first listing after its create), grouped into rounds by start time; calls from the emulator's counters.\n",
    [
      "sets S",
      "nodes per set N",
      "poll rounds",
      "poll listings",
      "listings per round",
      "max per round",
      "create: list calls",
      "create: calls",
      "destroy: list calls",
      "destroy: list per set",
      "destroy: calls",
      "1 unfiltered listing (ms)",
      "S listings by request (ms)",
    ],
    rows.map((r) => [
      r.sets,
      r.nodesPerSet,
      r.rounds,
      r.pollListings,
      r.listingsPerRound.toFixed(2),
      r.maxListingsPerRound,
      r.create.nodes,
      r.create.total,
      r.destroy.nodes,
      (r.destroy.nodes / r.sets).toFixed(2),
      r.destroy.total,
      r.wholeMs.toFixed(1),
      r.byRequestMs.toFixed(1),
    ]),
  );
}

module.exports = { sectionPollRounds };
