// @ts-check
"use strict";
/**
 * Section 2: readiness lag. Sets are created concurrently, each with its own provisioning delay
 * (the emulator's timing is set just before each create POST; nodes keep the timing they were
 * created with). For each set: lag = create returning - (operation start + delay), i.e. the time
 * from the last node becoming Ready to `create` returning, compared with the poll interval in
 * force then (`pollDelay` of tuning.ts). With a time factor f < 1, delays and the
 * poll bounds (CYCLECLOUD_POLL_MIN_MS/MAX_MS) are both scaled by f and figures scaled back by 1/f,
 * which keeps the poll schedule's shape.
 */
const { setTimeout: sleep } = require("node:timers/promises");
const {
  dist,
  CLUSTER,
  NODEARRAY,
  MACHINE_TYPE,
  installClientTrace,
  quietProvider,
  emulatorStackConfig,
} = require("./common");

const DEFAULT_MIN_MS = 1000;
const DEFAULT_MAX_MS = 10_000;

/**
 * One set created: its delay, then (once `create` returned) when and with what.
 * @typedef {object} ReadinessRun
 * @property {number} nominal
 * @property {number} delay
 * @property {number} scaled
 * @property {number} mark
 * @property {Promise<void>} [promise]
 * @property {number} [returnedAt]
 * @property {number} [endMark] The trace index when `create` returned.
 * @property {import("@pulumi/pulumi").dynamic.CreateResult} [result]
 */

/**
 * `delays`: nominal delays in ms; `samples` per delay, spread over one poll interval so the lag is
 * seen at different phases of the poll schedule; `factor`: time scale; `n`: nodes per set.
 * @param {{ emu: import("./common").EmulatorHandle; delays: readonly number[]; samples: number; factor: number; n: number }} options
 */
async function runReadiness({ emu, delays, samples, factor, n }) {
  const { provider, fresh } = quietProvider();
  const { pollDelay, resolveTuning } = dist("provider/ops/tuning.js");
  const trace = installClientTrace();
  fresh();
  await provider.configure(emulatorStackConfig(emu));
  // The env in force (set by the caller): the interval the provider would pick, in real ms.
  const scaledDelay = (/** @type {number} */ elapsedMs) => pollDelay(elapsedMs, resolveTuning(process.env));

  /** @type {ReadinessRun[]} */
  const runs = [];
  const results = await (async () => {
    let createsDone = 0;
    const stop = trace.onCallEnd((call) => {
      if (call.method === "createNodes") createsDone++;
    });
    try {
      for (const nominal of delays) {
        const interval = scaledDelay(nominal * factor) / factor;
        for (let k = 0; k < samples; k++) {
          const delay = nominal + (k * interval) / samples;
          const scaled = Math.round(delay * factor);
          const acquiringMs = Math.floor(scaled / 2);
          await emu.setTiming({ acquiringMs, preparingMs: scaled - acquiringMs });
          const news = {
            identity: `bench/ready/d${nominal}-${k}-${Date.now()}`,
            cluster: CLUSTER,
            nodearray: NODEARRAY,
            machineType: MACHINE_TYPE,
            count: n,
            preflight: "off",
          };
          const checked = await provider.check({}, news);
          if ((checked.failures ?? []).length > 0) throw new Error(JSON.stringify(checked.failures));
          const before = createsDone;
          const mark = trace.mark();
          /** @type {ReadinessRun} */
          const run = { nominal, delay, scaled, mark };
          run.promise = provider.create(checked.inputs).then((result) => {
            run.returnedAt = Date.now();
            run.endMark = trace.mark();
            run.result = result;
          });
          runs.push(run);
          // The next set's timing may only be set once this create has reached the server.
          while (createsDone === before) await sleep(1);
        }
      }
      await Promise.all(runs.map((r) => r.promise));
    } finally {
      stop();
    }
    return runs;
  })();

  const rows = [];
  const allCalls = trace.since(0);
  for (const run of results) {
    if (run.result === undefined || run.returnedAt === undefined) throw new Error("a create did not return");
    const requestId = run.result.outs.requestIds[0];
    const readyAt = (await emu.operationStart(requestId)) + run.scaled;
    const lag = (run.returnedAt - readyAt) / factor;
    const intervalAtReady = scaledDelay(run.scaled) / factor;
    // Its listings, and (shared poll rounds: the sets of one provider poll the cluster together) the
    // unfiltered listings made while it waited.
    const own = allCalls.slice(run.mark, run.endMark).filter((c) => {
      const listed = /** @type {{ requestId?: string } | undefined} */ (c.args[1])?.requestId;
      return c.method === "listNodes" && (listed === requestId || listed === undefined);
    });
    // The first listing follows the create POST; every later one follows a poll sleep.
    const polls = Math.max(0, own.length - 1);
    rows.push({
      nominal: run.nominal,
      delay: run.delay,
      lag,
      interval: intervalAtReady,
      polls,
      ready: run.result.outs.readyCount,
      n,
    });
  }
  return { rows, defaults: { minMs: DEFAULT_MIN_MS, maxMs: DEFAULT_MAX_MS } };
}

module.exports = { runReadiness };
