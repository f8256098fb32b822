/* global fetch */
"use strict";
/**
 * Shared helpers of the benchmarks: the built library (dist/), the emulator config, admin calls,
 * a trace of the provider's client calls, and table printing. Plain JavaScript on the compiled
 * output, so `node bench/run.js` needs no TypeScript loader.
 */
const path = require("node:path");
const { performance } = require("node:perf_hooks");

const ROOT = path.resolve(__dirname, "..", "..");
const DIST = path.join(ROOT, "dist");

function dist(rel) {
  return require(path.join(DIST, rel));
}

/** Cluster, nodearray and bucket the benchmarks use: big enough for 1000+ nodes and 50 sets. */
const CLUSTER = "bench";
const NODEARRAY = "compute";
const MACHINE_TYPE = "Standard_F2s_v2";
const BENCH_CONFIG = {
  clusters: [
    {
      name: CLUSTER,
      maxCount: 100000,
      maxCoreCount: 1000000,
      nodearrays: [
        {
          name: NODEARRAY,
          maxCount: 100000,
          maxCoreCount: 1000000,
          buckets: [{ machineType: MACHINE_TYPE, vcpuCount: 2, memory: 4, maxCount: 20000 }],
        },
      ],
    },
  ],
};

const now = () => performance.now();

/** Admin surface and API helpers over HTTP, so they work from a child process too. */
function emulatorHandle(info) {
  const auth = `Basic ${Buffer.from(`${info.username}:${info.password}`).toString("base64")}`;
  async function admin(method, route, body) {
    const response = await fetch(`${info.adminUrl}${route}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 300)
      throw new Error(`admin ${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  }
  return {
    info,
    counters: () => admin("GET", "/counters"),
    /** Back to the initial config: no nodes, no used request ids, zero counters. */
    reset: () => admin("POST", "/reset"),
    setTiming: (timing) => admin("POST", "/timing", timing),
    nodes: async () => (await admin("GET", "/nodes")).nodes,
    requests: async () => (await admin("GET", "/requests")).requests,
    /** Start time (ms since epoch) of the operation of a create request id (an API call). */
    async operationStart(requestId) {
      const response = await fetch(`${info.url}/operations/?request_id=${encodeURIComponent(requestId)}`, {
        headers: { Authorization: auth },
      });
      const list = await response.json();
      if (!Array.isArray(list) || list.length !== 1) throw new Error(`no operation for ${requestId}`);
      return Date.parse(list[0].startTime);
    },
  };
}

function counterDiff(before, after) {
  const out = {};
  for (const key of Object.keys(after)) out[key] = after[key] - (before[key] ?? 0);
  return out;
}

/**
 * Records every call the provider makes through its CycleCloud client (method, start, end), by
 * wrapping the client class's methods in this process. The server-side counters stay the
 * reference for call counts (they also see retries); the trace gives timing and poll structure.
 */
let traceState;
function installClientTrace() {
  const { CycleCloudClient } = dist("provider/client/cyclecloud-client.js");
  const proto = CycleCloudClient.prototype;
  const methods = [
    "listNodes",
    "createNodes",
    "terminateNodes",
    "deallocateNodes",
    "startNodes",
    "getClusterStatus",
  ];
  traceState ??= { calls: [], listeners: [] };
  const state = traceState;
  for (const name of methods) {
    const original = proto[name];
    if (original.__benchWrapped) continue;
    const wrapped = async function (...args) {
      const call = { method: name, args, start: now(), end: NaN, ok: false };
      state.calls.push(call);
      try {
        const result = await original.apply(this, args);
        call.ok = true;
        return result;
      } finally {
        call.end = now();
        for (const listener of state.listeners) listener(call);
      }
    };
    wrapped.__benchWrapped = true;
    proto[name] = wrapped;
  }
  return {
    /** Calls recorded since `mark` (an index from `mark()`). */
    mark: () => state.calls.length,
    since: (mark) => state.calls.slice(mark),
    onCallEnd(listener) {
      state.listeners.push(listener);
      return () => state.listeners.splice(state.listeners.indexOf(listener), 1);
    },
  };
}

/**
 * Polls in a trace: rounds of node listings that follow a pause of at least `gapMs` (the
 * provider's sleep between polls). Calls inside one poll follow each other without a pause.
 */
function pollStats(calls, gapMs) {
  let polls = 0;
  let pollCalls = 0;
  let previousEnd = undefined;
  let inPoll = false;
  for (const call of calls) {
    const gap = previousEnd === undefined ? 0 : call.start - previousEnd;
    if (call.method === "listNodes") {
      if (gap >= gapMs) {
        polls++;
        inPoll = true;
      }
      if (inPoll) pollCalls++;
    } else {
      inPoll = false;
    }
    previousEnd = call.end;
  }
  return { polls, pollCalls };
}

/**
 * A node set provider whose lines (progress and client lines) are kept in `lines` instead of
 * printed. `fresh()` replaces it with a new one (a new provider process) and empties `lines`.
 * Tuning comes from the environment when it is configured, as in a provider process.
 */
function quietProvider() {
  const { createNodeSetProvider } = dist("provider/resource/node-set-provider.js");
  const lines = [];
  const keep = (line) => void lines.push(line);
  const make = () => createNodeSetProvider({ logger: { info: keep, error: keep } });
  let current = make();
  const provider = Object.fromEntries(
    ["configure", "check", "diff", "create", "read", "update", "delete"].map((method) => [
      method,
      (...args) => current[method](...args),
    ]),
  );
  const fresh = () => {
    lines.length = 0;
    current = make();
  };
  return { provider, lines, fresh };
}

function table(headers, rows, align) {
  const cells = rows.map((row) => row.map((v) => (v === undefined || v === null ? "" : String(v))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const pad = (v, i) => ((align?.[i] ?? "r") === "l" ? v.padEnd(widths[i]) : v.padStart(widths[i]));
  const line = (row) => `| ${row.map(pad).join(" | ")} |`;
  const sep = `|${widths.map((w, i) => ((align?.[i] ?? "r") === "l" ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(headers), sep, ...cells.map(line)].join("\n");
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = {
  ms: (v) => (Number.isFinite(v) ? `${Math.round(v)}` : "-"),
  s: (v, digits = 2) => (Number.isFinite(v) ? (v / 1000).toFixed(digits) : "-"),
  ratio: (v) => (Number.isFinite(v) ? v.toFixed(2) : "-"),
  mb: (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(0) : "-"),
};

module.exports = {
  ROOT,
  DIST,
  dist,
  CLUSTER,
  NODEARRAY,
  MACHINE_TYPE,
  BENCH_CONFIG,
  now,
  emulatorHandle,
  counterDiff,
  installClientTrace,
  pollStats,
  quietProvider,
  table,
  median,
  fmt,
};
