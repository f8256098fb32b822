// @ts-check
"use strict";
/**
 * Section 6: shared poll rounds. S sets of N nodes are created concurrently in ONE provider object
 * (as the engine runs the creates of one stack in one provider process, concurrently) against an
 * emulator with a non-zero provisioning delay, then destroyed concurrently. From a trace of the
 * client's calls: the poll listings (every node listing of the wait, i.e. all but the first
 * listing of each request after its create) grouped into rounds (listings that start within a
 * fraction of the poll floor of each other), and listings per round. The emulator's counters give
 * the calls of the create and of the destroy. The run checks every set holds exactly its own N
 * ready nodes (by the emulator's record of which request made each node) and that destroy leaves
 * none.
 */
const {
  CLUSTER,
  NODEARRAY,
  MACHINE_TYPE,
  counterDiff,
  dist,
  installClientTrace,
  median,
  now,
  quietProvider,
  emulatorStackConfig,
} = require("./common");

/**
 * @typedef {object} PollRoundsRow
 * @property {number} sets
 * @property {number} nodesPerSet
 * @property {number} rounds Poll rounds of the create phase.
 * @property {number} pollListings Node listings in those rounds.
 * @property {number} listingsPerRound Mean listings per round.
 * @property {number} maxListingsPerRound
 * @property {import("./common").RequestCounters} create Server-side calls of the concurrent creates.
 * @property {import("./common").RequestCounters} destroy Server-side calls of the concurrent deletes.
 * @property {number} wholeMs Median time of one unfiltered listing of the cluster (all S x N nodes).
 * @property {number} byRequestMs Median time of the S listings by request id, one after the other.
 */

/**
 * What one poll round costs listed both ways, with the nodes of all S sets in the cluster: one
 * unfiltered listing, or one listing per set's request (sequential, as one client would), medians.
 * @param {import("./common").EmulatorHandle} emu
 * @param {readonly string[]} requestIds
 */
async function listingCost(emu, requestIds) {
  const { CycleCloudClient } = dist("provider/client/cyclecloud-client.js");
  const client = new CycleCloudClient({
    url: emu.info.url,
    username: emu.info.username,
    password: emu.info.password,
  });
  /** @type {number[]} */
  const whole = [];
  /** @type {number[]} */
  const byRequest = [];
  for (let rep = 0; rep < 7; rep++) {
    let t0 = now();
    await client.listNodes(CLUSTER);
    whole.push(now() - t0);
    t0 = now();
    for (const requestId of requestIds) await client.listNodes(CLUSTER, { requestId });
    byRequest.push(now() - t0);
  }
  return { wholeMs: median(whole), byRequestMs: median(byRequest) };
}

/**
 * Poll listings of a trace slice, grouped into rounds: a listing starting more than `gapMs` after
 * the previous one starts a round. The first listing of each request id (the create's own fresh
 * listing) is no poll.
 * @param {readonly import("./common").TracedCall[]} calls
 * @param {number} gapMs
 */
function pollRounds(calls, gapMs) {
  const seen = new Set();
  /** @type {number[]} */
  const starts = [];
  for (const call of calls) {
    if (call.method !== "listNodes") continue;
    const requestId = /** @type {{ requestId?: string } | undefined} */ (call.args[1])?.requestId;
    if (requestId !== undefined && !seen.has(requestId)) {
      seen.add(requestId);
      continue;
    }
    starts.push(call.start);
  }
  starts.sort((a, b) => a - b);
  /** @type {number[]} */
  const rounds = [];
  let previous = -Infinity;
  for (const start of starts) {
    if (start - previous > gapMs || rounds.length === 0) rounds.push(0);
    rounds[rounds.length - 1] = (rounds[rounds.length - 1] ?? 0) + 1;
    previous = start;
  }
  return rounds;
}

/**
 * @param {{ emu: import("./common").EmulatorHandle; sets: number; nodesPerSet: number; pollMinMs: number }} options
 * @returns {Promise<PollRoundsRow>}
 */
async function runPollRounds({ emu, sets, nodesPerSet, pollMinMs }) {
  const { provider, fresh } = quietProvider();
  const trace = installClientTrace();
  fresh();
  await provider.configure(emulatorStackConfig(emu));
  await emu.reset();
  const stamp = Date.now();
  const checked = await Promise.all(
    Array.from({ length: sets }, (_, i) =>
      provider.check(
        {},
        {
          identity: `bench/rounds/s${sets}n${nodesPerSet}-${i}-${stamp}`,
          cluster: CLUSTER,
          nodearray: NODEARRAY,
          machineType: MACHINE_TYPE,
          count: nodesPerSet,
          preflight: "off",
        },
      ),
    ),
  );
  for (const c of checked) if ((c.failures ?? []).length > 0) throw new Error(JSON.stringify(c.failures));
  const before = await emu.counters();
  const mark = trace.mark();
  const created = await Promise.all(checked.map((c) => provider.create(c.inputs)));
  const createCalls = trace.since(mark);
  const afterCreate = await emu.counters();

  // Every set holds exactly the N nodes its own request made, all ready.
  const nodes = await emu.nodes();
  for (const { outs } of created) {
    const own = nodes.filter((x) => x.requestId !== null && outs.requestIds.includes(x.requestId));
    const held = new Set(outs.nodeIds);
    if (
      outs.readyCount !== nodesPerSet ||
      own.length !== nodesPerSet ||
      own.some((x) => !held.has(x.record.NodeId))
    )
      throw new Error(`a set does not hold exactly its own ${nodesPerSet} ready nodes`);
  }

  const cost = await listingCost(
    emu,
    created.map(({ outs }) => outs.requestIds[0] ?? ""),
  );
  const beforeDestroy = await emu.counters();
  await Promise.all(created.map(({ id, outs }) => provider.delete(id, outs)));
  const afterDestroy = await emu.counters();
  const left = (await emu.nodes()).length;
  if (left !== 0) throw new Error(`destroy left ${left} node(s)`);

  const rounds = pollRounds(createCalls, pollMinMs / 2);
  const pollListings = rounds.reduce((a, b) => a + b, 0);
  return {
    sets,
    nodesPerSet,
    rounds: rounds.length,
    pollListings,
    listingsPerRound: rounds.length > 0 ? pollListings / rounds.length : 0,
    maxListingsPerRound: Math.max(0, ...rounds),
    create: counterDiff(before, afterCreate),
    destroy: counterDiff(beforeDestroy, afterDestroy),
    ...cost,
  };
}

module.exports = { runPollRounds, pollRounds };
