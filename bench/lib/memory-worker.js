// @ts-check
"use strict";
/**
 * Section 5, child process: runs the lifecycle of one set of N nodes through the provider (as the
 * provider process would) against the emulator of the parent, and reports its peak RSS.
 *   node bench/lib/memory-worker.js '<json: { info, n, pollMinMs }>'
 */
const { emulatorHandle, dist } = require("./common");
const { runLifecycle } = require("./lifecycle");

async function main() {
  /** @type {{ info: import("./common").EmulatorInfo; n: number; pollMinMs: number }} */
  const { info, n, pollMinMs } = JSON.parse(process.argv[2] ?? "");
  process.env.CYCLECLOUD_POLL_MIN_MS = String(pollMinMs);
  // Load the implementation first: the baseline is a provider process that has done nothing yet.
  dist("provider/engine/node-set-provider.js");
  const baseline = process.resourceUsage().maxRSS;
  const rows = await runLifecycle({ emu: emulatorHandle(info), n, pollMinMs, label: "memory" });
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({ n, baselineKb: baseline, maxRssKb: usage.maxRSS, heapUsed: process.memoryUsage().heapUsed, ms: rows.reduce((a, r) => a + r.ms, 0) })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
