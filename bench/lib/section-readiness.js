// @ts-check
"use strict";
/**
 * Section 2 of bench/run.js: readiness lag (the worker is readiness.js); prints its table and
 * stores its rows in the results.
 */
const { fmt } = require("./common");
const { withEmulator, withEnv, printSection } = require("./run-support");

/** @typedef {import("./run-support").Options} Options */
/** @typedef {import("./run-support").Results} Results */

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionReadiness(options, results) {
  const { runReadiness } = require("./readiness");
  // Quick: 2 s and 10 s at 1/20 of real time. Full: 2 s, 10 s and 60 s in real time, default env.
  const factor = options.quick ? 0.05 : 1;
  const delays = options.quick ? [2000, 10_000] : [2000, 10_000, 60_000];
  const samples = 3;
  const env =
    factor === 1
      ? { CYCLECLOUD_POLL_MIN_MS: undefined, CYCLECLOUD_POLL_MAX_MS: undefined }
      : { CYCLECLOUD_POLL_MIN_MS: 1000 * factor, CYCLECLOUD_POLL_MAX_MS: 10_000 * factor };
  const { rows } = await withEnv(env, () =>
    withEmulator({ acquiringMs: 0, preparingMs: 0, terminatingMs: 0 }, (emu) =>
      runReadiness({ emu, delays, samples, factor, n: 10 }),
    ),
  );
  results.readiness = { factor, rows };
  printSection(
    `\n## 2. Readiness lag\n\nSets of 10 nodes created concurrently, ${samples} per delay D (D + k/${samples} of the ` +
      `poll interval, to sample the poll phase); ${
        factor === 1
          ? "real time, default poll env"
          : `time scaled by ${factor} (delays and poll bounds), figures scaled back`
      }. lag = create returning - last node Ready (operation start + D). ` +
      "interval = pollDelay in force at that moment (~elapsed/10, min 1 s, max 10 s); target: lag <= interval, " +
      "interval <= max(1 s, 10% of D) up to the 10 s cap.\n",
    [
      "D (s)",
      "D sample (s)",
      "polls",
      "lag (s)",
      "interval (s)",
      "lag/interval",
      "lag/D",
      "interval target (s)",
      "ok",
    ],
    rows.map((r) => {
      const target = Math.min(10_000, Math.max(1000, r.delay / 10));
      return [
        fmt.s(r.nominal, 0),
        fmt.s(r.delay),
        r.polls,
        fmt.s(r.lag),
        fmt.s(r.interval),
        fmt.ratio(r.lag / r.interval),
        `${((100 * r.lag) / r.delay).toFixed(1)}%`,
        fmt.s(target),
        r.lag <= r.interval * 1.1 && r.interval <= target * 1.05 ? "yes" : "NO",
      ];
    }),
  );
}

module.exports = { sectionReadiness };
