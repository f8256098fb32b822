// @ts-check
"use strict";
/** The campaign's fixed settings: cluster, emulator config, timeouts, fault kinds and routes, slots. */

const path = require("node:path");

const DIST = process.env.RELIABILITY_DIST
  ? path.resolve(process.env.RELIABILITY_DIST)
  : path.resolve(__dirname, "../../../dist");

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
/** @type {[import("../../../emulator").FaultRoute, number][]} */
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

/** The slot whose set shrinks by deallocating (`scaleDown: "deallocate"`) and grows by starting. */
const WARM_SLOT = 0;
/**
 * The slot whose set is spread over placement groups (`placementGroups`), of a small size so that
 * grows and shrinks cross group boundaries.
 */
const SPREAD_SLOT = 1;
const PLACEMENT_GROUPS = { prefix: "pg", size: 2 };

module.exports = {
  DIST,
  CLUSTER,
  NODEARRAY,
  MACHINE_TYPES,
  TIMEOUT_SECONDS,
  SLOW_DELAY_MS,
  RETRIES,
  PASSWORD,
  HEAL_EVERY,
  HEAL_ROUNDS,
  CAMPAIGN_CONFIG,
  FAULT_KINDS,
  TRANSIENT_FAULTS,
  ROUTES,
  OPERATIONS,
  WARM_SLOT,
  SPREAD_SLOT,
  PLACEMENT_GROUPS,
};
