// @ts-check
/* global structuredClone */
"use strict";
/**
 * Section 7: memory of a refresh of one large set. The parent creates a set of N nodes on an
 * emulator with no provisioning delay, writes its state to a file, then runs two child processes
 * (`node --expose-gc`), each loading the provider, configuring it and reading the state file:
 *   - read: the provider's `read` of the set (what `pulumi refresh` runs in the provider process);
 *   - baseline: no work, returns a copy of the state (the same-size outputs).
 * Each child reports its RSS after the state is loaded and garbage collected, its peak RSS
 * (`process.resourceUsage().maxRSS`) and its sampled peak heap. Child mode:
 *   node --expose-gc bench/lib/refresh-memory.js '<json: { mode, info, stateFile }>'
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { execFile } = require("node:child_process");
const { performance } = require("node:perf_hooks");
const { setInterval, clearInterval } = require("node:timers");
const {
  BENCH_CONFIG,
  CLUSTER,
  NODEARRAY,
  MACHINE_TYPE,
  dist,
  emulatorHandle,
  emulatorStackConfig,
  quietProvider,
} = require("./common");

/**
 * One child's figures (KB for RSS, bytes for heap).
 * @typedef {object} RefreshMemoryRun
 * @property {"read" | "baseline"} mode
 * @property {number} startRssKb RSS after loading the provider and the state, after a full GC.
 * @property {number} peakRssKb
 * @property {number} startHeap
 * @property {number} peakHeap Sampled every 2 ms and after the operation.
 * @property {number} outputBytes Size of the returned state as JSON.
 * @property {number} ms
 */

/**
 * @typedef {object} RefreshMemoryRow
 * @property {number} n
 * @property {number} stateBytes
 * @property {RefreshMemoryRun[]} read One per repetition.
 * @property {RefreshMemoryRun[]} baseline One per repetition.
 */

/**
 * Creates a set of `n` nodes and measures refresh against baseline, `reps` times each (alternating).
 * @param {{ n: number; reps: number }} options
 * @returns {Promise<RefreshMemoryRow>}
 */
async function runRefreshMemory({ n, reps }) {
  const { startEmulator } = dist("emulator/index.js");
  const emulator = await startEmulator({
    port: 0,
    timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 },
    config: BENCH_CONFIG,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-refresh-memory-"));
  const savedPoll = process.env.CYCLECLOUD_POLL_MIN_MS;
  process.env.CYCLECLOUD_POLL_MIN_MS = "20";
  try {
    const info = {
      url: emulator.url,
      adminUrl: emulator.adminUrl,
      username: emulator.username,
      password: emulator.password,
    };
    const emu = emulatorHandle(info);
    const { provider } = quietProvider();
    await provider.configure(emulatorStackConfig(emu));
    const checked = await provider.check(
      {},
      {
        identity: `bench/refresh-memory/set${n}-${Date.now()}`,
        cluster: CLUSTER,
        nodearray: NODEARRAY,
        machineType: MACHINE_TYPE,
        count: n,
      },
    );
    if (checked.failures !== undefined && checked.failures.length > 0)
      throw new Error(`refresh memory: check failed: ${JSON.stringify(checked.failures)}`);
    const created = await provider.create(checked.inputs);
    if (created.outs.readyCount !== n)
      throw new Error(`refresh memory: created ${created.outs.readyCount} ready nodes, wanted ${n}`);
    const stateFile = path.join(dir, "state.json");
    const stateText = JSON.stringify({ id: created.id, props: created.outs });
    fs.writeFileSync(stateFile, stateText);
    /** @type {RefreshMemoryRow} */
    const row = { n, stateBytes: Buffer.byteLength(stateText), read: [], baseline: [] };
    for (let rep = 0; rep < reps; rep++) {
      row.baseline.push(await runChild({ mode: "baseline", info, stateFile }));
      const read = await runChild({ mode: "read", info, stateFile });
      if (read.outputBytes !== row.baseline[rep]?.outputBytes)
        throw new Error(
          `refresh memory: read returned ${read.outputBytes} bytes of state, baseline ${row.baseline[rep]?.outputBytes}`,
        );
      row.read.push(read);
    }
    return row;
  } finally {
    if (savedPoll === undefined) Reflect.deleteProperty(process.env, "CYCLECLOUD_POLL_MIN_MS");
    else process.env.CYCLECLOUD_POLL_MIN_MS = savedPoll;
    fs.rmSync(dir, { recursive: true, force: true });
    await emulator.close();
  }
}

/**
 * One child process of this file; its figures.
 * @param {{ mode: "read" | "baseline"; info: import("./common").EmulatorInfo; stateFile: string }} job
 * @returns {Promise<RefreshMemoryRun>}
 */
function runChild(job) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", path.join(__dirname, "refresh-memory.js"), JSON.stringify(job)],
      { maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
      },
    );
  });
}

/** Child: loads the provider and the state, then runs `read` or the baseline, and prints its figures. */
async function child() {
  /** @type {{ mode: "read" | "baseline"; info: import("./common").EmulatorInfo; stateFile: string }} */
  const { mode, info, stateFile } = JSON.parse(process.argv[2] ?? "");
  const gc = /** @type {() => void} */ (globalThis.gc);
  const { provider } = quietProvider();
  await provider.configure(emulatorStackConfig(emulatorHandle(info)));
  /** @type {{ id: string; props: import("../../provider/core/node-set-state").NodeSetState }} */
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8"));
  gc();
  const startRssKb = Math.round(process.memoryUsage().rss / 1024);
  const startHeap = process.memoryUsage().heapUsed;
  let peakHeap = startHeap;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 2);
  const t0 = performance.now();
  const result =
    mode === "read"
      ? await provider.read(state.id, state.props)
      : { id: state.id, props: structuredClone(state.props), inputs: {} };
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const outputBytes = Buffer.byteLength(JSON.stringify(result.props));
  /** @type {RefreshMemoryRun} */
  const run = {
    mode,
    startRssKb,
    peakRssKb: process.resourceUsage().maxRSS,
    startHeap,
    peakHeap,
    outputBytes,
    ms,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

if (require.main === module) {
  child().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

module.exports = { runRefreshMemory };
