/**
 * `CYCLECLOUD_PREFLIGHT_OVERRIDE` (issue 13 follow-up): the plan's preview turns the provider's
 * preflight off, so `check` refuses no set for capacity and the engine emits every step; the set's
 * inputs keep their own `preflight`.
 */
import { describe, expect, it } from "vitest";
import { configureFor, declare, output, provider, useProviderEmulator } from "../provider/harness";

const env = useProviderEmulator();
// 11 Hc44rs fit the seed cluster (bucket availableCount): 12 do not.
const tooMany = () => declare({ count: 12, machineType: "Standard_Hc44rs" });

describe("CYCLECLOUD_PREFLIGHT_OVERRIDE", () => {
  it("without it, preflight refuses the increase", async () => {
    const result = await provider.check({}, tooMany());
    expect(result.failures?.map((f) => f.property)).toEqual(["count"]);
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
