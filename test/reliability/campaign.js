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
 * `nodeAttributes` = replace, remove, re-run unchanged, refresh, rename or move with an alias, a new
 * set under a renamed set's old name, a set of the same name as another under another parent; the
 * last slot has an explicit `requestId`, the first shrinks by deallocating into a warm pool and grows
 * by starting it, `scaleDown: "deallocate"`, the second is spread over placement groups of 2 nodes,
 * `placementGroups: { prefix: "pg", size: 2 }`, so grows and shrinks cross groups) is deployed step by step the way the Pulumi engine does it:
 * a fresh provider process per command (configure), every check first (a refused plan changes
 * nothing), diffs, creates/updates/replacements in parallel (replacement = create-before-delete),
 * then, only when nothing failed, the deletes: replaced sets (also those left pending by an earlier
 * failed deployment, as Pulumi 3.248's GenerateDeletes does) and sets removed from the program.
 * On success the engine stores the outs;
 * on a NodeSetPartialFailure it stores `error.properties` (and re-runs update next time); on any
 * other error it keeps the old state (a create records nothing). A set left unchanged (diff: no
 * change) keeps its outputs and takes the new inputs, as a same step does.
 *
 * Identities are modelled as the engine now makes them: each node set comes with a
 * CycleCloudNodeSetIdentity whose create makes a random token (here from a second RNG of the seed,
 * so runs replay), and the set's input `identity` is `<URN first declared under>#<token>`. The
 * identity is created once the plan passes (even when the set's own create then fails), moves with
 * its set on a rename or move with `aliases` (its diff never changes), and is deleted with the set
 * once nothing in state refers to it; a set declared under a URN whose identity is still in state
 * gets that identity back (the same resource to the engine). Sets are told apart by URN (or alias):
 * a new set under a renamed set's old URN, or of another set's name under another parent (a
 * component), is another resource with a new identity. Renames and reuse of old URNs stay within
 * what the engine accepts: an old URN is reused only once nothing in state is left under it, and
 * its alias is then dropped from the program (Pulumi refuses one URN claimed twice).
 *
 * Before each step the emulator gets faults (on listings, create, terminate, status, and the warm
 * pool's deallocate and start): 500/502/503 with and without Retry-After, 429, answers
 * slower than the client timeout, connection resets before and after the server commits, partial
 * adds, nodes that fail to start (or never finish starting), nodes failed or removed out of band.
 *
 * After each step, with faults cleared, every set in state is refreshed (without storing the result,
 * so later steps still work from the engine's possibly stale state) and the invariants are checked
 * against the emulator's own node list:
 *   orphan      a live node of the campaign that no set in state holds after a refresh
 *   ghost       a node a refreshed state holds that the cluster does not have
 *   duplicate   after a successful deployment, more live active nodes of a set than its `count`, or
 *               more live nodes (warm pool included) than any count it was asked for
 *   overshoot   at any time, more healthy nodes of a set than any count it was asked for
 *   shortfall   after a successful deployment, a set it created, updated or replaced without exactly
 *               `count` ready nodes (deleting the set it replaced does not change it)
 *   shared      a node held by two sets in state at once (after a refresh); a set holding a node
 *               made under another base request id than its own; two sets of different identities
 *               (no explicit `requestId`) with the same base request id
 *   renamed     a rename or move with an alias that changed the set's identity or base request id,
 *               replaced it, or (when the set was left unchanged or the deployment succeeded) made
 *               it drop a node it held that is still live, or hold one not made under its base
 *   absorbed    a step failed although its only faults were transient (5xx, 429, slow, resets) and
 *               no route got more failing requests than the client retries, after a good deployment
 *   lost        a successful deployment terminated a node of a set in the program that it did not
 *               change (nor delete a set of its slot)
 *   placement   the spread set holds a node outside its groups `pg<i>`, or not made under request id
 *               `<base>.pg<i>-<n>` of its group; more than `size` healthy nodes in a group; a
 *               `placementGroupCounts` other than its nodes per group in the cluster; after a
 *               successful deployment that created, updated or replaced it: more than `size` live
 *               nodes in a group, a node it gained in group i while a group before i holds fewer
 *               than `size` (filled in order), or a Ready node it dropped from a group before the
 *               last group it still holds nodes in (emptied from the last)
 *   leftover    after a successful deployment, a set still in state that the program removed
 *   message     a failed call whose message does not name the operation and the cause; for a
 *               create, update, delete or read: a message not of the form `<name>: <operation>
 *               failed|did not finish: <cause>; <what became of the nodes and state>[. <next step>]`,
 *               or naming another operation than the call's, a name the set never had, or a cause
 *               that says nothing of what went wrong
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
// @ts-check
"use strict";

const path = require("node:path");
const { setTimeout: sleep } = require("node:timers/promises");
const util = require("node:util");
const { HEALTHY, LEAVING, DEALLOCATED, baseOf } = require("./campaign/node-status");
const { checkPlacementGroups } = require("./campaign/placement-groups");

/** @typedef {import("../../provider/resource/inputs").NodeSetInputs} SetInputs */
/** @typedef {import("../../provider/resource/node-set-state").NodeSetState} SetState */
/** @typedef {import("../../emulator").AdminNodeView} AdminNodeView */
/** @typedef {import("../../emulator").RequestCounters} RequestCounters */

/**
 * The campaign's settings (`parseArgs` of the command line); what is left out takes its default.
 * @typedef {object} Options
 * @property {number} [seed]
 * @property {number} [steps]
 * @property {number} [sets]
 * @property {boolean} [trace]
 * @property {boolean} [json]
 * @property {string[]} [without]
 */

/**
 * A node set in the stack's state, as the engine model keeps it.
 * @typedef {object} Resource
 * @property {number} slot
 * @property {string} urn
 * @property {string} id
 * @property {SetInputs & Record<string, unknown>} inputs The inputs check returned (an object as stored).
 * @property {SetState} state
 * @property {string[] | null} initErrors
 * @property {boolean} [pendingDelete]
 */

/**
 * The set a slot of the program declares.
 * @typedef {object} SetSpec
 * @property {string} name
 * @property {Parent} parent
 * @property {string} urn
 * @property {string[]} aliases
 * @property {string} identity
 * @property {number} count
 * @property {string} machineType
 * @property {number} rev
 */

/** @typedef {"group" | null} Parent The component a set is declared under, or none. */
/** @typedef {{ op: string; slot: number; kind: string; message: string }} Failure */
/** @typedef {{ slot: number; current: Resource | undefined; inputs: Resource["inputs"]; action?: "create" | "replace" | "update" | "same" }} PlanStep */

/**
 * What a `pulumi up` or `pulumi refresh` of the model did.
 * @typedef {object} StepResult
 * @property {boolean} ok
 * @property {Failure[]} failures
 * @property {Set<number>} operated Slots whose own set was created, updated or replaced.
 * @property {Set<number>} [touched] `operated` and the slots of the sets deleted.
 * @property {boolean} refused
 * @property {PlanStep[]} [plan]
 * @property {boolean} [refresh]
 */

/**
 * A node set operation that changed nodes, then failed (NodeSetPartialFailure): the engine stores
 * `properties` as the set's state.
 * @typedef {{ id: string; properties: SetState; reasons?: string[] }} PartialFailure
 */

/**
 * The campaign's findings and figures.
 * @typedef {object} Report
 * @property {number} seed
 * @property {number} steps
 * @property {number} sets
 * @property {{ ok: number; failed: number; refusedByCheck: number }} outcome
 * @property {Record<string, number>} operations
 * @property {Record<string, number>} calls
 * @property {Record<string, number>} faults
 * @property {Record<string, number>} faultsHit
 * @property {number} heals
 * @property {number} largestRequestIds
 * @property {{ client: number; createResends: number; adoptedAfterLostAnswer: number; adoptedAfter409: number }} retries
 * @property {Partial<RequestCounters> & { total: number }} requests
 * @property {Record<string, number>} violations
 * @property {{ step: number; kind: string; detail: string }[]} violationDetails
 * @property {Record<string, number>} messages
 * @property {number} durationSeconds
 * @property {number} [outputLines]
 * @property {number} [emulatorLogLines]
 * @property {number} [violationCount]
 */

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

/**
 * Room for every set at its largest, twice (create-before-delete), so capacity rarely binds; a
 * placement group of any bucket holds every node of it, far more than the spread set's groups.
 */
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
            {
              machineType: "Standard_Fs32_v2",
              vcpuCount: 32,
              memory: 64,
              maxCount: 60,
              maxPlacementGroupSize: 60,
            },
            {
              machineType: "Standard_Hc44rs",
              vcpuCount: 44,
              memory: 327.83,
              infiniband: true,
              maxCount: 60,
              maxPlacementGroupSize: 60,
            },
            {
              machineType: "Standard_D8s_v3",
              vcpuCount: 8,
              memory: 32,
              maxCount: 60,
              maxPlacementGroupSize: 60,
            },
          ],
        },
      ],
    },
  ],
};

/** Fault kinds and how often each is picked. */
/** @type {[string, number][]} */
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
/** @type {[import("../../emulator").FaultRoute, number][]} */
const ROUTES = [
  ["nodes", 5],
  ["create", 3],
  ["terminate", 2],
  ["status", 1],
  // The warm pool's calls (slot WARM_SLOT): shrinking deallocates, growing starts.
  ["deallocate", 1],
  ["start", 1],
];

const OPERATIONS = [
  "create",
  "grow",
  "shrink",
  "retype",
  "retag",
  "remove",
  "reup",
  "refresh",
  "rename",
  "reuse",
  "twin",
];

/** URNs the campaign's sets are declared under (as `pulumi.createUrn` makes them). */
const PROJECT = "reliability";
const STACK = "campaign";
const NODE_SET_TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
/** The component some sets are declared under (`parent: "group"`). */
const GROUP_TYPE = "reliability:index:Group";
/**
 * @param {string} name
 * @param {Parent} parent
 */
function urnOf(name, parent) {
  return `urn:pulumi:${STACK}::${PROJECT}::${parent ? `${GROUP_TYPE}$` : ""}${NODE_SET_TYPE}::${name}`;
}

/** A failed call must say what was attempted... */
const NAMES_OPERATION =
  /\b(GET|POST) \/|\bcreat|\bterminat|\bdeallocat|\bstart|\bdelet|\bdestroy|\brefresh|\bread\b|\bresiz|\bgrow|\bshrink|\badopt|\bready\b|\bpreflight|\badded \d+ of/i;
/** ...and what went wrong. */
const NAMES_CAUSE =
  /\b[1-5]\d\d\b|did not answer|unreachable|fail|refused|timed out|not (valid|recognized|ready|terminated)|added \d+ of \d+|connection|does not fit|reset|hang up|ECONN/i;

const USAGE = "use --seed N --steps N [--sets N] [--without KIND,...] [--trace] [--json]";

/**
 * The command line (see the comment at the top). Throws on a bad one.
 * @param {string[]} argv
 * @returns {Required<Options>}
 */
function parseArgs(argv) {
  /** @type {ReturnType<typeof parseStrict>} */
  let values;
  try {
    values = parseStrict(argv);
  } catch (error) {
    throw new Error(`${errorText(error)}; ${USAGE}`);
  }
  /** @param {"seed" | "steps" | "sets"} name */
  const whole = (name) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a whole number`);
    return v;
  };
  /** @type {Required<Options>} */
  const options = {
    seed: values.seed === undefined ? 1 : whole("seed"),
    steps: values.steps === undefined ? 200 : whole("steps"),
    sets: values.sets === undefined ? 4 : Math.max(1, whole("sets")),
    trace: values.trace ?? false,
    json: values.json ?? false,
    without: [],
  };
  if (values.without !== undefined) {
    options.without = values.without.split(",");
    const unknown = options.without.filter((kind) => !FAULT_KINDS.some(([k]) => k === kind));
    if (unknown.length > 0) throw new Error(`--without: unknown fault kind ${unknown.join(", ")}`);
  }
  return options;
}

/** @param {string[]} argv */
function parseStrict(argv) {
  const options = /** @type {const} */ ({
    seed: { type: "string" },
    steps: { type: "string" },
    sets: { type: "string" },
    trace: { type: "boolean" },
    json: { type: "boolean" },
    without: { type: "string" },
  });
  return util.parseArgs({ args: argv, options, strict: true }).values;
}

/**
 * mulberry32: a small seeded PRNG, so a seed replays the same campaign.
 * @param {number} seed
 */
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
    /**
     * @param {number} min
     * @param {number} max
     */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    /**
     * @template T
     * @param {readonly T[]} list not empty
     * @returns {T}
     */
    pick: (list) => {
      const item = list[Math.floor(next() * list.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    /**
     * @template T
     * @param {readonly (readonly [T, number])[]} pairs items and weights, not empty
     * @returns {T}
     */
    weighted: (pairs) => {
      const total = pairs.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [item, w] of pairs) {
        r -= w;
        if (r < 0) return item;
      }
      const last = pairs[pairs.length - 1];
      if (last === undefined) throw new Error("a weighted pick from an empty list");
      return last[0];
    },
  };
}

/** @param {unknown} error */
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * @param {unknown} error
 * @returns {error is PartialFailure}
 */
function isPartialFailure(error) {
  if (error === null || typeof error !== "object") return false;
  const { id, properties } = /** @type {{ id?: unknown; properties?: unknown }} */ (error);
  return typeof id === "string" && id !== "" && properties !== undefined;
}

/**
 * Paths of `undefined` values (Pulumi's Struct conversion rejects them).
 * @param {unknown} value
 * @returns {string[]}
 */
function undefinedPaths(value, at = "") {
  if (value === undefined) return [at || "(root)"];
  if (Array.isArray(value)) return value.flatMap((v, i) => undefinedPaths(v, `${at}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => undefinedPaths(v, at ? `${at}.${k}` : k));
  }
  return [];
}

/** The slot whose set shrinks by deallocating (`scaleDown: "deallocate"`) and grows by starting. */
const WARM_SLOT = 0;
/**
 * The slot whose set is spread over placement groups (`placementGroups`), of a small size so that
 * grows and shrinks cross group boundaries.
 */
const SPREAD_SLOT = 1;
const PLACEMENT_GROUPS = { prefix: "pg", size: 2 };

/**
 * The form of a node set operation's failure (provider/resource/failure-messages.ts): `<name>:
 * <operation> failed: <cause>; <what became of the nodes and state>[. <next step>]`, or `... did
 * not finish: ...` when nodes changed and the set is recorded with them.
 */
const OPERATION_FAILURE =
  /^(.+?): (create of .+?|(?:grow|shrink) from \d+ to \d+ nodes|update \(\d+ nodes\)|destroy \((?:terminate|deallocate) its nodes\)|refresh) (failed|did not finish): ([\s\S]*)$/;
/** What became of the nodes and state, after the cause (leftmost), by outcome. */
/** @type {Record<string, RegExp>} */
const CONSEQUENCES = {
  failed:
    /; (nothing was created and nothing is recorded in state|no node was changed and the state still lists the set's \d+ node\(s\)|the set stays in state with the \d+ node\(s\) it holds)(\. \S[\s\S]*)?$/,
  "did not finish": /; (the set is recorded with the \d+ node\(s\) it holds \(\d+ ready\))(\. \S[\s\S]*)?$/,
};
/** The operation a failure of each provider call must name. */
/** @type {Record<string, RegExp>} */
const CALL_OPERATIONS = {
  create: /^create of /,
  "replace-create": /^create of /,
  update: /^(grow from|shrink from|update \()/,
  delete: /^destroy \(/,
  read: /^refresh$/,
};

/**
 * Why a failure message is not good enough, or undefined. `call` (optional): `{ op, names }`, the
 * campaign's name of the failed call and every name the set was declared under; a create, update,
 * delete or read must then fail in the form of {@link OPERATION_FAILURE}, naming one of `names`,
 * the call's operation, and a cause of its own (the form's "failed" says nothing by itself).
 * @param {unknown} message
 * @param {{ op: string; names?: readonly string[] }} [call]
 * @returns {string | undefined}
 */
function messageProblem(message, call) {
  if (typeof message !== "string" || message.trim() === "") return "empty message";
  if (/\brequest failed\b/i.test(message) && message.length < 40) return "bare 'Request failed'";
  if (/\bundefined\b|\[object Object\]|\bNaN\b/.test(message))
    return "contains undefined/[object Object]/NaN";
  const expected = call ? CALL_OPERATIONS[call.op] : undefined;
  if (expected === undefined) {
    if (!NAMES_OPERATION.test(message)) return "does not name the operation";
    if (!NAMES_CAUSE.test(message)) return "does not name the cause";
    return undefined;
  }
  const form = OPERATION_FAILURE.exec(message);
  if (!form)
    return "is not of the form `<name>: <operation> failed|did not finish: <cause>; <what became of the nodes and state>`";
  // The expression's four groups always match (possibly empty) when it matches.
  const [, name = "", operation = "", outcome = "", rest = ""] = form;
  if (call?.names && !call.names.includes(name))
    return `names set '${name}', which is none of the set's names (${call.names.join(", ")})`;
  if (!expected.test(operation)) return `names the operation '${operation}' for a ${call?.op}`;
  const consequence = CONSEQUENCES[outcome]?.exec(rest);
  if (!consequence) return `does not say what became of the nodes and state after '${outcome}'`;
  const cause = rest.slice(0, consequence.index);
  if (cause.trim() === "") return "does not name the cause";
  if (!NAMES_CAUSE.test(cause)) return `does not name the cause ('${cause}')`;
  return undefined;
}

/**
 * Replaces ids, numbers and durations so messages of one shape group together.
 * @param {string} message
 */
function messageShape(message) {
  return message
    .replace(/pcc-[0-9a-f]{24}(-\d+)?/g, "<id>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/request-\d+/g, "request-N")
    .replace(/ondemand-\d+/g, "ondemand-N")
    .replace(/\d+/g, "N")
    .slice(0, 240);
}

/**
 * @param {Options} options
 * @returns {Promise<Report>}
 */
async function runCampaign(options) {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const steps = options.steps ?? 200;
  const setCount = options.sets ?? 4;
  /** @type {(line: string) => void} */
  const trace = options.trace ? (line) => process.stderr.write(`${line}\n`) : () => undefined;

  // Fast polling and retries, given to each provider made (its environment is empty: no
  // CYCLECLOUD_* variable of the shell reaches it).
  const tuning = { pollMinMs: 10, pollMaxMs: 40, retries: RETRIES, retryBaseDelayMs: 5 };

  /** @type {typeof import("../../emulator")} */
  const { startEmulator } = require(path.join(DIST, "emulator/index.js"));
  /** @type {typeof import("../../provider/resource/node-set-provider")} */
  const { createNodeSetProvider } = require(path.join(DIST, "provider/resource/node-set-provider.js"));

  /** @type {string[]} */
  const emulatorLog = [];
  const emu = await startEmulator({
    port: 0,
    password: PASSWORD,
    config: CAMPAIGN_CONFIG,
    timing: { acquiringMs: 20, preparingMs: 20, terminatingMs: 20 },
    log: (line) => emulatorLog.push(line),
  });
  const basic = Buffer.from(`${emu.username}:${PASSWORD}`).toString("base64");
  /** @type {Record<string, string>} */
  const stackConfig = {
    "cyclecloud:url": emu.url,
    "cyclecloud:username": emu.username,
    "cyclecloud:password": PASSWORD,
    "cyclecloud:timeoutSeconds": String(TIMEOUT_SECONDS),
  };

  // Everything the provider prints, as the engine would show it.
  /** @type {{ stream: string; line: string }[]} */
  const output = [];
  /** @type {(stream: string) => (line: string) => void} */
  const capture = (stream) => (line) => void output.push({ stream, line });
  const logger = { info: capture("log"), error: capture("error") };
  let provider = createNodeSetProvider({ logger, tuning, env: {} });

  const rng = prng(seed);
  const faultKinds = FAULT_KINDS.filter(([kind]) => !(options.without ?? []).includes(kind));
  /** @type {Report} */
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
  /** @type {(name: string, outcome: string) => void} */
  const countCall = (name, outcome) => {
    const key = `${name} ${outcome}`;
    report.calls[key] = (report.calls[key] ?? 0) + 1;
  };
  let currentStep = 0;
  const reported = new Set();
  /**
   * Counts a violation; one with a `key` (a node, a base) is counted once, when first seen.
   * @type {(kind: string, detail: string, key?: string) => void}
   */
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
  /** @type {(where: string, text: unknown) => void} */
  const checkSecret = (where, text) => {
    if (typeof text === "string" && (text.includes(PASSWORD) || text.includes(basic))) {
      violation("secret", `password in ${where}`);
    }
  };
  /** @type {(where: string, state: unknown) => void} */
  const checkStruct = (where, state) => {
    const paths = undefinedPaths(state);
    if (paths.length > 0) violation("struct", `${where}: undefined at ${paths.slice(0, 5).join(", ")}`);
    checkSecret(`${where} state`, JSON.stringify(state));
  };

  /**
   * An admin call; a 404 is returned, other failures throw.
   * @param {string} method
   * @param {string} route
   * @param {unknown} [body]
   * @returns {Promise<{ status: number; json: any }>} the answer as the route defines it
   */
  async function adminCall(method, route, body) {
    const response = await globalThis.fetch(`${emu.adminUrl}${route}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    });
    const json = await response.json();
    if (response.status >= 300 && response.status !== 404) {
      throw new Error(`admin ${method} ${route} answered ${response.status}: ${JSON.stringify(json)}`);
    }
    return { status: response.status, json };
  }

  // ---- the engine model -------------------------------------------------------------------------

  /** Resources in the stack's state: `{ slot, urn, id, inputs, state, initErrors, pendingDelete? }`. */
  /** @type {Resource[]} */
  let resources = [];
  /**
   * The program, by slot: each slot declares at most one node set, as `{ name, parent, urn, aliases,
   * identity, count, machineType, rev }`, or null. A slot keeps its set through renames.
   */
  /** @type {(SetSpec | null)[]} */
  const program = Array.from({ length: setCount }, () => null);
  /**
   * The set `slot` declares, where the model knows there is one.
   * @param {number} slot
   * @returns {SetSpec}
   */
  const specAt = (slot) => {
    const spec = program[slot];
    if (!spec) throw new Error(`slot ${slot} declares no set`);
    return spec;
  };
  /** Largest count each set was ever asked for since it was last empty (overshoot bound). */
  const everAsked = Array.from({ length: setCount }, () => 0);

  /**
   * A set created in a slot is named `set<slot>`, or after a removal, half of the time, a new name
   * `set<slot>-<generation>` (also a new explicit `requestId` for the last slot; under its old
   * `requestId`, the old request ids are answered 409 and skipped).
   */
  const generation = Array.from({ length: setCount }, () => 0);
  /** @param {number} slot */
  const defaultName = (slot) => `set${slot}${(generation[slot] ?? 0) > 0 ? `-${generation[slot]}` : ""}`;
  /** Identities in state, by the URN of their set they are at: `{ identity, slot }`. */
  /** @type {Map<string, { identity: string; slot: number }>} */
  const identities = new Map();
  /** Every name each identity was declared under (a message may name a former one). */
  /** @type {Map<string, string[]>} */
  const namesOf = new Map();
  /** URNs renames and moves left behind: `{ urn, name, parent }`. */
  /** @type {{ urn: string; name: string; parent: Parent }[]} */
  const vacated = [];
  let renameCount = 0;
  /** Tokens of new identities, from their own RNG so they do not shift the program and faults. */
  const tokenRng = prng((Math.imul(seed, 0x9e3779b1) ^ 0x1d3a7) >>> 0);
  /** @param {string} urn */
  const newIdentity = (urn) =>
    `${urn}#${Array.from({ length: 3 }, () =>
      Math.floor(tokenRng.next() * 2 ** 32)
        .toString(16)
        .padStart(8, "0"),
    ).join("")}`;
  /**
   * @param {string} identity
   * @param {string} name
   */
  const declareName = (identity, name) => namesOf.set(identity, [...(namesOf.get(identity) ?? []), name]);
  /** @param {Resource} r */
  const namesOfResource = (r) => [
    ...new Set([...(namesOf.get(r.inputs.identity) ?? []), ...(namesOf.get(r.state.identity) ?? [])]),
  ];
  /** @param {Resource} r */
  const label = (r) => `${r.inputs.name ?? "?"} of slot ${r.slot} (${r.id})`;
  /**
   * The set's inputs. The last slot has an explicit `requestId` (the same base across replacements);
   * the others derive theirs. `rev` > 0 adds `nodeAttributes` (a change replaces the set).
   * @param {number} slot
   */
  const declared = (slot) => {
    const spec = specAt(slot);
    /** @type {Record<string, unknown>} */
    const inputs = {
      identity: spec.identity,
      name: spec.name,
      cluster: CLUSTER,
      nodearray: NODEARRAY,
      count: spec.count,
      machineType: spec.machineType,
      readyTimeoutSeconds: 1.5,
      deleteTimeoutSeconds: 3,
    };
    if (spec.rev > 0) inputs.nodeAttributes = { Tags: { rev: String(spec.rev) } };
    if (slot === WARM_SLOT) inputs.scaleDown = "deallocate";
    if (slot === SPREAD_SLOT) inputs.placementGroups = { ...PLACEMENT_GROUPS };
    if (slot === setCount - 1) inputs.requestId = `campaign-set${slot}-g${generation[slot]}`;
    return inputs;
  };
  /** @type {(spec: SetSpec, urn: string) => boolean} */
  const claims = (spec, urn) => spec.urn === urn || spec.aliases.includes(urn);
  /**
   * The engine finds a set's old state by its URN, then by its aliases (pending deletes aside).
   * @param {number} slot
   */
  const liveResource = (slot) => {
    const spec = program[slot];
    if (!spec) return undefined;
    const live = resources.filter((r) => !r.pendingDelete);
    return live.find((r) => r.urn === spec.urn) ?? live.find((r) => spec.aliases.includes(r.urn));
  };
  /** @param {Resource} r */
  const isDeclared = (r) => program.some((spec) => spec !== null && claims(spec, r.urn));
  /**
   * Whether a set of `slot` may be declared under `urn`: no other set claims it and nothing of
   * another slot is in state under it. `fresh`: nothing at all is (a new resource, new identity).
   * @type {(urn: string, slot: number, fresh: boolean) => boolean}
   */
  const urnFree = (urn, slot, fresh) =>
    !program.some((spec, s) => spec !== null && (fresh || s !== slot) && claims(spec, urn)) &&
    !resources.some((r) => !r.pendingDelete && r.urn === urn && (fresh || r.slot !== slot)) &&
    !(identities.has(urn) && (fresh || identities.get(urn)?.slot !== slot));
  /** Old URNs a new set may take now: nothing in state under them, no set declared under them. */
  const reusable = () =>
    vacated.filter(
      (v, i) =>
        vacated.findIndex((w) => w.urn === v.urn) === i &&
        !program.some((spec) => spec !== null && spec.urn === v.urn) &&
        !resources.some((r) => !r.pendingDelete && r.urn === v.urn) &&
        !identities.has(v.urn),
    );
  /** @type {(parent: Parent) => Parent} */
  const otherParent = (parent) => (parent ? null : "group");
  /**
   * Sets declared in other slots whose name is free under the other parent.
   * @param {number} slot
   * @returns {SetSpec[]}
   */
  const twinnable = (slot) =>
    program.filter(
      /** @returns {spec is SetSpec} */
      (spec, s) =>
        spec !== null && s !== slot && urnFree(urnOf(spec.name, otherParent(spec.parent)), slot, true),
    );
  /** The identity resource registers before its set: created (or moved by an alias) once a plan runs. */
  function recordIdentities() {
    program.forEach((spec, slot) => {
      if (!spec) return;
      for (const alias of spec.aliases)
        if (identities.get(alias)?.identity === spec.identity) identities.delete(alias);
      identities.set(spec.urn, { identity: spec.identity, slot });
    });
  }
  /** Deletes of identities no set declares and no set in state refers to (after the sets' deletes). */
  function deleteIdentities() {
    for (const [urn, entry] of identities) {
      if (program.some((spec) => spec !== null && spec.urn === urn)) continue;
      if (resources.some((r) => r.inputs.identity === entry.identity || r.state.identity === entry.identity))
        continue;
      identities.delete(urn);
    }
  }

  /** A new provider process: fresh caches, stack config through configure. */
  async function freshProcess() {
    provider = createNodeSetProvider({ logger, tuning, env: {} });
    await provider.configure({
      config: { get: (key) => stackConfig[key], require: (key) => stackConfig[key] ?? "" },
    });
  }

  /**
   * `names`: every name the set was declared under (for a create, update, delete or read).
   * @param {Failure[]} failures
   * @param {string} op
   * @param {number} slot
   * @param {unknown} error
   * @param {string} kind
   * @param {readonly string[]} [names]
   */
  function recordFailure(failures, op, slot, error, kind, names) {
    const message = typeof error === "string" ? error : errorText(error);
    failures.push({ op, slot, kind, message });
    const problem = messageProblem(message, names ? { op, names } : undefined);
    if (problem) violation("message", `${op} of slot ${slot}: ${problem}: ${message}`);
    checkSecret(`${op} error message`, message);
    if (error instanceof Error) checkSecret(`${op} error stack`, error.stack);
    const shape = `${op}: ${messageShape(message)}`;
    report.messages[shape] = (report.messages[shape] ?? 0) + 1;
  }

  /**
   * A provider call, counted by outcome.
   * @template T
   * @param {string} name
   * @param {() => Promise<T>} fn
   * @returns {Promise<{ ok: true; value: T } | { ok: false; error: unknown }>}
   */
  async function call(name, fn) {
    try {
      const value = await fn();
      countCall(name, "ok");
      return { ok: /** @type {const} */ (true), value };
    } catch (error) {
      countCall(name, isPartialFailure(error) ? "partial" : "error");
      return { ok: /** @type {const} */ (false), error };
    }
  }

  /**
   * @param {Resource[]} targets
   * @param {Failure[]} failures
   */
  async function deleteResources(targets, failures) {
    await Promise.all(
      targets.map(async (r) => {
        const result = await call("delete", () => provider.delete(r.id, r.state));
        if (result.ok) resources = resources.filter((x) => x !== r);
        else recordFailure(failures, "delete", r.slot, result.error, "error", namesOfResource(r));
      }),
    );
  }

  /**
   * `pulumi up` of the current program.
   * @returns {Promise<StepResult>}
   */
  async function up() {
    await freshProcess();
    /** @type {Failure[]} */
    const failures = [];
    /** @type {Set<number>} */
    const operated = new Set();

    /** @type {PlanStep[]} */
    const plan = [];
    for (let slot = 0; slot < setCount; slot++) {
      if (program[slot] === null) continue;
      const current = liveResource(slot);
      const result = await call("check", () => provider.check(current ? current.inputs : {}, declared(slot)));
      if (!result.ok) {
        recordFailure(failures, "check", slot, result.error, "error");
        continue;
      }
      const checkFailures = result.value.failures ?? [];
      if (checkFailures.length > 0) {
        const text = checkFailures.map((f) => `${f.property}: ${f.reason}`).join("; ");
        recordFailure(failures, "check", slot, text, "check");
        continue;
      }
      plan.push({ slot, current, inputs: result.value.inputs });
    }
    if (failures.length > 0) return { ok: false, failures, operated, refused: true };

    for (const step of plan) {
      const current = step.current;
      if (!current) {
        step.action = "create";
        continue;
      }
      const result = await call("diff", () => provider.diff(current.id, current.state, step.inputs));
      if (!result.ok) {
        recordFailure(failures, "diff", step.slot, result.error, "error");
        step.action = "same";
        continue;
      }
      const diff = result.value;
      if ((diff.replaces ?? []).length > 0) step.action = "replace";
      else if (diff.changes !== false || current.initErrors) step.action = "update";
      else step.action = "same";
    }
    if (failures.length > 0) return { ok: false, failures, operated, refused: false };

    // The plan runs: identities are created or follow their set, unchanged sets take their new
    // inputs (a rename: the new name and URN) and keep their outputs, as a same step does.
    recordIdentities();
    for (const step of plan) {
      // A set is "same" only when it is in state.
      if (step.action !== "same" || !step.current) continue;
      step.current.inputs = step.inputs;
      step.current.urn = specAt(step.slot).urn;
    }

    await Promise.all(
      plan.map(async (step) => {
        const { slot, current, inputs } = step;
        if (step.action === "same") return;
        operated.add(slot);
        const names = namesOf.get(inputs.identity) ?? [];
        if (step.action === "create" || step.action === "replace") {
          const op = step.action === "create" ? "create" : "replace-create";
          const result = await call("create", () => provider.create(inputs));
          if (result.ok) {
            checkStruct(`${op} outs`, result.value.outs);
            resources.push({
              slot,
              urn: specAt(slot).urn,
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
              urn: specAt(slot).urn,
              id: result.error.id,
              inputs,
              state: result.error.properties,
              initErrors: result.error.reasons ?? [],
            });
            if (current) current.pendingDelete = true;
            recordFailure(failures, op, slot, result.error, "partial", names);
          } else {
            recordFailure(failures, op, slot, result.error, "error", names);
          }
          return;
        }
        // An update is planned only for a set in state.
        if (!current) return;
        const result = await call("update", () => provider.update(current.id, current.state, inputs));
        if (result.ok) {
          checkStruct("update outs", result.value.outs);
          current.state = result.value.outs;
          current.inputs = inputs;
          current.urn = specAt(slot).urn;
          current.initErrors = null;
        } else if (isPartialFailure(result.error)) {
          checkStruct("update partial-failure properties", result.error.properties);
          current.state = result.error.properties;
          current.inputs = inputs;
          current.urn = specAt(slot).urn;
          current.initErrors = result.error.reasons ?? [];
          recordFailure(failures, "update", slot, result.error, "partial", names);
        } else {
          recordFailure(failures, "update", slot, result.error, "error", names);
        }
      }),
    );
    if (failures.length > 0) return { ok: false, failures, operated, refused: false, plan };

    // `operated`: the slots whose own set was created, updated or replaced; `touched` adds the slots
    // of the sets deleted (replaced or dropped), whose deletion does not change the set declared
    // there (shortfall) but may take nodes of a base it shares with an explicit `requestId` (lost).
    const removed = resources.filter((r) => r.pendingDelete || !isDeclared(r));
    const touched = new Set([...operated, ...removed.map((r) => r.slot)]);
    await deleteResources(removed, failures);
    // The identities depend on nothing and their sets on them: deleted last, if every delete went.
    if (failures.length === 0) deleteIdentities();
    return { ok: failures.length === 0, failures, operated, touched, refused: false, plan };
  }

  /**
   * `pulumi refresh`: stores what read returns.
   * @returns {Promise<StepResult>}
   */
  async function refresh() {
    await freshProcess();
    /** @type {Failure[]} */
    const failures = [];
    await Promise.all(
      resources.map(async (r) => {
        const result = await call("read", () => provider.read(r.id, r.state));
        if (!result.ok) {
          recordFailure(failures, "read", r.slot, result.error, "error", namesOfResource(r));
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

  /** Faults of the current step: `{ kind, route?, count? }`. */
  /** @type {{ kind: string; route?: string; count?: number }[]} */
  let stepFaults = [];
  /** Nodes the emulator will still make fail (fail-next-nodes), as far as the campaign can tell. */
  let armedFailures = 0;
  /** @type {Set<string>} */
  const seenNodeIds = new Set();
  /** Whether the last deployment succeeded: the cluster and state were in order before this step. */
  let lastDeploymentOk = true;

  /**
   * Whether the step's faults are all transient and within the retry budget (per route, no more
   * failing requests than the client retries), with nothing else wrong: then the step must succeed.
   */
  function onlyAbsorbableFaults() {
    if (!lastDeploymentOk || armedFailures > 0) return false;
    /** @type {Map<string | undefined, number>} */
    const perRoute = new Map();
    for (const f of stepFaults) {
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
    /** @param {import("../../emulator").FaultInput} input */
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
    /** @type {import("../../emulator").Fault[]} */
    const faults = json.faults;
    const remaining = new Map(faults.map((f) => [f.id, f.remaining]));
    for (const f of injected) {
      const hit = f.count - (remaining.get(f.id) ?? 0);
      report.faultsHit[f.kind] = (report.faultsHit[f.kind] ?? 0) + hit;
    }
    injected = [];
    await adminCall("DELETE", "/faults");
  }

  // ---- invariants -------------------------------------------------------------------------------

  /** Node id -> the sets in state that held it at the last verification. */
  /** @type {Map<string, Resource[]>} */
  let lastOwners = new Map();
  /** Set in state -> what its read returned at the last verification. */
  /** @type {Map<Resource, SetState>} */
  let lastRefreshed = new Map();

  /** @param {StepResult} result */
  async function verify(result) {
    await settleFaults();
    await freshProcess();
    /** @type {Map<string, Resource[]>} */
    const owned = new Map();
    /** @type {Map<Resource, SetState>} */
    const refreshed = new Map();
    for (const r of resources) {
      const read = await call("verify-read", () => provider.read(r.id, r.state));
      if (!read.ok) {
        violation("refresh", `${label(r)}: ${errorText(read.error)}`);
        continue;
      }
      refreshed.set(r, read.value.props);
      report.largestRequestIds = Math.max(report.largestRequestIds, read.value.props.requestIds.length);
      for (const n of read.value.props.nodes) {
        const holders = owned.get(n.id) ?? [];
        const first = holders[0];
        if (first) {
          violation(
            "shared",
            `${n.name} (${n.id}) is held by ${label(r)} and by ${label(first)}` +
              `${first.pendingDelete || r.pendingDelete ? ", one of them pending deletion" : ""}`,
            n.id,
          );
        }
        owned.set(n.id, [...holders, r]);
      }
    }
    lastOwners = owned;
    lastRefreshed = refreshed;
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
            `${label(r)} holds ${n.name} (${n.id}), which the cluster ${node ? `is ${node.record.Status}` : "does not have"}`,
            n.id,
          );
        } else if (baseOf(node.requestId) !== r.id) {
          violation(
            "shared",
            `${label(r)} holds ${n.name} (${n.id}), made under request id ${node.requestId}, not under its own base`,
            `${n.id} ${r.id}`,
          );
        }
      }
    }
    // Sets of different identities never share a base, derived or from an explicit `requestId`.
    for (const [i, r] of resources.entries()) {
      const twin = resources
        .slice(0, i)
        .find((x) => x.id === r.id && x.inputs.identity !== r.inputs.identity);
      if (twin) {
        violation(
          "shared",
          `${label(r)} (identity ${r.inputs.identity}) and ${label(twin)} (identity ${twin.inputs.identity}) share base request id ${r.id}`,
          r.id,
        );
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
            ` (sets in state: ${resources.map((r) => `${label(r)}${r.pendingDelete ? " pending-delete" : ""}`).join(", ") || "none"})`,
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
        const bound = (everAsked[slot] ?? 0) * sets;
        if (healthy > bound) {
          violation(
            "overshoot",
            `slot ${slot} (${base}) has ${healthy} healthy nodes; it was never asked for more than ${bound}`,
            base,
          );
        }
      }
      if (!result.ok || result.refresh || !r || !spec) continue;
      const all = live.filter((n) => baseOf(n.requestId) === r.id);
      // The warm pool is the set's but not of its `count`: it may hold up to what it was asked for.
      const mine = all.filter((n) => !DEALLOCATED.has(n.record.Status));
      if (mine.length > spec.count || all.length > Math.max(spec.count, everAsked[slot] ?? 0)) {
        violation(
          "duplicate",
          `${spec.name} of slot ${slot} (${r.id}) declares count ${spec.count} but ${mine.length} active and ${all.length - mine.length} deallocated live nodes exist after a successful step`,
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
          `${spec.name} of slot ${slot} (${r.id}) declares ${spec.machineType}${spec.rev > 0 ? ` with Tags.rev ${spec.rev}` : ""} but holds ` +
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
        const active = r.state.nodes.filter((n) => !DEALLOCATED.has(n.status)).length;
        if (ready !== spec.count || active !== spec.count) {
          const others = mine.filter((n) => n.record.Status !== "Ready");
          violation(
            "shortfall",
            `${spec.name} of slot ${slot} (${r.id}) succeeded with ${ready} ready nodes in the cluster and ${active} active in state for count ${spec.count}` +
              (others.length > 0
                ? ` (not ready: ${others.map((n) => `${n.record.Name} ${n.record.Status}`).join(", ")})`
                : ""),
          );
        }
      }
    }
    if (result.ok && !result.refresh) {
      for (const r of resources) {
        if (r.pendingDelete || !isDeclared(r)) {
          violation("leftover", `${label(r)} is still in state after a successful deployment removed it`);
        }
      }
    }
  }

  /**
   * What the spread set held at the last verification, with the statuses its nodes have now
   * (taken before a deployment, after the step's faults).
   * @returns {import("./campaign/placement-groups").HeldBefore | undefined}
   */
  function spreadHeldBefore() {
    const r = liveResource(SPREAD_SLOT);
    const props = r && lastRefreshed.get(r);
    if (!r || !props) return undefined;
    const byId = new Map(emu.nodes().map((n) => [n.record.NodeId, n.record]));
    /** @type {(id: string) => { status: string; group: string | undefined }} */
    const seen = (id) => {
      const record = byId.get(id);
      return { status: record?.Status ?? "gone", group: record?.PlacementGroupId ?? undefined };
    };
    return { resource: r, nodes: new Map(props.nodes.map((n) => [n.id, seen(n.id)])) };
  }

  /**
   * The placement checks of every refreshed spread set; those of a settled layout for the set the
   * program declares when the deployment created, updated or replaced it and succeeded.
   * @param {StepResult} result
   * @param {import("./campaign/placement-groups").HeldBefore | undefined} before
   * @param {Set<string>} liveBefore
   */
  function checkSpreadSets(result, before, liveBefore) {
    const byId = new Map(emu.nodes().map((n) => [n.record.NodeId, n]));
    for (const [r, props] of lastRefreshed) {
      const groups = r.inputs.placementGroups;
      if (groups?.size === undefined) continue;
      const settled =
        result.ok && !result.refresh && result.operated.has(r.slot) && liveResource(r.slot) === r
          ? { before, liveBefore, sameResource: before?.resource === r }
          : undefined;
      checkPlacementGroups({
        groups: { prefix: groups.prefix, size: groups.size },
        base: r.id,
        what: label(r),
        props,
        byId,
        settled,
        violation,
      });
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
    const before = spreadHeldBefore();
    const liveBefore = new Set(liveNodes().map((n) => n.record.NodeId));
    /** @type {StepResult | undefined} */
    let result;
    for (let round = 1; round <= HEAL_ROUNDS; round++) {
      await refresh();
      result = await up();
      if (result.ok) break;
    }
    if (!result) throw new Error("HEAL_ROUNDS is 0");
    lastDeploymentOk = result.ok;
    if (!result.ok) {
      violation(
        "convergence",
        `${HEAL_ROUNDS} fault-free refresh + up rounds did not converge: ` +
          result.failures.map((f) => `slot ${f.slot} ${f.op}: ${f.message}`).join("; "),
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
          `${spec.name} of slot ${slot} declares ${spec.count} but after healing has ${ready} ready node(s) in the cluster` +
            (r ? ` and readyCount ${r.state.readyCount} in state` : " and is not in state"),
        );
      }
    }
    await verify(result);
    checkSpreadSets(result, before, liveBefore);
  }

  /**
   * After a successful deployment: no node that a set in the program held (at the last refresh) and
   * that was live when the deployment started is gone, unless the deployment changed that set.
   */
  /**
   * @param {StepResult} result
   * @param {Set<string>} liveBefore
   */
  function checkNothingLost(result, liveBefore) {
    const liveAfter = new Set(liveNodes().map((n) => n.record.NodeId));
    for (const [id, holders] of lastOwners) {
      if (!liveBefore.has(id) || liveAfter.has(id)) continue;
      for (const r of holders) {
        if (resources.includes(r) && !r.pendingDelete && isDeclared(r) && !result.touched?.has(r.slot)) {
          violation("lost", `${label(r)} lost ${id} in a deployment that did not change it`, id);
        }
      }
    }
  }

  // ---- the campaign -----------------------------------------------------------------------------

  function chooseStep() {
    const slot = rng.int(0, setCount - 1);
    const spec = program[slot];
    /** @type {[string, number][]} */
    const choices = spec
      ? [
          ["grow", 3],
          ["shrink", 3],
          ["retype", 2],
          ["retag", 1],
          ["remove", 1],
          ["reup", 2],
          ["refresh", 2],
          ["rename", 1],
        ]
      : [
          ["create", 4],
          ["reup", 1],
          ["refresh", 1],
          ...(reusable().length > 0 ? [/** @type {[string, number]} */ (["reuse", 1])] : []),
          ...(twinnable(slot).length > 0 ? [/** @type {[string, number]} */ (["twin", 1])] : []),
        ];
    return { slot, op: rng.weighted(choices) };
  }

  /**
   * A new set in the empty `slot`, under `name` and `parent`, with `identity`.
   * @param {number} slot
   * @param {string} name
   * @param {Parent} parent
   * @param {string} identity
   */
  function declareSet(slot, name, parent, identity) {
    const spec = {
      name,
      parent,
      urn: urnOf(name, parent),
      aliases: [],
      identity,
      count: rng.int(1, 4),
      machineType: rng.pick(MACHINE_TYPES),
      rev: 0,
    };
    program[slot] = spec;
    declareName(identity, name);
    const where = parent ? ` under ${parent}` : "";
    return `${name}${where}: ${spec.count} x ${spec.machineType}, identity ...${identity.slice(-8)}`;
  }

  /**
   * A rename of a set in state, for {@link checkRenamed}.
   * @typedef {{ slot: number; resource: Resource; identity: string; base: string; id: string; nodes: string[] }} Rename
   */

  /** @param {number} slot */
  const nextGeneration = (slot) => (generation[slot] = (generation[slot] ?? 0) + 1);

  /**
   * Changes the program; returns what changed, and for a rename the set's state before it.
   * @param {number} slot
   * @param {string} op
   * @returns {{ change: string; rename?: Rename }}
   */
  function applyToProgram(slot, op) {
    const spec = program[slot];
    switch (op) {
      case "create": {
        if (rng.next() < 0.5) nextGeneration(slot);
        while (!urnFree(urnOf(defaultName(slot), null), slot, false)) nextGeneration(slot);
        const urn = urnOf(defaultName(slot), null);
        // A URN whose identity is still in state (its set's removal did not go through) is the
        // same resource to the engine: it gets that identity back.
        return {
          change: declareSet(
            slot,
            defaultName(slot),
            null,
            identities.get(urn)?.identity ?? newIdentity(urn),
          ),
        };
      }
      case "reuse": {
        // A new set under the URN a renamed set left: a new identity. The alias that pointed there
        // is dropped (the rename went through: nothing is in state under the old URN any more).
        const old = rng.pick(reusable());
        for (const other of program) if (other) other.aliases = other.aliases.filter((a) => a !== old.urn);
        nextGeneration(slot);
        return {
          change: `old URN of a renamed set: ${declareSet(slot, old.name, old.parent, newIdentity(old.urn))}`,
        };
      }
      case "twin": {
        // A set of the same name as another, under the other parent: another URN, another identity.
        const other = rng.pick(twinnable(slot));
        const parent = otherParent(other.parent);
        nextGeneration(slot);
        return {
          change: `same name as a set of another parent: ${declareSet(slot, other.name, parent, newIdentity(urnOf(other.name, parent)))}`,
        };
      }
      case "remove":
        program[slot] = null;
        return { change: "removed" };
    }
    // The other operations change the set the slot declares (chooseStep picks them only then).
    if (!spec) return { change: "" };
    switch (op) {
      case "rename": {
        // A rename (or, a third of the time, a move to the other parent) with an alias to the old
        // URN: the engine keeps the set's state and identity; only its name and URN change.
        const before = liveResource(slot);
        /** @type {{ name: string; parent: Parent }} */
        const moved = { name: spec.name, parent: otherParent(spec.parent) };
        /** @type {{ name: string; parent: Parent }} */
        const renamed = { name: `${spec.name.replace(/-r\d+$/, "")}-r${++renameCount}`, parent: spec.parent };
        const to =
          rng.next() < 1 / 3 && urnFree(urnOf(moved.name, moved.parent), slot, true) ? moved : renamed;
        const from = { urn: spec.urn, name: spec.name, parent: spec.parent };
        vacated.push(from);
        spec.aliases = [...spec.aliases.filter((a) => a !== urnOf(to.name, to.parent)), from.urn];
        Object.assign(spec, to, { urn: urnOf(to.name, to.parent) });
        declareName(spec.identity, spec.name);
        const change =
          to === moved
            ? `${from.name} moved ${to.parent ? `under ${to.parent}` : "to the top level"} (alias to its old URN)`
            : `${from.name} renamed ${to.name} (alias to its old URN)`;
        if (!before) return { change: `${change}; not in state yet` };
        const nodes = [...lastOwners].filter(([, holders]) => holders.includes(before)).map(([id]) => id);
        return {
          change,
          rename: {
            slot,
            resource: before,
            identity: before.inputs.identity,
            base: before.inputs.baseRequestId,
            id: before.id,
            nodes,
          },
        };
      }
      case "grow":
        spec.count = Math.min(6, spec.count + rng.int(1, 2));
        return { change: `count ${spec.count}` };
      case "shrink":
        spec.count = Math.max(0, spec.count - rng.int(1, 2));
        return { change: `count ${spec.count}` };
      case "retype": {
        spec.machineType = rng.pick(MACHINE_TYPES.filter((m) => m !== spec.machineType));
        return { change: `machineType ${spec.machineType}` };
      }
      case "retag":
        spec.rev += 1;
        return { change: `nodeAttributes.Tags.rev ${spec.rev}` };
      default:
        return { change: "" };
    }
  }

  /**
   * After a step that renamed (or moved) a set that was in state: the plan kept its identity and
   * base request id and did not replace it; and when the set was left unchanged or the deployment
   * succeeded, it holds every node it held that is still live, and nothing not made under its base.
   */
  /**
   * @param {StepResult} result
   * @param {Rename} rename
   */
  function checkRenamed(result, rename) {
    const { slot, resource: r, identity, base, id, nodes } = rename;
    if (result.refused) return;
    const step = (result.plan ?? []).find((x) => x.slot === slot);
    if (!step) return; // the plan stopped at a diff: nothing was recorded
    const what = `${program[slot]?.name ?? "?"} of slot ${slot} (${id}), renamed`;
    if (step.current !== r) {
      violation("renamed", `${what}: the engine did not find its state through the alias`);
      return;
    }
    if (step.inputs.identity !== identity)
      violation("renamed", `${what}: check changed its identity ${identity} to ${step.inputs.identity}`);
    if (step.inputs.baseRequestId !== base)
      violation(
        "renamed",
        `${what}: check changed its base request id ${base} to ${step.inputs.baseRequestId}`,
      );
    if (step.action === "replace") violation("renamed", `${what}: the rename replaced the set`);
    if (step.action === "replace" || !(step.action === "same" || result.ok)) return;
    if (!resources.includes(r) || r.pendingDelete) {
      violation("renamed", `${what}: no longer in state after the rename`);
      return;
    }
    if (r.urn !== program[slot]?.urn)
      violation("renamed", `${what}: state still under ${r.urn} after a ${step.action} step`);
    const props = lastRefreshed.get(r);
    if (!props) return; // its refresh failed: reported as such
    const held = new Set(props.nodes.map((n) => n.id));
    const byId = new Map(emu.nodes().map((n) => [n.record.NodeId, n]));
    /** @param {string} nodeId */
    const stillLive = (nodeId) => {
      const node = byId.get(nodeId);
      return node !== undefined && !LEAVING.has(node.record.Status);
    };
    const dropped = nodes.filter((nodeId) => stillLive(nodeId) && !held.has(nodeId));
    if (dropped.length > 0)
      violation(
        "renamed",
        `${what}: no longer holds ${dropped.join(", ")}, which it held and which are live`,
      );
    const gained = props.nodes.filter(
      (n) => !nodes.includes(n.id) && baseOf(byId.get(n.id)?.requestId) !== r.id,
    );
    if (gained.length > 0)
      violation(
        "renamed",
        `${what}: now holds ${gained.map((n) => `${n.name} (${n.id}, request ${byId.get(n.id)?.requestId})`).join(", ")}, not made under its base`,
      );
  }

  try {
    await createForeignNodes();
    for (currentStep = 1; currentStep <= steps; currentStep++) {
      const { slot, op } = chooseStep();
      const { change, rename } = applyToProgram(slot, op);
      for (let s = 0; s < setCount; s++) everAsked[s] = Math.max(everAsked[s] ?? 0, program[s]?.count ?? 0);
      report.operations[op] = (report.operations[op] ?? 0) + 1;
      const stepStarted = Date.now();
      trace(`step ${currentStep}: slot ${slot} ${op} ${change}`);

      stepFaults = [];
      const faultCount = rng.next() < 0.75 ? (rng.next() < 0.25 ? 2 : 1) : 0;
      for (let i = 0; i < faultCount; i++) await injectFault(op);

      const liveBefore = new Set(liveNodes().map((n) => n.record.NodeId));
      const spreadBefore = spreadHeldBefore();
      const absorbable = onlyAbsorbableFaults();
      const result = op === "refresh" ? await refresh() : await up();
      if (absorbable && !result.ok) {
        violation(
          "absorbed",
          `transient faults within the retry budget (${stepFaults.map((f) => `${f.kind} x${f.count} on ${f.route}`).join(", ") || "none"}) ` +
            `failed the step: ${result.failures.map((f) => `slot ${f.slot} ${f.op}: ${f.message}`).join("; ")}`,
        );
      }
      if (!result.refresh) lastDeploymentOk = result.ok;
      if (result.ok && !result.refresh) checkNothingLost(result, liveBefore);
      if (result.ok) report.outcome.ok += 1;
      else if (result.refused) report.outcome.refusedByCheck += 1;
      else report.outcome.failed += 1;
      for (const f of result.failures) trace(`  ${f.kind} ${f.op} slot ${f.slot}: ${f.message}`);
      trace(`  -> ${result.ok ? "ok" : "failed"} (${Date.now() - stepStarted} ms)`);
      trace(
        `  state: ${resources
          .map(
            (r) =>
              `${r.inputs.name}@${r.slot}=${r.id}${r.pendingDelete ? "(pending delete)" : ""}:${r.state.nodes.length}/${r.inputs.count}` +
              (r.state.placementGroupCounts ? JSON.stringify(r.state.placementGroupCounts) : ""),
          )
          .join(" ")}; cluster: ${emu.nodes().length} node(s)`,
      );

      await verify(result);
      checkSpreadSets(result, spreadBefore, liveBefore);
      if (rename && !result.refresh) checkRenamed(result, rename);
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
    await sleep(100);
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

/** @param {Report} report */
function formatReport(report) {
  /** @param {Record<string, number>} record */
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
      `terminate ${report.requests.terminate}, deallocate ${report.requests.deallocate}, start ${report.requests.start}, ` +
      `status ${report.requests.status}); ` +
      `longest requestIds list in state: ${report.largestRequestIds}`,
    `invariant violations: ${report.violationCount}${(report.violationCount ?? 0) > 0 ? ` (${list(report.violations)})` : ""}`,
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
      process.exit((report.violationCount ?? 0) > 0 ? 1 : 0);
    },
    (error) => {
      process.stderr.write(`campaign crashed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(2);
    },
  );
}
