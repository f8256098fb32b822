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
const { dist, BENCH_CONFIG, emulatorHandle, counterDiff, median, now, fmt, table } = require("./lib/common");

/** @typedef {import("./lib/common").EmulatorHandle} EmulatorHandle */
/** @typedef {import("./lib/common").RequestCounters} RequestCounters */
/** @typedef {import("./lib/engine").BenchWorkspace} BenchWorkspace */
/** @typedef {import("../emulator").RunningEmulator} RunningEmulator */
/** @typedef {import("../emulator").EmulatorTiming} EmulatorTiming */

/**
 * @typedef {object} Options
 * @property {boolean} quick
 * @property {Set<number> | null} only Sections to run (null: all).
 * @property {number | null} reps Engine/preview repetitions (null: the mode's default).
 * @property {string | null} json
 * @property {number[] | null} sets Stack sizes of section 3 (null: 20, with the module-loading stack).
 */

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
  help: { type: "boolean", short: "h" },
});

/**
 * Figures of the run, by section (`--json` writes them).
 * @typedef {object} Results
 * @property {string} mode
 * @property {string} startedAt
 * @property {import("./lib/lifecycle").LifecycleRow[]} [apiCalls]
 * @property {Awaited<ReturnType<typeof import("./lib/generations").runGenerations>>} [generations]
 * @property {{ factor: number; rows: Awaited<ReturnType<typeof import("./lib/readiness").runReadiness>>["rows"] }} [readiness]
 * @property {{ reps: number; sets: number; summary: EngineSummary[] }[]} [engine]
 * @property {{ provider: string; bytes: number }[]} [providerText]
 * @property {{ reps: number; summary: PreviewSummary[] }} [preview]
 * @property {MemoryRow[]} [memory]
 * @property {{ sets: number; nodesPerSet: number; listingsPerRound: number }[]} [pollRounds]
 * @property {import("./lib/poll-rounds").PollRoundsRow[]} [pollRoundRuns]
 * @property {import("./lib/refresh-memory").RefreshMemoryRow} [refreshMemory]
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

// ------------------------------------------------------------------------------------------------
// 1. API calls per operation

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
 * @param {Options} options
 * @param {Results} results
 */
async function sectionApiCalls(options, results) {
  const { runLifecycle } = require("./lib/lifecycle");
  const sizes = [1, 10, 100, 1000];
  const { timing: API_TIMING, pollMinMs: API_POLL_MIN_MS } = apiTiming(options);
  /** @type {import("./lib/lifecycle").LifecycleRow[]} */
  const rows = [];
  await withEnv({ CYCLECLOUD_POLL_MIN_MS: API_POLL_MIN_MS, CYCLECLOUD_POLL_MAX_MS: undefined }, () =>
    withEmulator(API_TIMING, async (emu) => {
      for (const n of sizes) rows.push(...(await runLifecycle({ emu, n, pollMinMs: API_POLL_MIN_MS })));
    }),
  );
  results.apiCalls = rows;
  console.log(
    `\n## 1. API calls per operation\n\nEmulator: provisioning ${API_TIMING.acquiringMs}+${API_TIMING.preparingMs} ms, ` +
      `terminating ${API_TIMING.terminatingMs} ms; CYCLECLOUD_POLL_MIN_MS=${API_POLL_MIN_MS} (max default). ` +
      "Each operation runs in a fresh provider state (as a new `pulumi` command would).\n" +
      "calls = requests the emulator received; polls = node-listing rounds after a poll sleep; " +
      "calls/poll = listings per such round.\n",
  );
  console.log(
    table(
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
    ),
  );
}

// 1b. Re-creating a destroyed set

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionGenerations(options, results) {
  const { runGenerations } = require("./lib/generations");
  const generations = options.quick ? [0, 1, 5, 10] : [0, 1, 5, 10, 20, 50];
  const rows = await withEmulator({ acquiringMs: 0, preparingMs: 0, terminatingMs: 0 }, (emu) =>
    runGenerations({ emu, generations }),
  );
  results.generations = rows;
  console.log(
    "\n### 1b. create of a set whose earlier generations were destroyed\n\n" +
      "The same set (same stack, name and spec: the same base request id) brought up and destroyed g times " +
      "before, e.g. an ephemeral CI stack; 1 node, instant provisioning. Every earlier id is used on the server.\n",
  );
  console.log(
    table(
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
    ),
  );
}

// ------------------------------------------------------------------------------------------------
// 2. Readiness lag

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionReadiness(options, results) {
  const { runReadiness } = require("./lib/readiness");
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
  console.log(
    `\n## 2. Readiness lag\n\nSets of 10 nodes created concurrently, ${samples} per delay D (D + k/${samples} of the ` +
      `poll interval, to sample the poll phase); ${
        factor === 1
          ? "real time, default poll env"
          : `time scaled by ${factor} (delays and poll bounds), figures scaled back`
      }. lag = create returning - last node Ready (operation start + D). ` +
      "interval = pollDelay in force at that moment (~elapsed/10, min 1 s, max 10 s); target: lag <= interval, " +
      "interval <= max(1 s, 10% of D) up to the 10 s cap.\n",
  );
  console.log(
    table(
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
    ),
  );
}

// ------------------------------------------------------------------------------------------------
// 3 and 4. Through the real engine

const ENGINE_KINDS = [
  { kind: "trivial", label: "trivial dynamic resources (floor)" },
  { kind: "loading", label: "trivial + pulumi-cyclecloud loaded (program and provider)" },
  { kind: "pairs", label: "pairs of trivial resources (floor of a set and its identity)" },
  { kind: "nodeset", label: "CycleCloudNodeSets (count 2, preflight enforce)" },
];

/**
 * @typedef {object} EngineRun
 * @property {number} up
 * @property {number} destroy
 * @property {number} cpu
 * @property {number} emulatorCpu
 * @property {RequestCounters} upCalls
 * @property {RequestCounters} destroyCalls
 * @property {number} stateBytes Bytes of the stack's deployment (`pulumi stack export`) after `up`.
 */
/**
 * @typedef {object} EngineSummary
 * @property {string} kind
 * @property {string} label
 * @property {number} up
 * @property {number} destroy
 * @property {number} total
 * @property {number} cpu
 * @property {number} emulatorCpu
 * @property {RequestCounters | undefined} upCalls
 * @property {RequestCounters | undefined} destroyCalls
 * @property {number} stateBytesPerSet Deployment bytes after `up` divided by the number of sets.
 * @property {EngineRun[]} runs
 */

/**
 * @param {Options & { reps: number }} options
 * @param {Results} results
 * @param {BenchWorkspace} workspace
 * @param {EmulatorHandle} emu
 */
async function sectionEngine(options, results, workspace, emu) {
  const { providerTextSizes } = require("./lib/provider-text");
  results.providerText = await providerTextSizes();
  console.log(
    "\n## 3. Engine overhead\n\nProvider text Pulumi stores in each dynamic resource's inputs and outputs " +
      "(a node set is two resources, the set and its identity):\n",
  );
  console.log(
    table(
      ["provider", "bytes"],
      results.providerText.map((r) => [r.provider, r.bytes]),
      ["l"],
    ),
  );
  for (const sets of options.sets ?? [20]) {
    // The loading stack only at the default size: it separates module loading, not state size.
    const kinds = ENGINE_KINDS.filter(
      (k) => k.kind !== "loading" || (!options.quick && options.sets === null),
    );
    await engineAtSize(options, results, workspace, emu, sets, kinds);
  }
}

/**
 * Section 3 for one stack size.
 * @param {Options & { reps: number }} options
 * @param {Results} results
 * @param {BenchWorkspace} workspace
 * @param {EmulatorHandle} emu
 * @param {number} sets
 * @param {typeof ENGINE_KINDS} kinds
 */
async function engineAtSize(options, results, workspace, emu, sets, kinds) {
  const reps = options.reps;
  for (const { kind } of kinds) await workspace.stack(`e-${kind}-${sets}`, { kind, sets, count: 2 });
  /** @type {Map<string, EngineRun[]>} */
  const runs = new Map(kinds.map(({ kind }) => [kind, []]));
  // One unmeasured round first (cold caches), then alternate, reversing the order every round.
  for (let rep = -1; rep < reps; rep++) {
    const order = rep % 2 === 0 ? kinds : [...kinds].reverse();
    for (const { kind } of order) {
      // A fresh emulator state: no request id of an earlier round is used (see 1b).
      await emu.reset();
      const stack = `e-${kind}-${sets}`;
      const up = await workspace.up(stack);
      const afterUp = await emu.counters();
      const stateBytes = rep === 0 ? await workspace.deploymentBytes(stack) : NaN;
      const destroy = await workspace.destroy(stack);
      const afterDestroy = await emu.counters();
      if (rep >= 0) {
        runs.get(kind)?.push({
          up: up.ms,
          destroy: destroy.ms,
          cpu: up.cpu.children + destroy.cpu.children,
          emulatorCpu: up.cpu.emulator + destroy.cpu.emulator,
          upCalls: afterUp,
          destroyCalls: counterDiff(afterUp, afterDestroy),
          stateBytes,
        });
      }
    }
  }
  const summary = kinds.map(({ kind, label }) => {
    const list = runs.get(kind) ?? [];
    return {
      kind,
      label: `${sets} ${label}`,
      up: median(list.map((r) => r.up)),
      destroy: median(list.map((r) => r.destroy)),
      total: median(list.map((r) => r.up + r.destroy)),
      cpu: median(list.map((r) => r.cpu)),
      emulatorCpu: median(list.map((r) => r.emulatorCpu)),
      upCalls: list[0]?.upCalls,
      destroyCalls: list[0]?.destroyCalls,
      stateBytesPerSet: (list[0]?.stateBytes ?? NaN) / sets,
      runs: list,
    };
  });
  const floor = summary.find((s) => s.kind === "trivial");
  if (!floor) throw new Error("no floor (trivial) runs");
  // The floor of a set's shape (two resources, the set and its identity): see bench/README.md.
  const pairs = summary.find((s) => s.kind === "pairs");
  (results.engine ??= []).push({ reps, sets, summary });
  console.log(
    `\n### 3. ${sets} sets\n\n\`pulumi up --skip-preview\` then \`pulumi destroy --skip-preview\` ` +
      `of one stack, zero provisioning delay, ${reps} alternating rounds (after one unmeasured round), medians. ` +
      "Plain JavaScript programs (no ts-node). Targets: nodeset/floor <= 1.15 at 20 sets, <= 1.5 at 200; " +
      "the pairs stack (two trivial resources per set, the second waiting for the first) is the floor of a set and its identity. " +
      "State: bytes of `pulumi stack export` after `up`, per set (a node set is two resources: the set and its identity).\n",
  );
  console.log(
    table(
      [
        "stack",
        "up (s)",
        "destroy (s)",
        "up+destroy (s)",
        "ratio vs floor",
        "ratio vs pairs",
        "state per set (bytes)",
        "CPU pulumi+node (s)",
        "CPU emulator (s)",
        "API calls up",
        "API calls destroy",
      ],
      summary.map((s) => [
        s.label,
        fmt.s(s.up),
        fmt.s(s.destroy),
        fmt.s(s.total),
        fmt.ratio(s.total / floor.total),
        pairs ? fmt.ratio(s.total / pairs.total) : "-",
        Number.isFinite(s.stateBytesPerSet) ? Math.round(s.stateBytesPerSet).toLocaleString("en-US") : "-",
        s.cpu.toFixed(2),
        s.emulatorCpu.toFixed(2),
        s.upCalls?.total ? `${s.upCalls.total} (${describeCalls(s.upCalls)})` : "0",
        s.destroyCalls?.total ? `${s.destroyCalls.total} (${describeCalls(s.destroyCalls)})` : "0",
      ]),
      ["l"],
    ),
  );
}

/** @param {RequestCounters} c */
function describeCalls(c) {
  return /** @type {const} */ (["status", "nodes", "create", "terminate"])
    .filter((k) => c[k] > 0)
    .map((k) => `${c[k]} ${k === "nodes" ? "list" : k}`)
    .join(", ");
}

/**
 * @typedef {object} PreviewSummary
 * @property {string} mode
 * @property {number} ms
 * @property {number[]} statusCalls
 * @property {number[]} totalCalls
 */

/**
 * @param {Options & { reps: number }} options
 * @param {Results} results
 * @param {BenchWorkspace} workspace
 * @param {EmulatorHandle} emu
 */
async function sectionPreview(options, results, workspace, emu) {
  const reps = options.reps;
  const modes = /** @type {const} */ (["enforce", "off"]);
  for (const mode of modes) {
    await workspace.stack(`p-${mode}`, { kind: "nodeset", sets: 50, count: 2, preflight: mode });
  }
  /** @type {Record<(typeof modes)[number], { ms: number; calls: RequestCounters }[]>} */
  const runs = { enforce: [], off: [] };
  for (let rep = -1; rep < reps; rep++) {
    const order = rep % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      const before = await emu.counters();
      const preview = await workspace.preview(`p-${mode}`);
      const calls = counterDiff(before, await emu.counters());
      if (rep >= 0) runs[mode].push({ ms: preview.ms, calls });
    }
  }
  const summary = modes.map((mode) => ({
    mode,
    ms: median(runs[mode].map((r) => r.ms)),
    statusCalls: runs[mode].map((r) => r.calls.status),
    totalCalls: runs[mode].map((r) => r.calls.total),
  }));
  results.preview = { reps, summary };
  const off = summary.find((s) => s.mode === "off");
  if (!off) throw new Error("no preview runs with preflight off");
  console.log(
    `\n## 4. Preview with preflight of 50 node sets\n\n\`pulumi preview\` of a new stack of 50 sets (count 2, one cluster), ` +
      `${reps} alternating rounds, medians. Target: one status call per cluster per preview.\n`,
  );
  console.log(
    table(
      ["preflight", "preview (s)", "ratio vs off", "status calls per preview", "API calls per preview"],
      summary.map((s) => [
        s.mode,
        fmt.s(s.ms),
        fmt.ratio(s.ms / off.ms),
        [...new Set(s.statusCalls)].join(" / "),
        [...new Set(s.totalCalls)].join(" / "),
      ]),
      ["l"],
    ),
  );
}

/**
 * @param {Options & { reps: number }} options
 * @param {Results} results
 * @param {(section: number) => boolean} want
 */
async function sectionsThroughEngine(options, results, want) {
  const { createWorkspace } = require("./lib/engine");
  await withEmulator({ acquiringMs: 0, preparingMs: 0, terminatingMs: 0 }, async (emu) => {
    const workspace = await createWorkspace();
    try {
      await workspace.setup(emu);
      if (want(3)) await sectionEngine(options, results, workspace, emu);
      if (want(4)) await sectionPreview(options, results, workspace, emu);
    } finally {
      await workspace.remove();
    }
  });
}

// ------------------------------------------------------------------------------------------------
// 5. Memory

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
          [
            path.join(__dirname, "lib", "memory-worker.js"),
            JSON.stringify({ info, n, pollMinMs: API_POLL_MIN_MS }),
          ],
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        );
      });
      rows.push(JSON.parse(out.trim().split("\n").pop() ?? ""));
    }
  });
  results.memory = rows;
  console.log(
    "\n## 5. Memory\n\nPeak RSS (`process.resourceUsage().maxRSS`) of a child node process running the provider " +
      "through the whole lifecycle of section 1 (preview, create+wait, refresh, grow, shrink, destroy) for one set; " +
      "baseline = after loading the provider, before any operation.\n",
  );
  console.log(
    table(
      ["N", "baseline RSS (MB)", "peak RSS (MB)", "peak - baseline (MB)", "heap used at end (MB)"],
      rows.map((r) => [
        r.n,
        fmt.mb(r.baselineKb),
        fmt.mb(r.maxRssKb),
        fmt.mb(r.maxRssKb - r.baselineKb),
        (r.heapUsed / 2 ** 20).toFixed(0),
      ]),
    ),
  );
}

// ------------------------------------------------------------------------------------------------
// 6. Shared poll rounds

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionPollRounds(options, results) {
  const { runPollRounds } = require("./lib/poll-rounds");
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
  /** @type {import("./lib/poll-rounds").PollRoundsRow[]} */
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
  console.log(
    `\n## 6. Shared poll rounds\n\nS sets of N nodes created concurrently by one provider object (one provider ` +
      `process, as the engine runs a stack's creates), then destroyed concurrently. Emulator: provisioning ` +
      `${timing.acquiringMs}+${timing.preparingMs} ms, terminating ${timing.terminatingMs} ms; ` +
      `CYCLECLOUD_POLL_MIN_MS=${pollMinMs}. Poll listings = node listings of the waits (all but each request's ` +
      "first listing after its create), grouped into rounds by start time; calls from the emulator's counters.\n",
  );
  console.log(
    table(
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
    ),
  );
}

// ------------------------------------------------------------------------------------------------
// 7. Refresh memory

/**
 * @param {Options} options
 * @param {Results} results
 */
async function sectionRefreshMemory(options, results) {
  const { runRefreshMemory } = require("./lib/refresh-memory");
  const n = options.quick ? 500 : 5000;
  const reps = options.quick ? 1 : 3;
  const row = await runRefreshMemory({ n, reps });
  results.refreshMemory = row;
  const mb = (/** @type {number} */ kb) => (kb / 1024).toFixed(1);
  const heapMb = (/** @type {number} */ bytes) => (bytes / 2 ** 20).toFixed(1);
  console.log(
    `\n## 7. Refresh memory\n\nOne set of ${n} nodes (state ${(row.stateBytes / 2 ** 20).toFixed(2)} MB as JSON). ` +
      "Each run is a child `node --expose-gc` process that loads the provider, configures it and reads the state; " +
      "start = RSS after a full GC at that point; peak = `process.resourceUsage().maxRSS`; heap peak sampled every 2 ms. " +
      "read = the provider's `read` (refresh); baseline = returns a copy of the same state, no work.\n",
  );
  console.log(
    table(
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
    ),
  );
  const medianOf = (/** @type {number[]} */ values) => median(values);
  const growth = (/** @type {import("./lib/refresh-memory").RefreshMemoryRun[]} */ runs) =>
    medianOf(runs.map((r) => r.peakRssKb - r.startRssKb));
  console.log(
    `\nMedian peak RSS above start: read ${mb(growth(row.read))} MB, baseline ${mb(growth(row.baseline))} MB; ` +
      `read - baseline ${mb(growth(row.read) - growth(row.baseline))} MB (median peak RSS: read ` +
      `${mb(medianOf(row.read.map((r) => r.peakRssKb)))} MB, baseline ${mb(medianOf(row.baseline.map((r) => r.peakRssKb)))} MB).`,
  );
}

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
