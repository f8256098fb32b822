/**
 * What a provider holds between the engine's calls lives in its own context: made by `configure`
 * (or on first use without one), replaced by the next `configure`, never shared between providers.
 */
import { describe, expect, it } from "vitest";
import { createNodeSetProvider } from "../../provider/engine/node-set-provider";
import {
  configureFor,
  createOutside,
  declare,
  output,
  provider,
  TEST_TUNING,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();

const quiet = { info: () => undefined, error: () => undefined };

describe("the provider context", () => {
  it("is made on first use when the engine calls check and create without configure", async () => {
    const { url, username, password } = env.emu;
    const unconfigured = createNodeSetProvider({
      logger: quiet,
      tuning: TEST_TUNING,
      env: { CYCLECLOUD_URL: url, CYCLECLOUD_USERNAME: username, CYCLECLOUD_PASSWORD: password },
    });
    const checked = await unconfigured.check({}, declare({ count: 1 }));
    expect(checked.failures).toEqual([]);
    const created = await unconfigured.create(checked.inputs);
    expect(created.outs.nodes.map((node: { name: string }) => node.name)).toEqual(["ondemand-1"]);
  });

  it("shares one cluster status read between the checks of one run, and a new configure starts afresh", async () => {
    await configureFor(env.emu);
    await provider.check({}, declare({ count: 1 }));
    await provider.check({}, declare({ count: 1 }));
    expect(env.emu.counters().status).toBe(1);
    await configureFor(env.emu);
    await provider.check({}, declare({ count: 1 }));
    expect(env.emu.counters().status).toBe(2);
  });

  it("is not shared between two providers", async () => {
    const config = { get: (key: string) => stack[key], require: (key: string) => stack[key] ?? "" };
    const stack: Record<string, string> = {
      "cyclecloud:url": env.emu.url,
      "cyclecloud:username": env.emu.username,
      "cyclecloud:password": env.emu.password,
    };
    const make = () => createNodeSetProvider({ logger: quiet, tuning: TEST_TUNING, env: {} });
    const first = make();
    const second = make();
    await first.configure({ config });
    await second.configure({ config });
    await first.check({}, declare({ count: 1 }));
    await second.check({}, declare({ count: 1 }));
    expect(env.emu.counters().status).toBe(2);
  });

  it("shares one cluster status read for the whole run, however long it takes (no timer)", async () => {
    let now = 1_000_000;
    await configureFor(env.emu, { now: () => now });
    await provider.check({}, declare({ count: 1 }));
    now += 3_600_000;
    await provider.check({}, declare({ count: 1 }));
    expect(env.emu.counters().status).toBe(1);
  });

  it("keeps the status after creates that added what preflight planned, and reads it again after a change the plan does not picture", async () => {
    await configureFor(env.emu);
    const first = await provider.check({}, declare({ count: 1 }));
    const second = await provider.check({}, declare({ count: 1 }));
    const created = await provider.create(first.inputs);
    await provider.create(second.inputs);
    // Planned against the status read once: the status and the plan still picture the cluster.
    const third = await provider.check({}, declare({ count: 1 }));
    expect(third.failures).toEqual([]);
    expect(env.emu.counters().status).toBe(1);
    // A shrink terminates a node: the cluster is no longer what the status and plan say.
    const shrink = await provider.check(created.outs, { ...created.outs, count: 0 });
    await provider.update(created.id, created.outs, shrink.inputs);
    await provider.check({}, declare({ count: 1 }));
    expect(env.emu.counters().status).toBe(2);
  });

  it("reads the status again after a create that added fewer nodes than planned", async () => {
    await configureFor(env.emu);
    const planned = await provider.check({}, declare({ count: 2 }));
    // Something outside Pulumi takes the bucket's capacity between the check and the create.
    await createOutside(env.emu, "outside-0", 2, "Standard_Fs32_v2");
    await expect(provider.create(planned.inputs)).rejects.toThrow();
    await provider.check({}, declare({ count: 1 }));
    expect(env.emu.counters().status).toBe(2);
  });

  it("sends its progress lines to its logger's info", async () => {
    await configureFor(env.emu);
    await provider.check({}, declare({ count: 1 }));
    expect(output.info).toEqual([expect.stringMatching(/^cyclecloud set\d+-\d+: preflight hpc\/ondemand /)]);
    expect(output.error).toEqual([]);
  });
});
