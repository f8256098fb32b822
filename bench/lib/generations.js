// @ts-check
"use strict";
/**
 * Section 1b: re-creating a set whose earlier generations were destroyed (the same stack brought up
 * and destroyed again, e.g. an ephemeral CI environment). The set's request ids are deterministic
 * (`<base>-<sequence>`), so every earlier generation's id is already used on the server: counts the
 * API calls of `create` after g earlier up/destroy cycles of the same set.
 */
const { CLUSTER, NODEARRAY, MACHINE_TYPE, counterDiff, quietProvider } = require("./common");

/**
 * @param {{ emu: import("./common").EmulatorHandle; generations: readonly number[] }} options
 */
async function runGenerations({ emu, generations }) {
  const { provider, fresh } = quietProvider();
  /** @type {Record<string, string>} */
  const stack = {
    "cyclecloud:url": emu.info.url,
    "cyclecloud:username": emu.info.username,
    "cyclecloud:password": emu.info.password,
  };
  /** @type {import("@pulumi/pulumi").dynamic.Config} */
  const config = { get: (key) => stack[key], require: (key) => stack[key] ?? "" };
  const wanted = new Set(generations);
  const last = Math.max(...generations);
  const news = {
    identity: `bench/generations/set-${Date.now()}`,
    cluster: CLUSTER,
    nodearray: NODEARRAY,
    machineType: MACHINE_TYPE,
    count: 1,
    preflight: "off",
  };
  /** @type {{ g: number; server: import("./common").RequestCounters; requestId: string }[]} */
  const rows = [];
  for (let g = 0; g <= last; g++) {
    fresh();
    await provider.configure({ config });
    const checked = await provider.check({}, news);
    const before = await emu.counters();
    const created = await provider.create(checked.inputs);
    const server = counterDiff(before, await emu.counters());
    if (wanted.has(g)) rows.push({ g, server, requestId: created.outs.requestIds.at(-1) });
    await provider.delete(created.id, created.outs);
  }
  return rows;
}

module.exports = { runGenerations };
