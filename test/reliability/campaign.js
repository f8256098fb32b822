#!/usr/bin/env node
/**
 * Fault-injection campaign through the node set's dynamic provider (issue 5, part 1).
 *
 *   npm run test:reliability -- --seed 1 --steps 500      # build, then the long run
 *   node test/reliability/campaign.js --seed 1 --steps 80  # the short run CI makes (needs dist/)
 *
 * Options: `--seed N` (default 1), `--steps N` (default 200), `--sets N` node sets (default 4),
 * `--without KIND,...` (leave fault kinds out, e.g. to bisect a finding), `--trace` (one line per
 * step, and the failure messages by shape, on stderr), `--json` (the report as one JSON line, last).
 * `RELIABILITY_DIST=DIR` runs against another compiled tree than `dist/`.
 *
 * A seeded random program over several node sets (create, grow, shrink, change machine type or
 * `nodeAttributes` = replace, remove, re-run unchanged, refresh; the last set has an explicit
 * `requestId`) is deployed step by step the way the Pulumi engine does it:
 * a fresh provider process per command (configure), every check first (a refused plan changes
 * nothing), diffs, creates/updates/replacements in parallel (replacement = create-before-delete),
 * then, only when nothing failed, the deletes: replaced sets (also those left pending by an earlier
 * failed deployment, as Pulumi 3.248's GenerateDeletes does) and sets removed from the program.
 * On success the engine stores the outs;
 * on a NodeSetPartialFailure it stores `error.properties` (and re-runs update next time); on any
 * other error it keeps the old state (a create records nothing).
 *
 * Before each step the emulator gets faults: 500/502/503 with and without Retry-After, 429, answers
 * slower than the client timeout, connection resets before and after the server commits, partial
 * adds, nodes that fail to start (or never finish starting), nodes failed or removed out of band.
 *
 * After each step, with faults cleared, every set in state is refreshed (without storing the result,
 * so later steps still work from the engine's possibly stale state) and the invariants are checked
 * against the emulator's own node list:
 *   orphan      a live node of the campaign that no set in state holds after a refresh
 *   ghost       a node a refreshed state holds that the cluster does not have
 *   duplicate   after a successful deployment, more live nodes of a set than its `count`
 *   overshoot   at any time, more healthy nodes of a set than any count it was asked for
 *   shortfall   after a successful deployment, a set it changed without exactly `count` ready nodes
 *   shared      a node held by two sets in state at once (after a refresh)
 *   absorbed    a step failed although its only faults were transient (5xx, 429, slow, resets) and
 *               no route got more failing requests than the client retries, after a good deployment
 *   lost        a successful deployment terminated a node of a set in the program that it did not change
 *   leftover    after a successful deployment, a set still in state that the program removed
 *   message     a failed call whose message does not name the operation and the cause
 *   struct      state holding `undefined` (Pulumi cannot store it)
 *   secret      the password (or its Basic header) in any message, output, state or emulator log
 *   refresh     a refresh that fails with no fault injected
 *   drift       after a successful deployment, a node of a set that is not of its declared spec
 *               (machine type, the `nodeAttributes` tag)
 *   foreign     a node someone else made in the cluster (3 are made at the start) touched
 *   cleanup     nodes left after the final destroy
 * A violation about one node or one base (orphan, ghost, overshoot) is counted once, at the step it
 * is first seen. The exit code is 1 when any invariant was violated.
 */
"use strict";

const path = require("node:path");

const DIST = process.env.RELIABILITY_DIST
  ? path.resolve(process.env.RELIABILITY_DIST)
  : path.resolve(__dirname, "../../dist");

const CLUSTER = "hpc";
const NODEARRAY = "ondemand";
const MACHINE_TYPES = ["Standard_Fs32_v2", "Standard_Hc44rs", "Standard_D8s_v3"];
/** Client timeout (stack config `cyclecloud:timeoutSeconds`) and the delay of a "slow" fault. */
const TIMEOUT_SECONDS = 1;
const SLOW_DELAY_MS = 1500;
const RETRIES = 2;
const PASSWORD = "Rel1ability-S3cret-pa55word";
/** A heal phase (refresh + up without faults) runs every HEAL_EVERY steps and at the end. */
const HEAL_EVERY = 50;
const HEAL_ROUNDS = 6;

/** Room for every set at its largest, twice (create-before-delete), so capacity rarely binds. */
const CAMPAIGN_CONFIG = {
  clusters: [
    {
      name: CLUSTER,
      maxCount: 500,
      maxCoreCount: 50_000,
      nodearrays: [
        {
          name: NODEARRAY,
          maxCount: 200,
          maxCoreCount: 20_000,
          buckets: [
            { machineType: "Standard_Fs32_v2", vcpuCount: 32, memory: 64, maxCount: 60 },
            { machineType: "Standard_Hc44rs", vcpuCount: 44, memory: 327.83, infiniband: true, maxCount: 60 },
            { machineType: "Standard_D8s_v3", vcpuCount: 8, memory: 32, maxCount: 60 },
          ],
        },
      ],
    },
  ],
};

/** Fault kinds and how often each is picked. */
const FAULT_KINDS = [
  ["http500", 3],
  ["http502", 2],
  ["http503", 2],
  ["http503-retry-after-seconds", 1],
  ["http503-retry-after-date", 1],
  ["http429", 2],
  ["http429-retry-after", 1],
  ["slow", 2],
  ["reset-before", 3],
  ["reset-after", 3],
  ["partial-add", 2],
  ["fail-next-nodes", 2],
  ["stuck-next-node", 1],
  ["fail-nodes", 1],
  ["remove-nodes", 2],
  ["lost-answer-then-outage", 1],
];

/** Faults a client with RETRIES retries must absorb when no route gets more failing requests than that. */
const TRANSIENT_FAULTS = new Set([
  "http500",
  "http502",
  "http503",
  "http503-retry-after-seconds",
  "http503-retry-after-date",
  "http429",
  "http429-retry-after",
  "slow",
  "reset-before",
  "reset-after",
]);

/** API routes a fault goes to, and how often (the routes the provider uses). */
const ROUTES = [
  ["nodes", 5],
  ["create", 3],
  ["terminate", 2],
  ["status", 1],
];

const OPERATIONS = ["create", "grow", "shrink", "retype", "retag", "remove", "reup", "refresh"];

/** A failed call must say what was attempted... */
const NAMES_OPERATION =
  /\b(GET|POST) \/|\bcreat|\bterminat|\bdeallocat|\bstart|\bdelet|\bdestroy|\brefresh|\bread\b|\bresiz|\bgrow|\bshrink|\badopt|\bready\b|\bpreflight|\badded \d+ of/i;
/** ...and what went wrong. */
const NAMES_CAUSE =
  /\b[1-5]\d\d\b|did not answer|unreachable|fail|refused|timed out|not (valid|recognized|ready|terminated)|added \d+ of \d+|connection|does not fit|reset|hang up|ECONN/i;

function parseArgs(argv) {
  const options = { seed: 1, steps: 200, sets: 4, trace: false, json: false, without: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${arg} needs a whole number`);
      return v;
    };
    if (arg === "--seed") options.seed = value();
    else if (arg === "--steps") options.steps = value();
    else if (arg === "--sets") options.sets = Math.max(1, value());
    else if (arg === "--trace") options.trace = true;
    else if (arg === "--json") options.json = true;
    else if (arg === "--without") {
      options.without = String(argv[++i] ?? "").split(",");
      const unknown = options.without.filter((kind) => !FAULT_KINDS.some(([k]) => k === kind));
      if (unknown.length > 0) throw new Error(`--without: unknown fault kind ${unknown.join(", ")}`);
    } else
      throw new Error(
        `unknown argument ${arg}; use --seed N --steps N [--sets N] [--without KIND,...] [--trace] [--json]`,
      );
  }
  return options;
}

/** mulberry32: a small seeded PRNG, so a seed replays the same campaign. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    weighted: (pairs) => {
      const total = pairs.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [item, w] of pairs) {
        r -= w;
        if (r < 0) return item;
      }
      return pairs[pairs.length - 1][0];
    },
  };
}

function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

function isPartialFailure(error) {
  return (
    error !== null &&
    typeof error === "object" &&
    typeof error.id === "string" &&
    error.id !== "" &&
    error.properties !== undefined
  );
}

/** Paths of `undefined` values (Pulumi's Struct conversion rejects them). */
function undefinedPaths(value, at = "") {
  if (value === undefined) return [at || "(root)"];
  if (Array.isArray(value)) return value.flatMap((v, i) => undefinedPaths(v, `${at}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => undefinedPaths(v, at ? `${at}.${k}` : k));
  }
  return [];
}

/** The base request id of a node's request id (`<base>-<n>`). */
function baseOf(requestId) {
  const match = /^(.*)-(\d+)$/.exec(requestId ?? "");
  return match ? match[1] : undefined;
}

const HEALTHY = new Set(["Acquiring", "Preparing", "Ready", "Allocation", "Off"]);
const LEAVING = new Set(["Terminating", "Terminated", "Stopping"]);

/** Why a failure message is not good enough, or undefined. */
function messageProblem(message) {
  if (typeof message !== "string" || message.trim() === "") return "empty message";
  if (/\brequest failed\b/i.test(message) && message.length < 40) return "bare 'Request failed'";
  if (/\bundefined\b|\[object Object\]|\bNaN\b/.test(message))
    return "contains undefined/[object Object]/NaN";
  if (!NAMES_OPERATION.test(message)) return "does not name the operation";
  if (!NAMES_CAUSE.test(message)) return "does not name the cause";
  return undefined;
}

/** Replaces ids, numbers and durations so messages of one shape group together. */
function messageShape(message) {
  return message
    .replace(/pcc-[0-9a-f]{24}(-\d+)?/g, "<id>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/request-\d+/g, "request-N")
    .replace(/ondemand-\d+/g, "ondemand-N")
    .replace(/\d+/g, "N")
    .slice(0, 240);
}

async function runCampaign(options) {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const steps = options.steps ?? 200;
  const setCount = options.sets ?? 4;
  const trace = options.trace ? (line) => process.stderr.write(`${line}\n`) : () => undefined;

  // Fast polling and retries (read by the provider at call time and client construction).
  process.env.CYCLECLOUD_POLL_MIN_MS = "10";
  process.env.CYCLECLOUD_POLL_MAX_MS = "40";
  process.env.CYCLECLOUD_RETRIES = String(RETRIES);
  process.env.CYCLECLOUD_RETRY_BASE_DELAY_MS = "5";
  for (const key of [
    "CYCLECLOUD_URL",
    "CYCLECLOUD_USERNAME",
    "CYCLECLOUD_PASSWORD",
    "CYCLECLOUD_TIMEOUT_SECONDS",
  ]) {
    Reflect.deleteProperty(process.env, key);
  }

  const { startEmulator } = require(path.join(DIST, "emulator/index.js"));
  const providerModule = require(path.join(DIST, "provider/resource/node-set-provider.js"));
  const { nodeSetProvider: provider, resetProviderState } = providerModule;

  const emulatorLog = [];
  const emu = await startEmulator({
    port: 0,
    password: PASSWORD,
    config: CAMPAIGN_CONFIG,
    timing: { acquiringMs: 20, preparingMs: 20, terminatingMs: 20 },
    log: (line) => emulatorLog.push(line),
  });
  const basic = Buffer.from(`${emu.username}:${PASSWORD}`).toString("base64");
  const stackConfig = {
    "cyclecloud:url": emu.url,
    "cyclecloud:username": emu.username,
    "cyclecloud:password": PASSWORD,
    "cyclecloud:timeoutSeconds": String(TIMEOUT_SECONDS),
  };

  // Everything the provider prints, as the engine would show it.
  const output = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info };
  const capture =
    (stream) =>
    (...args) =>
      output.push({ stream, line: args.map(String).join(" ") });
  console.log = capture("log");
  console.info = capture("log");
  console.error = capture("error");
  console.warn = capture("error");

  const rng = prng(seed);
  const faultKinds = FAULT_KINDS.filter(([kind]) => !(options.without ?? []).includes(kind));
  const report = {
    seed,
    steps: 0,
    sets: setCount,
    outcome: { ok: 0, failed: 0, refusedByCheck: 0 },
    operations: Object.fromEntries(OPERATIONS.map((op) => [op, 0])),
    calls: {},
    faults: {},
    faultsHit: {},
    heals: 0,
    largestRequestIds: 0,
    retries: { client: 0, createResends: 0, adoptedAfterLostAnswer: 0, adoptedAfter409: 0 },
    requests: { total: 0 },
    violations: {},
    violationDetails: [],
    messages: {},
    durationSeconds: 0,
  };
  const countCall = (name, outcome) => {
    const key = `${name} ${outcome}`;
    report.calls[key] = (report.calls[key] ?? 0) + 1;
  };
  let currentStep = 0;
  const reported = new Set();
  /** Counts a violation; one with a `key` (a node, a base) is counted once, when first seen. */
  const violation = (kind, detail, key) => {
    if (key !== undefined) {
      if (reported.has(`${kind} ${key}`)) return;
      reported.add(`${kind} ${key}`);
    }
    report.violations[kind] = (report.violations[kind] ?? 0) + 1;
    if (report.violationDetails.length < 50)
      report.violationDetails.push({ step: currentStep, kind, detail });
    trace(`  VIOLATION ${kind}: ${detail}`);
  };
  const checkSecret = (where, text) => {
    if (typeof text === "string" && (text.includes(PASSWORD) || text.includes(basic))) {
      violation("secret", `password in ${where}`);
    }
  };
  const checkStruct = (where, state) => {
    const paths = undefinedPaths(state);
    if (paths.length > 0) violation("struct", `${where}: undefined at ${paths.slice(0, 5).join(", ")}`);
    checkSecret(`${where} state`, JSON.stringify(state));
  };

  async function adminCall(method, route, body) {
    const response = await globalThis.fetch(`${emu.adminUrl}${route}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await response.json();
    if (response.status >= 300 && response.status !== 404) {
      throw new Error(`admin ${method} ${route} answered ${response.status}: ${JSON.stringify(json)}`);
    }
    return { status: response.status, json };
  }

  // ---- the engine model -------------------------------------------------------------------------

  /** Resources in the stack's state. */
  let resources = [];
  /** The program: per set, its declared spec or null. */
  const program = Array.from({ length: setCount }, () => null);
  /** Largest count each set was ever asked for since it was last empty (overshoot bound). */
  const everAsked = Array.from({ length: setCount }, () => 0);

  /**
   * `project/stack/name`. A set added again after its removal gets a new name half of the time
   * (fresh request ids), else its old name (its old request ids are answered 409 and skipped).
   */
  const generation = Array.from({ length: setCount }, () => 0);
  const identity = (slot) =>
    `reliability/campaign/set${slot}${generation[slot] > 0 ? `-${generation[slot]}` : ""}`;
  /**
   * The set's inputs. The last set has an explicit `requestId` (the same base across replacements);
   * the others derive theirs. `rev` > 0 adds `nodeAttributes` (a change replaces the set).
   */
  const declared = (slot) => {
    const spec = program[slot];
    const inputs = {
      identity: spec.urn,
      cluster: CLUSTER,
      nodearray: NODEARRAY,
      count: spec.count,
      machineType: spec.machineType,
      readyTimeoutSeconds: 1.5,
      deleteTimeoutSeconds: 3,
    };
    if (spec.rev > 0) inputs.nodeAttributes = { Tags: { rev: String(spec.rev) } };
    if (slot === setCount - 1) inputs.requestId = `campaign-set${slot}-g${generation[slot]}`;
    return inputs;
  };
  /** The engine tells resources apart by URN (the identity here): a renamed set is another resource. */
  const liveResource = (slot) =>
    program[slot] ? resources.find((r) => r.urn === program[slot].urn && !r.pendingDelete) : undefined;
  const isDeclared = (r) => program.some((spec) => spec !== null && spec.urn === r.urn);

  /** A new provider process: fresh caches, stack config through configure. */
  async function freshProcess() {
    resetProviderState();
    await provider.configure({
      config: { get: (key) => stackConfig[key], require: (key) => stackConfig[key] ?? "" },
    });
  }

  function recordFailure(failures, op, slot, error, kind) {
    const message = typeof error === "string" ? error : errorText(error);
    failures.push({ op, slot, kind, message });
    const problem = messageProblem(message);
    if (problem) violation("message", `${op} of set${slot}: ${problem}: ${message}`);
    checkSecret(`${op} error message`, message);
    if (error instanceof Error) checkSecret(`${op} error stack`, error.stack);
    const shape = `${op}: ${messageShape(message)}`;
    report.messages[shape] = (report.messages[shape] ?? 0) + 1;
  }

  async function call(name, fn) {
    try {
      const value = await fn();
      countCall(name, "ok");
      return { ok: true, value };
    } catch (error) {
      countCall(name, isPartialFailure(error) ? "partial" : "error");
      return { ok: false, error };
    }
  }

  async function deleteResources(targets, failures) {
    await Promise.all(
      targets.map(async (r) => {
        const result = await call("delete", () => provider.delete(r.id, r.state));
        if (result.ok) resources = resources.filter((x) => x !== r);
        else recordFailure(failures, "delete", r.slot, result.error, "error");
      }),
    );
  }

  /** `pulumi up` of the current program. */
  async function up() {
    await freshProcess();
    const failures = [];
    const operated = new Set();

    const plan = [];
    for (let slot = 0; slot < setCount; slot++) {
      if (program[slot] === null) continue;
      const current = liveResource(slot);
      const result = await call("check", () => provider.check(current ? current.inputs : {}, declared(slot)));
      if (!result.ok) {
        recordFailure(failures, "check", slot, result.error, "error");
        continue;
      }
      if (result.value.failures.length > 0) {
        const text = result.value.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
        recordFailure(failures, "check", slot, text, "check");
        continue;
      }
      plan.push({ slot, current, inputs: result.value.inputs });
    }
    if (failures.length > 0) return { ok: false, failures, operated, refused: true };

    for (const step of plan) {
      if (!step.current) {
        step.action = "create";
        continue;
      }
      const result = await call("diff", () =>
        provider.diff(step.current.id, step.current.state, step.inputs),
      );
      if (!result.ok) {
        recordFailure(failures, "diff", step.slot, result.error, "error");
        step.action = "same";
        continue;
      }
      const diff = result.value;
      if ((diff.replaces ?? []).length > 0) step.action = "replace";
      else if (diff.changes !== false || step.current.initErrors) step.action = "update";
      else step.action = "same";
    }
    if (failures.length > 0) return { ok: false, failures, operated, refused: false };

    await Promise.all(
      plan.map(async (step) => {
        const { slot, current, inputs } = step;
        if (step.action === "same") return;
        operated.add(slot);
        if (step.action === "create" || step.action === "replace") {
          const op = step.action === "create" ? "create" : "replace-create";
          const result = await call("create", () => provider.create(inputs));
          if (result.ok) {
            checkStruct(`${op} outs`, result.value.outs);
            resources.push({
              slot,
              urn: program[slot].urn,
              id: result.value.id,
              inputs,
              state: result.value.outs,
              initErrors: null,
            });
            if (current) current.pendingDelete = true;
          } else if (isPartialFailure(result.error)) {
            checkStruct(`${op} partial-failure properties`, result.error.properties);
            resources.push({
              slot,
              urn: program[slot].urn,
              id: result.error.id,
              inputs,
              state: result.error.properties,
              initErrors: result.error.reasons ?? [],
            });
            if (current) current.pendingDelete = true;
            recordFailure(failures, op, slot, result.error, "partial");
          } else {
            recordFailure(failures, op, slot, result.error, "error");
          }
          return;
        }
        const result = await call("update", () => provider.update(current.id, current.state, inputs));
        if (result.ok) {
          checkStruct("update outs", result.value.outs);
          current.state = result.value.outs;
          current.inputs = inputs;
          current.initErrors = null;
        } else if (isPartialFailure(result.error)) {
          checkStruct("update partial-failure properties", result.error.properties);
          current.state = result.error.properties;
          current.inputs = inputs;
          current.initErrors = result.error.reasons ?? [];
          recordFailure(failures, "update", slot, result.error, "partial");
        } else {
          recordFailure(failures, "update", slot, result.error, "error");
        }
      }),
    );
    if (failures.length > 0) return { ok: false, failures, operated, refused: false };

    const removed = resources.filter((r) => r.pendingDelete || !isDeclared(r));
    for (const r of removed) operated.add(r.slot);
    await deleteResources(removed, failures);
    return { ok: failures.length === 0, failures, operated, refused: false };
  }

  /** `pulumi refresh`: stores what read returns. */
  async function refresh() {
    await freshProcess();
    const failures = [];
    await Promise.all(
      resources.map(async (r) => {
        const result = await call("read", () => provider.read(r.id, r.state));
        if (!result.ok) {
          recordFailure(failures, "read", r.slot, result.error, "error");
          return;
        }
        checkStruct("read props", result.value.props);
        if (!result.value.id) {
          resources = resources.filter((x) => x !== r);
          return;
        }
        r.state = result.value.props;
        if (result.value.inputs) r.inputs = result.value.inputs;
      }),
    );
    return { ok: failures.length === 0, failures, operated: new Set(), refused: false, refresh: true };
  }

  // ---- faults -----------------------------------------------------------------------------------

  let injected = [];
  /** Nodes someone else made in the same cluster (another tool, another stack): never ours to touch. */
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

  /** Faults of the current step: `{ kind, route?, count? }`. */
  let stepFaults = [];
  /** Nodes the emulator will still make fail (fail-next-nodes), as far as the campaign can tell. */
  let armedFailures = 0;
  const seenNodeIds = new Set();
  /** Whether the last deployment succeeded: the cluster and state were in order before this step. */
  let lastDeploymentOk = true;

  /**
   * Whether the step's faults are all transient and within the retry budget (per route, no more
   * failing requests than the client retries), with nothing else wrong: then the step must succeed.
   */
  function onlyAbsorbableFaults() {
    if (!lastDeploymentOk || armedFailures > 0) return false;
    const perRoute = new Map();
    for (const f of stepFaults) {
      if (!TRANSIENT_FAULTS.has(f.kind)) return false;
      perRoute.set(f.route, (perRoute.get(f.route) ?? 0) + f.count);
    }
    return [...perRoute.values()].every((n) => n <= RETRIES);
  }

  async function injectFault(op) {
    let kind = rng.weighted(faultKinds);
    // The listing outage must hit the create's follow-up listing, not an update's first listing.
    if (kind === "lost-answer-then-outage" && !["create", "retype", "retag"].includes(op))
      kind = "reset-after";
    const route = rng.weighted(ROUTES);
    const count = rng.int(1, RETRIES + 1);
    const routesUsed = new Set();
    const fault = (input) => {
      routesUsed.add(input.route);
      const stored = emu.injectFault(input);
      injected.push({ id: stored.id, kind, count: stored.remaining });
      stepFaults.push({ kind, route: input.route, count: stored.remaining });
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
        armedFailures = (
          await adminCall("POST", "/fail-next-nodes", {
            count: rng.int(1, 2),
            phase: rng.next() < 0.5 ? "acquiring" : "preparing",
          })
        ).json.pending;
        stepFaults.push({ kind });
        break;
      case "stuck-next-node":
        armedFailures = (await adminCall("POST", "/fail-next-nodes", { count: 1, phase: "stuck" })).json
          .pending;
        stepFaults.push({ kind });
        break;
      case "fail-nodes":
      case "remove-nodes": {
        const live = liveNodes();
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
    const remaining = new Map(json.faults.map((f) => [f.id, f.remaining]));
    for (const f of injected) {
      const hit = f.count - (remaining.get(f.id) ?? 0);
      report.faultsHit[f.kind] = (report.faultsHit[f.kind] ?? 0) + hit;
    }
    injected = [];
    await adminCall("DELETE", "/faults");
  }

  // ---- invariants -------------------------------------------------------------------------------

  /** Node id -> the sets in state that held it at the last verification. */
  let lastOwners = new Map();

  async function verify(result) {
    await settleFaults();
    await freshProcess();
    const owned = new Map();
    const refreshed = new Map();
    for (const r of resources) {
      const read = await call("verify-read", () => provider.read(r.id, r.state));
      if (!read.ok) {
        violation("refresh", `set${r.slot} (${r.id}): ${errorText(read.error)}`);
        continue;
      }
      refreshed.set(r, read.value.props);
      report.largestRequestIds = Math.max(report.largestRequestIds, read.value.props.requestIds.length);
      for (const n of read.value.props.nodes) {
        const holders = owned.get(n.id) ?? [];
        if (holders.length > 0) {
          violation(
            "shared",
            `${n.name} (${n.id}) is held by set${r.slot} (${r.id}) and by set${holders[0].slot} (${holders[0].id})` +
              `${holders[0].pendingDelete || r.pendingDelete ? ", one of them pending deletion" : ""}`,
            n.id,
          );
        }
        owned.set(n.id, [...holders, r]);
      }
    }
    lastOwners = owned;
    const all = emu.nodes();
    let created = 0;
    for (const n of all) {
      if (foreign.has(n.record.NodeId) || seenNodeIds.has(n.record.NodeId)) continue;
      seenNodeIds.add(n.record.NodeId);
      created += 1;
    }
    armedFailures = Math.max(0, armedFailures - created);
    const byId = new Map(all.map((n) => [n.record.NodeId, n]));
    const live = all.filter((n) => !LEAVING.has(n.record.Status));

    for (const [r, props] of refreshed) {
      for (const n of props.nodes) {
        const node = byId.get(n.id);
        if (!node || LEAVING.has(node.record.Status)) {
          violation(
            "ghost",
            `set${r.slot} (${r.id}) holds ${n.name} (${n.id}), which the cluster ${node ? `is ${node.record.Status}` : "does not have"}`,
            n.id,
          );
        }
      }
    }
    for (const id of foreign) {
      const node = byId.get(id);
      if (!node || LEAVING.has(node.record.Status)) {
        violation(
          "foreign",
          `node ${id} that the campaign did not make is ${node ? node.record.Status : "gone"}`,
        );
        foreign.delete(id);
      }
    }
    for (const n of live) {
      if (!owned.has(n.record.NodeId) && !foreign.has(n.record.NodeId)) {
        violation(
          "orphan",
          `${n.record.Name} (${n.record.Status}, request ${n.requestId}) is held by no set in state` +
            ` (sets in state: ${resources.map((r) => `set${r.slot}=${r.id}${r.pendingDelete ? " pending-delete" : ""}`).join(", ") || "none"})`,
          n.record.NodeId,
        );
      }
    }
    for (let slot = 0; slot < setCount; slot++) {
      const r = liveResource(slot);
      const spec = program[slot];
      // Sets of one name share their base request id when it is explicit (old and new during a
      // replacement): the bound is per set sharing it.
      const bases = new Map();
      for (const x of resources.filter((x) => x.slot === slot)) bases.set(x.id, (bases.get(x.id) ?? 0) + 1);
      for (const [base, sets] of bases) {
        const healthy = live.filter(
          (n) => baseOf(n.requestId) === base && HEALTHY.has(n.record.Status),
        ).length;
        const bound = everAsked[slot] * sets;
        if (healthy > bound) {
          violation(
            "overshoot",
            `set${slot} (${base}) has ${healthy} healthy nodes; it was never asked for more than ${bound}`,
            base,
          );
        }
      }
      if (!result.ok || result.refresh || !r || !spec) continue;
      const mine = live.filter((n) => baseOf(n.requestId) === r.id);
      if (mine.length > spec.count) {
        violation(
          "duplicate",
          `set${slot} (${r.id}) declares count ${spec.count} but ${mine.length} live nodes exist after a successful step`,
        );
      }
      const drifted = mine.filter(
        (n) =>
          n.record.MachineType !== spec.machineType ||
          (spec.rev > 0 && n.record.Tags?.rev !== String(spec.rev)),
      );
      if (drifted.length > 0) {
        violation(
          "drift",
          `set${slot} (${r.id}) declares ${spec.machineType}${spec.rev > 0 ? ` with Tags.rev ${spec.rev}` : ""} but holds ` +
            drifted
              .map(
                (n) =>
                  `${n.record.Name} (${n.record.MachineType}, Tags ${JSON.stringify(n.record.Tags ?? {})})`,
              )
              .join(", "),
        );
      }
      if (result.operated.has(slot)) {
        const ready = mine.filter((n) => n.record.Status === "Ready").length;
        if (ready !== spec.count || r.state.nodes.length !== spec.count) {
          violation(
            "shortfall",
            `set${slot} (${r.id}) succeeded with ${ready} ready nodes in the cluster and ${r.state.nodes.length} in state for count ${spec.count}`,
          );
        }
      }
    }
    if (result.ok && !result.refresh) {
      for (const r of resources) {
        if (r.pendingDelete || !isDeclared(r)) {
          violation(
            "leftover",
            `set${r.slot} (${r.id}) is still in state after a successful deployment removed it`,
          );
        }
      }
    }
  }

  /**
   * What a user does after a bad night: with the faults gone, `pulumi refresh` then `pulumi up`,
   * repeated until the deployment succeeds (failures armed earlier may still hit the first rounds).
   * Afterwards every declared set must hold exactly `count` ready nodes, in the cluster and in state.
   */
  async function heal() {
    await settleFaults();
    report.heals += 1;
    let result;
    for (let round = 1; round <= HEAL_ROUNDS; round++) {
      await refresh();
      result = await up();
      if (result.ok) break;
    }
    lastDeploymentOk = result.ok;
    if (!result.ok) {
      violation(
        "convergence",
        `${HEAL_ROUNDS} fault-free refresh + up rounds did not converge: ` +
          result.failures.map((f) => `set${f.slot} ${f.op}: ${f.message}`).join("; "),
      );
    }
    const live = emu.nodes().filter((n) => !LEAVING.has(n.record.Status));
    for (let slot = 0; slot < setCount; slot++) {
      const spec = program[slot];
      if (!spec) continue;
      const r = liveResource(slot);
      const ready = r
        ? live.filter((n) => baseOf(n.requestId) === r.id && n.record.Status === "Ready").length
        : 0;
      if (!r || ready !== spec.count || r.state.readyCount !== spec.count) {
        violation(
          "convergence",
          `set${slot} declares ${spec.count} but after healing has ${ready} ready node(s) in the cluster` +
            (r ? ` and readyCount ${r.state.readyCount} in state` : " and is not in state"),
        );
      }
    }
    await verify(result);
  }

  /**
   * After a successful deployment: no node that a set in the program held (at the last refresh) and
   * that was live when the deployment started is gone, unless the deployment changed that set.
   */
  function checkNothingLost(result, liveBefore) {
    const liveAfter = new Set(liveNodes().map((n) => n.record.NodeId));
    for (const [id, holders] of lastOwners) {
      if (!liveBefore.has(id) || liveAfter.has(id)) continue;
      for (const r of holders) {
        if (resources.includes(r) && !r.pendingDelete && isDeclared(r) && !result.operated.has(r.slot)) {
          violation("lost", `set${r.slot} (${r.id}) lost ${id} in a deployment that did not change it`, id);
        }
      }
    }
  }

  // ---- the campaign -----------------------------------------------------------------------------

  function chooseStep() {
    const slot = rng.int(0, setCount - 1);
    const spec = program[slot];
    const choices = spec
      ? [
          ["grow", 3],
          ["shrink", 3],
          ["retype", 2],
          ["retag", 1],
          ["remove", 1],
          ["reup", 2],
          ["refresh", 2],
        ]
      : [
          ["create", 4],
          ["reup", 1],
          ["refresh", 1],
        ];
    return { slot, op: rng.weighted(choices) };
  }

  function applyToProgram(slot, op) {
    const spec = program[slot];
    switch (op) {
      case "create":
        if (rng.next() < 0.5) generation[slot] += 1;
        program[slot] = {
          urn: identity(slot),
          count: rng.int(1, 4),
          machineType: rng.pick(MACHINE_TYPES),
          rev: 0,
        };
        return `${program[slot].count} x ${program[slot].machineType}`;
      case "grow":
        spec.count = Math.min(6, spec.count + rng.int(1, 2));
        return `count ${spec.count}`;
      case "shrink":
        spec.count = Math.max(0, spec.count - rng.int(1, 2));
        return `count ${spec.count}`;
      case "retype": {
        spec.machineType = rng.pick(MACHINE_TYPES.filter((m) => m !== spec.machineType));
        return `machineType ${spec.machineType}`;
      }
      case "retag":
        spec.rev += 1;
        return `nodeAttributes.Tags.rev ${spec.rev}`;
      case "remove":
        program[slot] = null;
        return "removed";
      default:
        return "";
    }
  }

  try {
    await createForeignNodes();
    for (currentStep = 1; currentStep <= steps; currentStep++) {
      const { slot, op } = chooseStep();
      const change = applyToProgram(slot, op);
      for (let s = 0; s < setCount; s++)
        everAsked[s] = Math.max(everAsked[s], program[s] ? program[s].count : 0);
      report.operations[op] += 1;
      const stepStarted = Date.now();
      trace(`step ${currentStep}: set${slot} ${op} ${change}`);

      stepFaults = [];
      const faultCount = rng.next() < 0.75 ? (rng.next() < 0.25 ? 2 : 1) : 0;
      for (let i = 0; i < faultCount; i++) await injectFault(op);

      const liveBefore = new Set(liveNodes().map((n) => n.record.NodeId));
      const absorbable = onlyAbsorbableFaults();
      const result = op === "refresh" ? await refresh() : await up();
      if (absorbable && !result.ok) {
        violation(
          "absorbed",
          `transient faults within the retry budget (${stepFaults.map((f) => `${f.kind} x${f.count} on ${f.route}`).join(", ") || "none"}) ` +
            `failed the step: ${result.failures.map((f) => `set${f.slot} ${f.op}: ${f.message}`).join("; ")}`,
        );
      }
      if (!result.refresh) lastDeploymentOk = result.ok;
      if (result.ok && !result.refresh) checkNothingLost(result, liveBefore);
      if (result.ok) report.outcome.ok += 1;
      else if (result.refused) report.outcome.refusedByCheck += 1;
      else report.outcome.failed += 1;
      for (const f of result.failures) trace(`  ${f.kind} ${f.op} set${f.slot}: ${f.message}`);
      trace(`  -> ${result.ok ? "ok" : "failed"} (${Date.now() - stepStarted} ms)`);
      trace(
        `  state: ${resources
          .map(
            (r) =>
              `set${r.slot}=${r.id}${r.pendingDelete ? "(pending delete)" : ""}:${r.state.nodes.length}/${r.inputs.count}`,
          )
          .join(" ")}; cluster: ${emu.nodes().length} node(s)`,
      );

      await verify(result);
      if (currentStep % HEAL_EVERY === 0) {
        trace(`heal after step ${currentStep}`);
        await heal();
      }
      // The overshoot bound starts over once a set is gone from the program and from state.
      for (let s = 0; s < setCount; s++)
        if (!program[s] && !resources.some((r) => r.slot === s)) everAsked[s] = 0;
      report.steps = currentStep;
    }

    // Final: heal, then `pulumi destroy` with no faults must leave nothing behind.
    currentStep = steps + 1;
    trace("final heal");
    if (steps % HEAL_EVERY !== 0) await heal();
    await settleFaults();
    for (let slot = 0; slot < setCount; slot++) program[slot] = null;
    const destroyed = await up();
    if (!destroyed.ok)
      violation("cleanup", `final destroy failed: ${destroyed.failures.map((f) => f.message).join("; ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const left = emu.nodes().filter((n) => !foreign.has(n.record.NodeId));
    if (left.length > 0 || resources.length > 0) {
      violation(
        "cleanup",
        `after the final destroy: ${left.length} node(s) left (${left.map((n) => `${n.record.Name} ${n.record.Status} ${n.requestId}`).join(", ")}), ${resources.length} set(s) in state`,
      );
    }
  } finally {
    const counters = emu.counters();
    report.requests = counters;
    await emu.close();
    Object.assign(console, saved);
  }

  for (const { line } of output) {
    checkSecret("provider output", line);
    if (/retrying in \d+ ms/.test(line)) report.retries.client += 1;
    if (/sending it again/.test(line)) report.retries.createResends += 1;
    if (/was applied although its answer was lost/.test(line)) report.retries.adoptedAfterLostAnswer += 1;
    if (/already exists: adopting/.test(line)) report.retries.adoptedAfter409 += 1;
  }
  for (const line of emulatorLog) checkSecret("emulator log", line);
  report.outputLines = output.length;
  report.emulatorLogLines = emulatorLog.length;
  report.violationCount = Object.values(report.violations).reduce((a, b) => a + b, 0);
  report.durationSeconds = Math.round((Date.now() - started) / 100) / 10;
  return report;
}

function formatReport(report) {
  const list = (record) =>
    Object.entries(record)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none";
  const lines = [
    `Reliability campaign: seed ${report.seed}, ${report.sets} node sets, client timeout ${TIMEOUT_SECONDS} s, ${RETRIES} retries`,
    `steps: ${report.steps} (ok ${report.outcome.ok}, failed ${report.outcome.failed}, refused by check ${report.outcome.refusedByCheck}), ` +
      `${report.heals} heal phases`,
    `operations: ${list(report.operations)}`,
    `provider calls: ${list(report.calls)}`,
    `faults injected by kind: ${list(report.faults)}`,
    `requests hit by a fault: ${list(report.faultsHit)}`,
    `retries made: ${report.retries.client} client retries, ${report.retries.createResends} create re-sends, ` +
      `${report.retries.adoptedAfterLostAnswer} adoptions after a lost answer, ${report.retries.adoptedAfter409} adoptions after 409`,
    `API requests: ${report.requests.total} (create ${report.requests.create}, nodes ${report.requests.nodes}, ` +
      `terminate ${report.requests.terminate}, status ${report.requests.status}); ` +
      `longest requestIds list in state: ${report.largestRequestIds}`,
    `invariant violations: ${report.violationCount}${report.violationCount > 0 ? ` (${list(report.violations)})` : ""}`,
  ];
  for (const v of report.violationDetails.slice(0, 20)) lines.push(`  step ${v.step} ${v.kind}: ${v.detail}`);
  lines.push(`duration: ${report.durationSeconds} s`);
  return lines.join("\n");
}

module.exports = { runCampaign, formatReport, messageProblem, parseArgs };

if (require.main === module) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${errorText(error)}\n`);
    process.exit(2);
  }
  runCampaign(options).then(
    (report) => {
      process.stdout.write(`${formatReport(report)}\n`);
      if (options.trace) {
        process.stderr.write("failure messages by shape:\n");
        for (const [shape, n] of Object.entries(report.messages).sort((a, b) => b[1] - a[1])) {
          process.stderr.write(`  ${n} x ${shape}\n`);
        }
      }
      if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(report.violationCount > 0 ? 1 : 0);
    },
    (error) => {
      process.stderr.write(`campaign crashed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(2);
    },
  );
}
