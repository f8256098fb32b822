// @ts-check
"use strict";
/**
 * Section 1: API calls per operation. Drives the provider object (dist) through the life of one
 * set of N nodes against an emulator, as the engine would, each operation in a fresh provider
 * state (a new `pulumi` command starts a new provider process): preview of a new set, create and
 * wait, refresh, preview and update of a 10% grow, a 10% shrink, destroy.
 */
const {
  CLUSTER,
  NODEARRAY,
  MACHINE_TYPE,
  now,
  counterDiff,
  installClientTrace,
  pollStats,
  quietProvider,
} = require("./common");

/** @typedef {import("../../provider/core/node-set-state").NodeSetState} NodeSetState */

const ROUTES = ["status", "nodes", "create", "terminate", "deallocate", "start", "operations"];

/**
 * One operation's figures.
 * @typedef {object} LifecycleRow
 * @property {number} n
 * @property {string} op
 * @property {number} ms
 * @property {import("./common").RequestCounters} server
 * @property {number} traced
 * @property {number} polls
 * @property {number} pollCalls
 * @property {number} logLines
 */

/**
 * Runs the lifecycle of one set of `n` nodes. `emu` is an emulatorHandle. Returns one row per
 * operation: server-side call counts by route, traced client calls, polls, time, log lines.
 * @param {{ emu: import("./common").EmulatorHandle; n: number; pollMinMs: number; label?: string }} options
 * @returns {Promise<LifecycleRow[]>}
 */
async function runLifecycle({ emu, n, pollMinMs, label = "api" }) {
  const { provider, lines, fresh } = quietProvider();
  const trace = installClientTrace();
  /** @type {Record<string, string>} */
  const stack = {
    "cyclecloud:url": emu.info.url,
    "cyclecloud:username": emu.info.username,
    "cyclecloud:password": emu.info.password,
  };
  /** @type {import("@pulumi/pulumi").dynamic.Config} */
  const config = { get: (key) => stack[key], require: (key) => stack[key] ?? "" };
  /** @type {LifecycleRow[]} */
  const rows = [];

  /**
   * One operation in a fresh provider state, measured.
   * @template T
   * @param {string} name
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async function op(name, fn) {
    fresh();
    await provider.configure({ config });
    const before = await emu.counters();
    const mark = trace.mark();
    const t0 = now();
    const value = await fn();
    const ms = now() - t0;
    const calls = trace.since(mark);
    const server = counterDiff(before, await emu.counters());
    const { polls, pollCalls } = pollStats(calls, pollMinMs * 0.6);
    rows.push({ n, op: name, ms, server, traced: calls.length, polls, pollCalls, logLines: lines.length });
    return value;
  }

  /** @param {readonly string[]} requestIds */
  async function liveCount(requestIds) {
    const nodes = await emu.nodes();
    return nodes.filter(
      (x) =>
        x.requestId !== null &&
        requestIds.includes(x.requestId) &&
        !["Terminating", "Terminated"].includes(x.record.Status),
    ).length;
  }
  /**
   * @param {string} what
   * @param {import("@pulumi/pulumi").dynamic.CheckResult} checkResult
   */
  function expectOk(what, checkResult) {
    if (checkResult.failures !== undefined && checkResult.failures.length > 0) {
      throw new Error(`${what}: check failed: ${JSON.stringify(checkResult.failures)}`);
    }
    return checkResult.inputs;
  }
  /**
   * @param {string} what
   * @param {NodeSetState} state
   * @param {number} expected
   */
  async function expectNodes(what, state, expected) {
    const live = await liveCount(state.requestIds);
    if (live !== expected || state.readyCount !== expected) {
      throw new Error(
        `${what}: expected ${expected} ready nodes, state says ${state.readyCount}, emulator ${live}`,
      );
    }
  }

  const grow = Math.max(1, Math.round(n / 10));
  const grown = n + grow;
  const shrunk = grown - Math.max(1, Math.round(grown / 10));
  const news = {
    identity: `bench/${label}/set${n}-${Date.now()}`,
    cluster: CLUSTER,
    nodearray: NODEARRAY,
    machineType: MACHINE_TYPE,
    count: n,
    preflight: "enforce",
  };

  const inputs = expectOk("preview", await op("preview (new set)", () => provider.check({}, news)));
  const created = await op("create + wait", () => provider.create(inputs));
  await expectNodes("create", created.outs, n);
  const read = await op("refresh (read)", () => provider.read(created.id, created.outs));
  await expectNodes("refresh", read.props, n);

  const growInputs = expectOk(
    "preview grow",
    await op(`preview grow (+${grow})`, () => provider.check(inputs, { ...news, count: grown })),
  );
  const afterGrow = await op(`grow ${n} -> ${grown}`, () =>
    provider.update(created.id, read.props, growInputs),
  );
  await expectNodes("grow", afterGrow.outs, grown);

  const shrinkInputs = expectOk("shrink", await provider.check(growInputs, { ...news, count: shrunk }));
  const afterShrink = await op(`shrink ${grown} -> ${shrunk}`, () =>
    provider.update(created.id, afterGrow.outs, shrinkInputs),
  );
  await expectNodes("shrink", afterShrink.outs, shrunk);

  await op(`destroy (${shrunk})`, () => provider.delete(created.id, afterShrink.outs));
  const left = await liveCount(afterShrink.outs.requestIds);
  const remaining = (await emu.nodes()).filter((x) =>
    afterShrink.outs.requestIds.includes(x.requestId),
  ).length;
  if (left !== 0 || remaining !== 0) throw new Error(`destroy left ${remaining} node(s) of the set`);
  return rows;
}

module.exports = { runLifecycle, ROUTES };
