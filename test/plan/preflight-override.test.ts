/**
 * `CYCLECLOUD_PREFLIGHT_OVERRIDE` (issue 13 follow-up, issue 22): `report` is the mode of
 * `pulumi-cyclecloud plan`'s preview: each set's preflight judges its increase as in any preview,
 * sends the decision as data (an info diagnostic; without an engine, a line) and refuses nothing,
 * so the engine emits every step; `warn` and `off` set every set's mode; the inputs keep their own.
 */
import { describe, expect, it } from "vitest";
import { parseReport } from "../../provider/plan/engine-steps";
import { PREFLIGHT_REPORT_PREFIX } from "../../provider/core/preflight-report";
import { configureFor, declare, output, provider, useProviderEmulator } from "../provider/harness";

const env = useProviderEmulator();
// 11 Hc44rs fit the seed cluster (bucket availableCount): 12 do not.
const tooMany = (identity?: string) =>
  declare({ count: 12, machineType: "Standard_Hc44rs", ...(identity === undefined ? {} : { identity }) });

/** The reports printed (no engine in this process): each parsed, and the lines that are not reports. */
function reports() {
  const lines = output.info.filter((line) => line.startsWith(PREFLIGHT_REPORT_PREFIX));
  return lines.map((line) => parseReport(line));
}

describe("CYCLECLOUD_PREFLIGHT_OVERRIDE", () => {
  it("without it, preflight refuses the increase", async () => {
    const result = await provider.check({}, tooMany());
    expect(result.failures?.map((f) => f.property)).toEqual(["count"]);
  });

  it("report: the check passes, the inputs keep `preflight: enforce`, and the report is the refusal enforce gives", async () => {
    const identity = "proj/test/refused";
    const refused = await provider.check({}, tooMany(identity));
    const reason = refused.failures?.[0]?.reason ?? "";
    expect(reason).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+12 requested, 11 available \(binding limit: /,
    );

    await configureFor(env.emu, { env: { CYCLECLOUD_PREFLIGHT_OVERRIDE: "report" } });
    const result = await provider.check({}, tooMany(identity));
    expect(result.failures).toEqual([]);
    expect(result.inputs?.["preflight"]).toBe("enforce");
    const binding = /\(binding limit: ([^,)]+)/.exec(reason)?.[1];
    expect(reports()).toEqual([
      {
        set: "refused",
        phase: "check",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: "Standard_Hc44rs",
        availableNow: 11,
        requested: 12,
        availableAfter: -1,
        bindingLimit: binding,
        fits: false,
        line: reason,
      },
    ]);
    // No warning either: the plan shows the decision, the preview goes on.
    expect(output.info.filter((line) => line.includes("warning"))).toEqual([]);
  });

  it("report: a fit is reported with the line the preview prints, and charged for the next set of the run", async () => {
    await configureFor(env.emu, { env: { CYCLECLOUD_PREFLIGHT_OVERRIDE: "report" } });
    const first = await provider.check(
      {},
      declare({ identity: "proj/test/first", count: 4, machineType: "Standard_Hc44rs" }),
    );
    const second = await provider.check(
      {},
      declare({ identity: "proj/test/second", count: 8, machineType: "Standard_Hc44rs" }),
    );
    expect([first.failures, second.failures]).toEqual([[], []]);
    const [fit, short] = reports();
    expect(fit).toMatchObject({
      set: "first",
      availableNow: 11,
      requested: 4,
      availableAfter: 7,
      fits: true,
    });
    expect(output.info).toContain(`cyclecloud first: ${fit?.line ?? "?"}`);
    // The second set is judged after the first one's 4: 7 left, 8 asked.
    expect(short).toMatchObject({
      set: "second",
      availableNow: 7,
      requested: 8,
      availableAfter: -1,
      fits: false,
    });
    expect(short?.line).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+8 requested, 7 available .*\(after 4 node\(s\) for other sets of this plan: 4 for first\): lower `count` to at most 7, /,
    );
  });

  it("report: a set with `preflight: off` reports nothing, as its preview judges nothing", async () => {
    await configureFor(env.emu, { env: { CYCLECLOUD_PREFLIGHT_OVERRIDE: "report" } });
    const result = await provider.check({}, { ...tooMany("proj/test/off"), preflight: "off" });
    expect(result.failures).toEqual([]);
    expect(reports()).toEqual([]);
  });

  it("off: the check passes, logs nothing of preflight, and the inputs keep `preflight: enforce`", async () => {
    await configureFor(env.emu, { env: { CYCLECLOUD_PREFLIGHT_OVERRIDE: "off" } });
    const result = await provider.check({}, tooMany());
    expect(result.failures).toEqual([]);
    expect(result.inputs?.["preflight"]).toBe("enforce");
    expect(output.info.filter((line) => line.includes("preflight"))).toEqual([]);
  });

  it("warn: the check passes with the refusal as a warning", async () => {
    await configureFor(env.emu, { env: { CYCLECLOUD_PREFLIGHT_OVERRIDE: "warn" } });
    const result = await provider.check({}, tooMany());
    expect(result.failures).toEqual([]);
    expect(output.info.join("\n")).toMatch(
      /warning: preflight hpc\/ondemand Standard_Hc44rs: \+12 requested, 11 available/,
    );
  });

  it("any other value is ignored: preflight still refuses", async () => {
    await configureFor(env.emu, { env: { CYCLECLOUD_PREFLIGHT_OVERRIDE: "enforce-not" } });
    const result = await provider.check({}, tooMany());
    expect(result.failures?.map((f) => f.property)).toEqual(["count"]);
  });
});
