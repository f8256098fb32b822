// @ts-check
"use strict";
/**
 * One campaign run: the emulator with the campaign's cluster, the foreign nodes, then step after
 * step a change of the program, its faults, the deployment (or refresh) and the invariants, a heal
 * phase every HEAL_EVERY steps and at the end, and the final destroy.
 */

const path = require("node:path");
const { setTimeout: sleep } = require("node:timers/promises");
const { createContext } = require("./context");
const { createEngine } = require("./engine");
const { createFaults } = require("./faults");
const { createInvariants } = require("./invariants");
const { createModel } = require("./model");
const { createProgramChanges } = require("./program-changes");
const { prng } = require("./random");
const { newReport } = require("./report");
const { LEAVING, baseOf } = require("./node-status");
const settings = require("./settings");
const { DIST, PASSWORD, CAMPAIGN_CONFIG, TIMEOUT_SECONDS, RETRIES, FAULT_KINDS } = settings;
const { HEAL_EVERY, HEAL_ROUNDS } = settings;

/** @typedef {import("./types").Options} Options */
/** @typedef {import("./types").Report} Report */
/** @typedef {import("./types").StepResult} StepResult */

/**
 * @param {Options} options
 * @returns {Promise<Report>}
 */
async function runCampaign(options) {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const steps = options.steps ?? 200;
  const setCount = options.sets ?? 4;
  /** @type {(line: string) => void} */
  const trace = options.trace ? (line) => process.stderr.write(`${line}\n`) : () => undefined;

  // Fast polling and retries, given to each provider made (its environment is empty: no
  // CYCLECLOUD_* variable of the shell reaches it).
  const tuning = { pollMinMs: 10, pollMaxMs: 40, retries: RETRIES, retryBaseDelayMs: 5 };

  /** @type {typeof import("../../../emulator")} */
  const { startEmulator } = require(path.join(DIST, "emulator/index.js"));
  /** @type {typeof import("../../../provider/engine/node-set-provider")} */
  const { createNodeSetProvider } = require(path.join(DIST, "provider/engine/node-set-provider.js"));

  /** @type {string[]} */
  const emulatorLog = [];
  const emu = await startEmulator({
    port: 0,
    password: PASSWORD,
    config: CAMPAIGN_CONFIG,
    timing: { acquiringMs: 20, preparingMs: 20, terminatingMs: 20 },
    log: (line) => emulatorLog.push(line),
  });
  /** @type {Record<string, string>} */
  const stackConfig = {
    "cyclecloud:url": emu.url,
    "cyclecloud:username": emu.username,
    "cyclecloud:password": PASSWORD,
    "cyclecloud:timeoutSeconds": String(TIMEOUT_SECONDS),
  };

  // Everything the provider prints, as the engine would show it.
  /** @type {{ stream: string; line: string }[]} */
  const output = [];
  /** @type {(stream: string) => (line: string) => void} */
  const capture = (stream) => (line) => void output.push({ stream, line });
  const logger = { info: capture("log"), error: capture("error") };

  const rng = prng(seed);
  const faultKinds = FAULT_KINDS.filter(([kind]) => !(options.without ?? []).includes(kind));
  const report = newReport(seed, setCount);
  const ctx = createContext(report, trace, emu);
  const { violation, checkSecret } = ctx;
  const model = createModel(setCount, seed);
  const { program, everAsked, liveResource } = model;
  const engine = createEngine(
    ctx,
    model,
    setCount,
    () => createNodeSetProvider({ logger, tuning, env: {} }),
    stackConfig,
  );
  const { up, refresh } = engine;
  const faults = createFaults(ctx, model, rng, faultKinds);
  const { createForeignNodes, injectFault, liveNodes, onlyAbsorbableFaults, settleFaults } = faults;
  const invariants = createInvariants(ctx, model, setCount, engine, faults);
  const { verify, spreadHeldBefore, checkSpreadSets, checkNothingLost, checkRenamed } = invariants;
  const { chooseStep, applyToProgram } = createProgramChanges(model, setCount, rng);

  /**
   * What a user does after a bad night: with the faults gone, `pulumi refresh` then `pulumi up`,
   * repeated until the deployment succeeds (failures armed earlier may still hit the first rounds).
   * Afterwards every declared set must hold exactly `count` ready nodes, in the cluster and in state.
   */
  async function heal() {
    await settleFaults();
    report.heals += 1;
    const before = spreadHeldBefore();
    const liveBefore = new Set(liveNodes().map((n) => n.record.NodeId));
    /** @type {StepResult | undefined} */
    let result;
    for (let round = 1; round <= HEAL_ROUNDS; round++) {
      await refresh();
      result = await up();
      if (result.ok) break;
    }
    if (!result) throw new Error("HEAL_ROUNDS is 0");
    ctx.lastDeploymentOk = result.ok;
    if (!result.ok) {
      violation(
        "convergence",
        `${HEAL_ROUNDS} fault-free refresh + up rounds did not converge: ` +
          result.failures.map((f) => `slot ${f.slot} ${f.op}: ${f.message}`).join("; "),
      );
    }
    const live = emu.nodes().filter((n) => !LEAVING.has(n.record.Status));
    for (let slot = 0; slot < setCount; slot++) {
      const spec = program[slot];
      if (!spec) continue;
      const r = liveResource(slot);
      const ready = r
        ? live.filter((n) => baseOf(n.requestId) === r.id && n.record.Status === "Ready").length
        : 0;
      if (!r || ready !== spec.count || r.state.readyCount !== spec.count) {
        violation(
          "convergence",
          `${spec.name} of slot ${slot} declares ${spec.count} but after healing has ${ready} ready node(s) in the cluster` +
            (r ? ` and readyCount ${r.state.readyCount} in state` : " and is not in state"),
        );
      }
    }
    await verify(result);
    checkSpreadSets(result, before, liveBefore);
  }

  try {
    await createForeignNodes();
    for (ctx.currentStep = 1; ctx.currentStep <= steps; ctx.currentStep++) {
      const { slot, op } = chooseStep();
      const { change, rename } = applyToProgram(slot, op);
      for (let s = 0; s < setCount; s++) everAsked[s] = Math.max(everAsked[s] ?? 0, program[s]?.count ?? 0);
      report.operations[op] = (report.operations[op] ?? 0) + 1;
      const stepStarted = Date.now();
      trace(`step ${ctx.currentStep}: slot ${slot} ${op} ${change}`);

      faults.stepFaults = [];
      const faultCount = rng.next() < 0.75 ? (rng.next() < 0.25 ? 2 : 1) : 0;
      for (let i = 0; i < faultCount; i++) await injectFault(op);

      const liveBefore = new Set(liveNodes().map((n) => n.record.NodeId));
      const spreadBefore = spreadHeldBefore();
      const absorbable = onlyAbsorbableFaults();
      const result = op === "refresh" ? await refresh() : await up();
      if (absorbable && !result.ok) {
        violation(
          "absorbed",
          `transient faults within the retry budget (${faults.stepFaults.map((f) => `${f.kind} x${f.count} on ${f.route}`).join(", ") || "none"}) ` +
            `failed the step: ${result.failures.map((f) => `slot ${f.slot} ${f.op}: ${f.message}`).join("; ")}`,
        );
      }
      if (!result.refresh) ctx.lastDeploymentOk = result.ok;
      if (result.ok && !result.refresh) checkNothingLost(result, liveBefore);
      if (result.ok) report.outcome.ok += 1;
      else if (result.refused) report.outcome.refusedByCheck += 1;
      else report.outcome.failed += 1;
      for (const f of result.failures) trace(`  ${f.kind} ${f.op} slot ${f.slot}: ${f.message}`);
      trace(`  -> ${result.ok ? "ok" : "failed"} (${Date.now() - stepStarted} ms)`);
      trace(
        `  state: ${model.resources
          .map(
            (r) =>
              `${r.inputs.name}@${r.slot}=${r.id}${r.pendingDelete ? "(pending delete)" : ""}:${r.state.nodes.length}/${r.inputs.count}` +
              (r.state.placementGroupCounts ? JSON.stringify(r.state.placementGroupCounts) : ""),
          )
          .join(" ")}; cluster: ${emu.nodes().length} node(s)`,
      );

      await verify(result);
      checkSpreadSets(result, spreadBefore, liveBefore);
      if (rename && !result.refresh) checkRenamed(result, rename);
      if (ctx.currentStep % HEAL_EVERY === 0) {
        trace(`heal after step ${ctx.currentStep}`);
        await heal();
      }
      // The overshoot bound starts over once a set is gone from the program and from state.
      for (let s = 0; s < setCount; s++)
        if (!program[s] && !model.resources.some((r) => r.slot === s)) everAsked[s] = 0;
      report.steps = ctx.currentStep;
    }

    // Final: heal, then `pulumi destroy` with no faults must leave nothing behind.
    ctx.currentStep = steps + 1;
    trace("final heal");
    if (steps % HEAL_EVERY !== 0) await heal();
    await settleFaults();
    for (let slot = 0; slot < setCount; slot++) program[slot] = null;
    const destroyed = await up();
    if (!destroyed.ok)
      violation("cleanup", `final destroy failed: ${destroyed.failures.map((f) => f.message).join("; ")}`);
    await sleep(100);
    const left = emu.nodes().filter((n) => !faults.foreign.has(n.record.NodeId));
    if (left.length > 0 || model.resources.length > 0) {
      violation(
        "cleanup",
        `after the final destroy: ${left.length} node(s) left (${left.map((n) => `${n.record.Name} ${n.record.Status} ${n.requestId}`).join(", ")}), ${model.resources.length} set(s) in state`,
      );
    }
  } finally {
    const counters = emu.counters();
    report.requests = counters;
    await emu.close();
  }

  for (const { line } of output) {
    checkSecret("provider output", line);
    if (/retrying in \d+ ms/.test(line)) report.retries.client += 1;
    if (/sending it again/.test(line)) report.retries.createResends += 1;
    if (/was applied although its answer was lost/.test(line)) report.retries.adoptedAfterLostAnswer += 1;
    if (/already exists: adopting/.test(line)) report.retries.adoptedAfter409 += 1;
  }
  for (const line of emulatorLog) checkSecret("emulator log", line);
  report.outputLines = output.length;
  report.emulatorLogLines = emulatorLog.length;
  report.violationCount = Object.values(report.violations).reduce((a, b) => a + b, 0);
  report.durationSeconds = Math.round((Date.now() - started) / 100) / 10;
  return report;
}

module.exports = { runCampaign };
