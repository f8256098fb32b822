/**
 * `pulumi-cyclecloud plan` follows each set's preflight mode: the report of a set whose `preflight`
 * is "warn" and whose increase does not fit says so (`preflight: "warn"`, its line the warning the
 * preview shows, without advising "warn"); such a row is a warning, not a refusal: it does not make
 * the plan refused (exit code 1) and is rendered as `preflight warns: ...`. Enforce is unchanged.
 */
import { describe, expect, it } from "vitest";
import { PREFLIGHT_REPORT_PREFIX } from "../../provider/core/preflight-report";
import { planBuckets, refusesAny } from "../../provider/plan/bucket-plan";
import { parseReport } from "../../provider/plan/engine-steps";
import type { CapacityPlan, PlanBucket } from "../../provider/plan/plan-types";
import { renderMarkdown, renderTable } from "../../provider/plan/render-plan";
import { configureFor, declare, output, provider, useProviderEmulator } from "../provider/harness";

const env = useProviderEmulator();
const WARN_ADVICE = 'set `preflight: "warn"`';

/** The reports this provider printed (no engine in this process), parsed as the plan reads them. */
function reports() {
  return output.info
    .filter((line) => line.startsWith(PREFLIGHT_REPORT_PREFIX))
    .map((line) => parseReport(line));
}

/** A set of 12 Standard_Hc44rs in the seed cluster, where 11 fit, with its `preflight` mode. */
async function reportOf(preflight: "warn" | "enforce", name: string) {
  await configureFor(env.emu, { env: { CYCLECLOUD_PREFLIGHT_OVERRIDE: "report" } });
  const result = await provider.check(
    {},
    declare({ identity: `proj/test/${name}`, count: 12, machineType: "Standard_Hc44rs", preflight }),
  );
  expect(result.failures).toEqual([]);
  const [report, ...others] = reports();
  expect(others).toEqual([]);
  return report;
}

function planOf(rows: PlanBucket[]): CapacityPlan {
  return {
    stack: "prod",
    fits: rows.every((row) => row.fits),
    refused: refusesAny(rows),
    changes: [],
    buckets: rows,
    warnings: [],
  };
}

describe("the capacity plan of a set whose `preflight` is warn", () => {
  it("its report does not fit, is marked warn, and its line is the warning, without advising warn", async () => {
    const report = await reportOf("warn", "warned");

    expect(report).toMatchObject({
      set: "warned",
      requested: 12,
      availableNow: 11,
      fits: false,
      preflight: "warn",
    });
    expect(report?.line).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+12 requested, 11 available .*lower `count` to at most 11/,
    );
    expect(report?.line).not.toContain(WARN_ADVICE);
  });

  it("an enforce set's report is unchanged: not marked, its line advises warn", async () => {
    const report = await reportOf("enforce", "enforced");

    expect(report).toMatchObject({ set: "enforced", fits: false });
    expect(report).not.toHaveProperty("preflight");
    expect(report?.line).toContain(WARN_ADVICE);
  });

  it("its row is a warning: the plan is not refused, and says `preflight warns`", async () => {
    const warned = await reportOf("warn", "warned");
    if (warned === undefined) throw new Error("no report");
    const plan = planOf(planBuckets([], [warned]));

    expect(plan).toMatchObject({ fits: false, refused: false });
    const table = renderTable(plan);
    expect(table).toContain(`warned: preflight warns: ${warned.line}`);
    expect(table).toContain(
      'its set\'s `preflight` is "warn", so preflight warns and the update tries anyway',
    );
    expect(table).not.toContain("preflight refuses it");
    expect(table).toMatch(/\s-1\s+\S.*\sno \(warns\)$/m);
    expect(renderMarkdown(plan)).toContain(
      "### Capacity plan of stack `prod`: does not fit (preflight warns)",
    );
  });

  it("with an enforce set that does not fit too, the plan is refused", async () => {
    const warned = await reportOf("warn", "warned");
    const enforced = await reportOf("enforce", "enforced");
    if (warned === undefined || enforced === undefined) throw new Error("no report");
    const plan = planOf(planBuckets([], [warned, enforced]));

    expect(plan.refused).toBe(true);
    const table = renderTable(plan);
    expect(table).toContain("Some increase does not fit: preflight refuses it (see the binding limit).");
    expect(table).toContain(`enforced: ${enforced.line}`);
    expect(table).toContain(`warned: preflight warns: ${warned.line}`);
    expect(renderMarkdown(plan)).toContain("**does not fit**");
  });
});
