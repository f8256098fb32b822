// @ts-check
"use strict";
/**
 * Fault injection: the faults of a step (HTTP errors, slow answers, resets, partial adds, nodes
 * failing or removed out of band) put into the emulator, whether they are all ones the client must
 * absorb, and their settling; the nodes someone else made in the cluster.
 */

const { LEAVING } = require("./node-status");
const { CLUSTER, NODEARRAY, RETRIES, ROUTES, SLOW_DELAY_MS, TRANSIENT_FAULTS } = require("./settings");

/** @typedef {import("./context").Context} Context */
/** @typedef {import("./model").Model} Model */
/** @typedef {ReturnType<typeof import("./random").prng>} Random */

/**
 * @param {Context} ctx
 * @param {Model} model
 * @param {Random} rng
 * @param {[string, number][]} faultKinds The kinds to pick from, with their weights.
 */
function createFaults(ctx, model, rng, faultKinds) {
  const { report, trace, emu, basic, adminCall } = ctx;
  const { program } = model;
  const state = {
    /** Faults of the current step: `{ kind, route?, count? }`. */
    stepFaults: /** @type {{ kind: string; route?: string; count?: number }[]} */ ([]),
    /** Nodes the emulator will still make fail (fail-next-nodes), as far as the campaign can tell. */
    armedFailures: 0,
  };
  /** Faults injected since the last settling: `{ id, kind, count }` (count: requests it may hit). */
  /** @type {{ id: number; kind: string; count: number }[]} */
  let injected = [];
  /** Nodes someone else made in the same cluster (another tool, another stack): never ours to touch. */
  /** @type {Set<string>} */
  const foreign = new Set();
  const liveNodes = () =>
    emu.nodes().filter((n) => !LEAVING.has(n.record.Status) && !foreign.has(n.record.NodeId));

  /** Two nodes of another create request id and one without any, made straight through the API. */
  async function createForeignNodes() {
    const authorization = `Basic ${basic}`;
    for (const body of [
      {
        requestId: "someone-else-0",
        sets: [{ count: 2, nodearray: NODEARRAY, definition: { machineType: "Standard_Fs32_v2" } }],
      },
      { sets: [{ count: 1, nodearray: NODEARRAY, definition: { machineType: "Standard_Hc44rs" } }] },
    ]) {
      const response = await globalThis.fetch(`${emu.url}/clusters/${CLUSTER}/nodes/create`, {
        method: "POST",
        headers: { Authorization: authorization },
        body: JSON.stringify(body),
      });
      if (response.status !== 202) throw new Error(`foreign create answered ${response.status}`);
    }
    for (const n of emu.nodes()) foreign.add(n.record.NodeId);
  }

  /** @type {Set<string>} */
  const seenNodeIds = new Set();

  /**
   * Whether the step's faults are all transient and within the retry budget (per route, no more
   * failing requests than the client retries), with nothing else wrong: then the step must succeed.
   */
  function onlyAbsorbableFaults() {
    if (!ctx.lastDeploymentOk || state.armedFailures > 0) return false;
    /** @type {Map<string | undefined, number>} */
    const perRoute = new Map();
    for (const f of state.stepFaults) {
      if (!TRANSIENT_FAULTS.has(f.kind)) return false;
      perRoute.set(f.route, (perRoute.get(f.route) ?? 0) + (f.count ?? 0));
    }
    return [...perRoute.values()].every((n) => n <= RETRIES);
  }

  /** @param {string} op */
  async function injectFault(op) {
    let kind = rng.weighted(faultKinds);
    // The listing outage must hit the create's follow-up listing, not an update's first listing.
    if (kind === "lost-answer-then-outage" && !["create", "retype", "retag"].includes(op))
      kind = "reset-after";
    const route = rng.weighted(ROUTES);
    const count = rng.int(1, RETRIES + 1);
    /** @type {Set<string>} */
    const routesUsed = new Set();
    /** @param {import("../../../emulator").FaultInput} input */
    const fault = (input) => {
      routesUsed.add(input.route);
      const stored = emu.injectFault(input);
      injected.push({ id: stored.id, kind, count: stored.remaining });
      state.stepFaults.push({ kind, route: input.route, count: stored.remaining });
    };
    const tally = () => (report.faults[kind] = (report.faults[kind] ?? 0) + 1);
    switch (kind) {
      case "http500":
      case "http502":
      case "http503":
      case "http429":
        fault({ route, count, status: Number(kind.slice(4)) });
        break;
      case "http503-retry-after-seconds":
        fault({ route, count, status: 503, retryAfter: 1 });
        break;
      case "http503-retry-after-date":
        fault({ route, count, status: 503, retryAfter: new Date(Date.now() + 1000).toUTCString() });
        break;
      case "http429-retry-after":
        fault({ route, count, status: 429, retryAfter: 1 });
        break;
      case "slow":
        fault({ route, count: rng.next() < 0.7 ? 1 : count, delayMs: SLOW_DELAY_MS });
        break;
      case "lost-answer-then-outage":
        // The server commits a create, the answer is lost, then node listings fail for a while.
        fault({ route: "create", count: 1, reset: "after" });
        fault({ route: "nodes", count: RETRIES + 1, status: 503 });
        break;
      case "reset-before":
        fault({ route, count, reset: "before" });
        break;
      case "reset-after":
        fault({ route: rng.next() < 0.5 ? "create" : route, count: 1, reset: "after" });
        break;
      case "partial-add": {
        const wanted = Math.max(1, ...program.map((p) => (p ? p.count : 0)));
        fault({ route: "create", count: 1, maxAdded: rng.int(0, Math.max(0, wanted - 1)) });
        break;
      }
      case "fail-next-nodes":
        state.armedFailures = (
          await adminCall("POST", "/fail-next-nodes", {
            count: rng.int(1, 2),
            phase: rng.next() < 0.5 ? "acquiring" : "preparing",
          })
        ).json.pending;
        state.stepFaults.push({ kind });
        break;
      case "stuck-next-node":
        state.armedFailures = (
          await adminCall("POST", "/fail-next-nodes", { count: 1, phase: "stuck" })
        ).json.pending;
        state.stepFaults.push({ kind });
        break;
      case "fail-nodes":
      case "remove-nodes": {
        // CycleCloud fails only a node with a VM: a deallocated node (warm pool) has none running.
        const live = liveNodes().filter((n) => kind === "remove-nodes" || n.record.Status !== "Deallocated");
        if (live.length === 0) return;
        const ids = [...new Set(Array.from({ length: rng.int(1, 2) }, () => rng.pick(live).record.NodeId))];
        await adminCall("POST", kind === "fail-nodes" ? "/fail-nodes" : "/remove-nodes", { ids });
        break;
      }
    }
    tally();
    trace(`  fault ${kind}${routesUsed.size > 0 ? ` on ${[...routesUsed].join(" and ")}` : ""}`);
  }

  /** Clears pending faults, counting how many requests each one hit. */
  async function settleFaults() {
    const { json } = await adminCall("GET", "/faults");
    /** @type {import("../../../emulator").Fault[]} */
    const faults = json.faults;
    const remaining = new Map(faults.map((f) => [f.id, f.remaining]));
    for (const f of injected) {
      const hit = f.count - (remaining.get(f.id) ?? 0);
      report.faultsHit[f.kind] = (report.faultsHit[f.kind] ?? 0) + hit;
    }
    injected = [];
    await adminCall("DELETE", "/faults");
  }

  return Object.assign(state, {
    foreign,
    seenNodeIds,
    liveNodes,
    createForeignNodes,
    onlyAbsorbableFaults,
    injectFault,
    settleFaults,
  });
}

/** @typedef {ReturnType<typeof createFaults>} Faults */

module.exports = { createFaults };
