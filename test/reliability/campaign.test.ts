/**
 * The short seeded fault-injection campaign, as `npm test` runs it: campaign.js in a plain `node`
 * process on the built `dist/` (the way the engine's provider process runs the provider), with its
 * JSON report read back. The long run is `npm run test:reliability -- --seed 1 --steps 500`.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");
/**
 * Seed 5 reaches every fault family within 30 steps (a lost answer followed by an outage too),
 * replaces the set with an explicit `requestId` and renames sets with an alias; about 10 s once the
 * campaign finds nothing. (New sets under a renamed set's old name, and sets of one name under two
 * parents, come in the CI run: seed 1, 80 steps.)
 */
const SEED = 5;
const STEPS = 30;

interface CampaignReport {
  seed: number;
  steps: number;
  outcome: { ok: number; failed: number; refusedByCheck: number };
  operations: Record<string, number>;
  faults: Record<string, number>;
  faultsHit: Record<string, number>;
  retries: { client: number; createResends: number; adoptedAfterLostAnswer: number; adoptedAfter409: number };
  violations: Record<string, number>;
  violationDetails: { step: number; kind: string; detail: string }[];
  violationCount: number;
  outputLines: number;
  emulatorLogLines: number;
}

let report: CampaignReport;
let exitCode: number | null;

function runCampaign(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [join(__dirname, "campaign.js"), ...args],
      { cwd: repo, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, RELIABILITY_DIST: "" } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  if (!existsSync(join(repo, "dist/provider/engine/node-set-provider.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
  }
  const result = await runCampaign(["--seed", String(SEED), "--steps", String(STEPS), "--json"]);
  const last = result.stdout.trim().split("\n").at(-1) ?? "";
  if (!last.startsWith("{"))
    throw new Error(`the campaign printed no report (exit ${String(result.code)}): ${result.stderr}`);
  report = JSON.parse(last) as CampaignReport;
  exitCode = result.code;
}, 90_000);

describe(`the short campaign (seed ${SEED}, ${STEPS} steps)`, () => {
  it("injects faults of every family and makes steps fail, so the invariants are tested for real", () => {
    expect(report.steps).toBe(STEPS);
    const faults = JSON.stringify(report.faults);
    expect(Object.keys(report.faults).length, faults).toBeGreaterThanOrEqual(12);
    const families: Record<string, string[]> = {
      "5xx": ["http500", "http502", "http503", "http503-retry-after-seconds", "http503-retry-after-date"],
      "Retry-After": ["http503-retry-after-seconds", "http503-retry-after-date", "http429-retry-after"],
      "429": ["http429", "http429-retry-after"],
      "slow answers": ["slow"],
      "connection resets": ["reset-before", "reset-after"],
      "partial adds": ["partial-add"],
      "nodes failing to start": ["fail-next-nodes", "stuck-next-node"],
      "out-of-band changes": ["remove-nodes", "fail-nodes"],
      "a lost answer followed by an outage": ["lost-answer-then-outage"],
    };
    for (const [family, kinds] of Object.entries(families)) {
      expect(
        kinds.reduce((sum, kind) => sum + (report.faults[kind] ?? 0), 0),
        `${family}: ${faults}`,
      ).toBeGreaterThan(0);
    }
    expect(report.operations["rename"] ?? 0, JSON.stringify(report.operations)).toBeGreaterThan(0);
    expect(report.outcome.failed).toBeGreaterThan(0);
    expect(report.outcome.ok).toBeGreaterThan(0);
    expect(report.retries.client).toBeGreaterThan(0);
    expect(report.outputLines).toBeGreaterThan(0);
    expect(report.emulatorLogLines).toBeGreaterThan(0);
  });

  it("ends with no invariant violated: no orphan, ghost, duplicate, overshoot or shortfall, and the sets converge", () => {
    expect(report.violationDetails).toEqual([]);
    expect(report.violationCount).toBe(0);
    expect(exitCode).toBe(0);
  });

  it("never shows the password: not in messages, provider output, recorded state or the emulator's log", () => {
    expect(report.violations["secret"] ?? 0).toBe(0);
  });

  it("gives every failed step a message that names the operation and the cause", () => {
    expect(report.violations["message"] ?? 0).toBe(0);
  });
});
