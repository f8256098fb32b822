// @ts-check
"use strict";
/**
 * Sections 3 and 4 of bench/run.js, through the real Pulumi engine (the workspace and programs are
 * engine.js): engine overhead of node sets against trivial dynamic resources at each stack size,
 * and preview with preflight. Both share one emulator and one workspace.
 */
const { counterDiff, median, fmt } = require("./common");
const { withEmulator, printSection } = require("./run-support");

/** @typedef {import("./run-support").Options} Options */
/** @typedef {import("./run-support").Results} Results */
/** @typedef {import("./common").EmulatorHandle} EmulatorHandle */
/** @typedef {import("./common").RequestCounters} RequestCounters */
/** @typedef {import("./engine").BenchWorkspace} BenchWorkspace */

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
  const { providerTextSizes } = require("./provider-text");
  results.providerText = await providerTextSizes();
  printSection(
    "\n## 3. Engine overhead\n\nProvider text Pulumi stores in each dynamic resource's inputs and outputs " +
      "(a node set is two resources, the set and its identity):\n",
    ["provider", "bytes"],
    results.providerText.map((r) => [r.provider, r.bytes]),
    ["l"],
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
  printSection(
    `\n### 3. ${sets} sets\n\n\`pulumi up --skip-preview\` then \`pulumi destroy --skip-preview\` ` +
      `of one stack, zero provisioning delay, ${reps} alternating rounds (after one unmeasured round), medians. ` +
      "Plain JavaScript programs (no ts-node). Targets: nodeset/floor <= 1.15 at 20 sets, <= 1.5 at 200; " +
      "the pairs stack (two trivial resources per set, the second waiting for the first) is the floor of a set and its identity. " +
      "State: bytes of `pulumi stack export` after `up`, per set (a node set is two resources: the set and its identity).\n",
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
  printSection(
    `\n## 4. Preview with preflight of 50 node sets\n\n\`pulumi preview\` of a new stack of 50 sets (count 2, one cluster), ` +
      `${reps} alternating rounds, medians. Target: one status call per cluster per preview.\n`,
    ["preflight", "preview (s)", "ratio vs off", "status calls per preview", "API calls per preview"],
    summary.map((s) => [
      s.mode,
      fmt.s(s.ms),
      fmt.ratio(s.ms / off.ms),
      [...new Set(s.statusCalls)].join(" / "),
      [...new Set(s.totalCalls)].join(" / "),
    ]),
    ["l"],
  );
}

/**
 * @param {Options & { reps: number }} options
 * @param {Results} results
 * @param {(section: number) => boolean} want
 */
async function sectionsThroughEngine(options, results, want) {
  const { createWorkspace } = require("./engine");
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

module.exports = { sectionsThroughEngine };
