#!/usr/bin/env node
/**
 * Crash-safety trials, longer runs (issue 5, part 2): runs test/e2e/crash-safety.e2e.test.ts through
 * the e2e vitest config (the real `pulumi` CLI against the emulator, SIGKILL at seeded moments,
 * recovery, invariants) with more rounds, then prints the trials as a table and a summary.
 *
 *   npm run build && node test/reliability/crash-trials.js --seed 1 --rounds 10
 *   node test/reliability/crash-trials.js --seed 3 --rounds 4 --kinds create,grow,shrink,replace --kill cli
 *
 * Options: `--seed N` (default 1), `--rounds N` (default 6; a round = one trial per kind, then a
 * destroy; about 80 s per round of three kinds), `--kinds LIST` (default
 * `create,grow,warm-shrink,warm-grow,shrink`: the warm pool deallocates and starts nodes;
 * `replace` adds a machine type change, see the known defect in the test file), `--kill MODE`
 * (`mixed` default, `tree`: the CLI and every process of the command, `cli`: the `pulumi` process
 * only), `--scenarios` (also run the fixed scenarios), `--json` (the report as one JSON line, last),
 * `--verbose` (vitest's own output), `--check-args` (print the options as JSON and exit 0 without
 * running anything: how test/docs/documented-commands.test.ts checks documented commands). Needs `dist/` (npm run build) and the Pulumi CLI
 * (scripts/pulumi-cli.sh, which the e2e global setup calls). Linux only.
 *
 * Exit code: 0 when every trial converged, 1 when one did not (the table says which and why), 2 for
 * a bad argument or when vitest failed without a report.
 */
// @ts-check
"use strict";

const { spawn } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");
const util = require("node:util");

/** @typedef {import("../e2e/crash-safety.e2e.test").TrialRecord} TrialRecord */

const REPO = path.resolve(__dirname, "../..");

/**
 * Prints a bad argument and exits with 2.
 * @param {string} message
 * @returns {never}
 */
function usage(message) {
  process.stderr.write(`crash-trials: ${message}\n`);
  process.exit(2);
}

/**
 * @typedef {object} Options
 * @property {number} seed
 * @property {number} rounds
 * @property {string} kinds
 * @property {string} kill
 * @property {boolean} scenarios
 * @property {boolean} [json]
 * @property {boolean} [verbose]
 */

/** The change kinds test/e2e/crash-safety.e2e.test.ts runs (its CRASH_KINDS). */
const KINDS = ["create", "grow", "shrink", "replace", "warm-shrink", "warm-grow"];

const OPTIONS = /** @type {const} */ ({
  seed: { type: "string" },
  rounds: { type: "string" },
  kinds: { type: "string" },
  kill: { type: "string" },
  scenarios: { type: "boolean" },
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  "check-args": { type: "boolean" },
  help: { type: "boolean", short: "h" },
});

/**
 * The command line (see the comment at the top; `--help` prints it).
 * @param {string[]} argv
 * @returns {Options}
 */
function parseArgs(argv) {
  /** @type {ReturnType<typeof parse>} */
  let values;
  try {
    values = parse(argv);
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(readFileSync(path.join(__dirname, "crash-trials.js"), "utf8").split("*/")[0] ?? "");
    process.exit(0);
  }
  /**
   * @param {string} name
   * @param {string} v
   */
  const count = (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  };
  /** @type {Options} */
  const options = {
    seed: values.seed === undefined ? 1 : count("seed", values.seed),
    rounds: values.rounds === undefined ? 6 : count("rounds", values.rounds),
    kinds: values.kinds ?? "create,grow,warm-shrink,warm-grow,shrink",
    kill: values.kill ?? "mixed",
    scenarios: values.scenarios ?? false,
  };
  if (values.json) options.json = true;
  if (values.verbose) options.verbose = true;
  if (!["mixed", "tree", "cli"].includes(options.kill)) usage("--kill must be mixed, tree or cli");
  for (const kind of options.kinds.split(","))
    if (!KINDS.includes(kind)) usage(`--kinds: unknown kind ${kind} (${KINDS.join(", ")})`);
  if (values["check-args"]) {
    process.stdout.write(`${JSON.stringify(options)}\n`);
    process.exit(0);
  }
  return options;
}

/** @param {string[]} argv */
function parse(argv) {
  return util.parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
}

/**
 * The crash-safety test file through vitest, with the trials' settings.
 * @param {Options} options
 * @param {string} reportFile
 * @returns {Promise<{ code: number | null; stdout: string }>}
 */
function runVitest(options, reportFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(REPO, "node_modules", ".bin", "vitest"),
      ["run", "--config", "test/e2e/vitest.e2e.config.mts", "test/e2e/crash-safety.e2e.test.ts"],
      {
        cwd: REPO,
        stdio: ["ignore", options.verbose ? "inherit" : "pipe", "inherit"],
        env: {
          ...process.env,
          CRASH_SEED: String(options.seed),
          CRASH_ROUNDS: String(options.rounds),
          CRASH_KINDS: options.kinds,
          CRASH_KILL: options.kill,
          CRASH_SCENARIOS: options.scenarios ? "1" : "0",
          CRASH_REPORT: reportFile,
        },
      },
    );
    let stdout = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
  });
}

/** @param {readonly string[]} values */
function tally(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} × ${k}`)
    .join("; ");
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(tmpdir(), "pulumi-cyclecloud-crash-"));
  const reportFile = path.join(dir, "report.json");
  const began = Date.now();
  const { code, stdout } = await runVitest(options, reportFile);
  /** @type {{ seed: number; rounds: number; kinds: string[]; kill: string; trials: TrialRecord[] }} */
  let report;
  try {
    report = JSON.parse(readFileSync(reportFile, "utf8"));
  } catch {
    process.stderr.write(`${stdout}\ncrash-trials: vitest exited with ${code} and wrote no report\n`);
    process.exit(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const trials = report.trials;
  const failed = trials.filter((t) => t.violations.length > 0);
  const killed = trials.filter((t) => t.killAtMs !== null);
  const phase = (/** @type {TrialRecord} */ t) =>
    t.phase.replace(/ \(.*\)$/, "").replace(/ \d+ Ready.*$/, "");
  const summary = {
    seed: report.seed,
    rounds: report.rounds,
    kinds: report.kinds,
    kill: report.kill,
    trials: trials.length,
    killed: killed.length,
    converged: trials.length - failed.length,
    failed: failed.length,
    byPhase: tally(trials.map(phase)),
    byKind: tally(trials.map((t) => `${t.plan.kind} ${t.plan.mode}`)),
    lockLeft: trials.filter((t) => t.lockLeft).length,
    pendingAfterKill: tally(trials.map((t) => t.pendingAfterKill.join(",") || "none")),
    cancelNeeded: trials.filter((t) => t.recovery.some((s) => s.command === "pulumi cancel")).length,
    upWarnedPending: trials.filter((t) => t.upWarnedPending).length,
    lingeringAfterCliKill: `${trials.filter((t) => t.lingering.length > 0).length} of ${
      killed.filter((t) => t.plan.mode === "cli").length
    }`,
    maxLiveOverCount: trials.filter(
      (t) =>
        t.maxLive > (t.plan.kind === "replace" ? t.plan.from + t.plan.to : Math.max(t.plan.from, t.plan.to)),
    ).length,
    durationS: Math.round((Date.now() - began) / 1000),
  };
  const rows = trials.map((t) => {
    const p = t.plan;
    const recovery = t.recovery
      .map(
        (s) =>
          `${s.command.replace(/^pulumi /, "").replace(/ --import-pending-creates \S+/g, " --import…")}${s.code ? ` (exit ${s.code})` : ""}`,
      )
      .join("; ");
    return `| ${[
      p.index + 1,
      `${p.kind} ${p.from}→${p.to}`,
      `${p.mode}, ${p.trigger}+${p.delayMs} ms`,
      t.killAtMs === null ? "-" : `${t.killAtMs} ms`,
      t.phase,
      `${t.pendingAfterKill.join(",") || "none"}${t.lockLeft ? "; lock" : ""}`,
      `${p.recipe}: ${recovery}`,
      t.final ? `${t.final.ready}/${p.to}, max ${t.maxLive}` : "-",
      t.violations.length === 0 ? "ok" : `FAIL: ${t.violations.map((v) => v.split("\n")[0]).join("; ")}`,
    ].join(" | ")} |`;
  });
  process.stdout.write(
    [
      `crash-safety trials: seed ${summary.seed}, ${summary.rounds} round(s) of ${summary.kinds.join(", ")}, kill ${summary.kill}`,
      "",
      "| # | change | kill | at | phase at the kill | after the kill | recovery | result | outcome |",
      "|---|---|---|---|---|---|---|---|---|",
      ...rows,
      "",
      `trials ${summary.trials} (killed ${summary.killed}), converged ${summary.converged}, failed ${summary.failed}`,
      `phases: ${summary.byPhase}`,
      `kinds: ${summary.byKind}`,
      `after the kill: pending ${summary.pendingAfterKill}; lock left ${summary.lockLeft}; pulumi cancel needed ${summary.cancelNeeded}`,
      `recovery up warned about pending operations: ${summary.upWarnedPending}; plugins still running after a cli-only kill: ${summary.lingeringAfterCliKill}`,
      `more live nodes than the larger count at any moment: ${summary.maxLiveOverCount}`,
      `duration ${summary.durationS} s; vitest exit code ${code}`,
      "",
    ].join("\n"),
  );
  for (const t of failed) {
    process.stdout.write(`\n--- trial ${t.plan.index + 1} failed:\n${t.violations.join("\n")}\n`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ summary, trials })}\n`);
  process.exit(failed.length > 0 || code !== 0 ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`crash-trials: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});
