// @ts-check
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

/**
 * The compiled modules the benchmarks load, typed by their TypeScript sources.
 * @typedef {{
 *   "emulator/index.js": typeof import("../../emulator");
 *   "provider/client/cyclecloud-client.js": typeof import("../../provider/client/cyclecloud-client");
 *   "provider/engine/node-set-provider.js": typeof import("../../provider/engine/node-set-provider");
 *   "provider/ops/manage-and-wait.js": typeof import("../../provider/ops/manage-and-wait");
 *   "provider/ops/tuning.js": typeof import("../../provider/ops/tuning");
 * }} DistModules
 */

/**
 * A module of the build (dist/).
 * @template {keyof DistModules} K
 * @param {K} rel
 * @returns {DistModules[K]}
 */
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

/** @typedef {import("../../emulator").RequestCounters} RequestCounters */
/** @typedef {import("../../provider/engine/node-set-provider").NodeSetProvider} NodeSetProvider */
/** @typedef {import("../../emulator").AdminNodeView} AdminNodeView */
/** @typedef {{ url: string; adminUrl: string; username: string; password: string }} EmulatorInfo */

/**
 * Admin surface and API helpers over HTTP, so they work from a child process too.
 * @param {EmulatorInfo} info
 */
function emulatorHandle(info) {
  const auth = `Basic ${Buffer.from(`${info.username}:${info.password}`).toString("base64")}`;
  /**
   * An admin call that must succeed; its answer (parsed JSON).
   * @param {string} method
   * @param {string} route
   * @param {unknown} [body]
   * @returns {Promise<unknown>}
   */
  async function admin(method, route, body) {
    const response = await fetch(`${info.adminUrl}${route}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (response.status >= 300)
      throw new Error(`admin ${method} ${route}: ${response.status} ${await response.text()}`);
    return response.json();
  }
  return {
    info,
    counters: () => /** @type {Promise<RequestCounters>} */ (admin("GET", "/counters")),
    /** Back to the initial config: no nodes, no used request ids, zero counters. */
    reset: () => admin("POST", "/reset"),
    /** @param {Partial<import("../../emulator").EmulatorTiming>} timing */
    setTiming: (timing) => admin("POST", "/timing", timing),
    /** @returns {Promise<AdminNodeView[]>} */
    nodes: async () => /** @type {{ nodes: AdminNodeView[] }} */ (await admin("GET", "/nodes")).nodes,
    /** @returns {Promise<import("../../emulator").RequestLogEntry[]>} */
    requests: async () =>
      /** @type {{ requests: import("../../emulator").RequestLogEntry[] }} */ (
        await admin("GET", "/requests")
      ).requests,
    /**
     * Start time (ms since epoch) of the operation of a create request id (an API call).
     * @param {string} requestId
     */
    async operationStart(requestId) {
      const response = await fetch(`${info.url}/operations/?request_id=${encodeURIComponent(requestId)}`, {
        headers: { Authorization: auth },
      });
      const list = /** @type {unknown} */ (await response.json());
      if (!Array.isArray(list) || list.length !== 1) throw new Error(`no operation for ${requestId}`);
      return Date.parse(/** @type {{ startTime: string }[]} */ (list)[0]?.startTime ?? "");
    },
  };
}

/** @typedef {ReturnType<typeof emulatorHandle>} EmulatorHandle */

/**
 * Counters of `after` minus those of `before`.
 * @template {Record<string, number>} T
 * @param {T} before
 * @param {T} after
 * @returns {T}
 */
function counterDiff(before, after) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const [key, value] of Object.entries(after)) out[key] = value - (before[key] ?? 0);
  return /** @type {T} */ (out);
}

/**
 * A client call in the trace.
 * @typedef {object} TracedCall
 * @property {TracedMethod} method
 * @property {unknown[]} args
 * @property {number} start
 * @property {number} end
 * @property {boolean} ok
 */
/** @typedef {"listNodes" | "createNodes" | "terminateNodes" | "deallocateNodes" | "startNodes" | "getClusterStatus"} TracedMethod */
/** @typedef {(call: TracedCall) => void} CallListener */
/**
 * A client method as the trace sees it (it only passes the arguments on).
 * @typedef {((...args: unknown[]) => Promise<unknown>) & { __benchWrapped?: boolean }} AnyMethod
 */

/**
 * Records every call the provider makes through its CycleCloud client (method, start, end), by
 * wrapping the client class's methods in this process. The server-side counters stay the
 * reference for call counts (they also see retries); the trace gives timing and poll structure.
 */
/** @type {{ calls: TracedCall[]; listeners: CallListener[] } | undefined} */
let traceState;
function installClientTrace() {
  const { CycleCloudClient } = dist("provider/client/cyclecloud-client.js");
  // Patched in place, method by method: seen as a table of functions that pass their arguments on.
  const proto = /** @type {Record<TracedMethod, AnyMethod>} */ (
    /** @type {unknown} */ (CycleCloudClient.prototype)
  );
  /** @type {TracedMethod[]} */
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
    /**
     * @this {unknown}
     * @param {...unknown} args
     */
    const wrapped = async function (...args) {
      /** @type {TracedCall} */
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
    /** @param {number} mark */
    since: (mark) => state.calls.slice(mark),
    /** @param {CallListener} listener */
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
/**
 * @param {readonly TracedCall[]} calls
 * @param {number} gapMs
 */
function pollStats(calls, gapMs) {
  let polls = 0;
  let pollCalls = 0;
  /** @type {number | undefined} */
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
 * @returns {{ provider: NodeSetProvider; lines: string[]; fresh: () => void }}
 */
function quietProvider() {
  const { createNodeSetProvider } = dist("provider/engine/node-set-provider.js");
  /** @type {string[]} */
  const lines = [];
  const keep = (/** @type {string} */ line) => void lines.push(line);
  const make = () => createNodeSetProvider({ logger: { info: keep, error: keep } });
  let current = make();
  // Every method passes its arguments on to the current provider.
  const provider = /** @type {NodeSetProvider} */ (
    Object.fromEntries(
      /** @type {const} */ (["configure", "check", "diff", "create", "read", "update", "delete"]).map(
        (method) => [
          method,
          (/** @type {unknown[]} */ ...args) =>
            /** @type {(...args: unknown[]) => unknown} */ (/** @type {unknown} */ (current[method]))(
              ...args,
            ),
        ],
      ),
    )
  );
  const fresh = () => {
    lines.length = 0;
    current = make();
  };
  return { provider, lines, fresh };
}

/**
 * The stack config of a provider connected to the emulator of `emu` (an emulatorHandle), as
 * `configure` receives it.
 * @param {{ info: EmulatorInfo }} emu
 * @returns {import("@pulumi/pulumi").dynamic.ConfigureRequest}
 */
function emulatorStackConfig(emu) {
  /** @type {Record<string, string>} */
  const stack = {
    "cyclecloud:url": emu.info.url,
    "cyclecloud:username": emu.info.username,
    "cyclecloud:password": emu.info.password,
  };
  return { config: { get: (key) => stack[key], require: (key) => stack[key] ?? "" } };
}

/**
 * A Markdown table; `align`: "l" or "r" (default) per column.
 * @param {readonly string[]} headers
 * @param {ReadonlyArray<ReadonlyArray<string | number | null | undefined>>} rows
 * @param {readonly ("l" | "r")[]} [align]
 */
function table(headers, rows, align) {
  const cells = rows.map((row) => row.map((v) => (v === undefined || v === null ? "" : String(v))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  /** @type {(v: string, i: number) => string} */
  const pad = (v, i) => ((align?.[i] ?? "r") === "l" ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0));
  /** @param {readonly string[]} row */
  const line = (row) => `| ${row.map(pad).join(" | ")} |`;
  const sep = `|${widths.map((w, i) => ((align?.[i] ?? "r") === "l" ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(headers), sep, ...cells.map(line)].join("\n");
}

/**
 * The median; NaN for no values.
 * @param {readonly number[]} values
 * @returns {number}
 */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (/** @type {number} */ i) => sorted[i] ?? NaN;
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/** Figures as printed: "-" for what is not a finite number. */
const fmt = {
  /** @param {number} v */
  ms: (v) => (Number.isFinite(v) ? `${Math.round(v)}` : "-"),
  /** @param {number} v milliseconds, shown in seconds */
  s: (v, digits = 2) => (Number.isFinite(v) ? (v / 1000).toFixed(digits) : "-"),
  /** @param {number} v */
  ratio: (v) => (Number.isFinite(v) ? v.toFixed(2) : "-"),
  /** @param {number} kb */
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
  emulatorStackConfig,
  table,
  median,
  fmt,
};
