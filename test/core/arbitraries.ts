/**
 * Generators of realistic node-set states for the property tests of the pure planner: nodes in
 * every phase CycleCloud reports, of this set's create requests and of others' (another set, another
 * request base), in placement groups or not, failed for capacity or for other reasons, stuck or not.
 */
import fc from "fast-check";
import type { NodeInfo } from "../../provider/core/node-set-state";
import { deriveBaseRequestId, requestIdFor } from "../../provider/core/request-id";

/** The clock of every generated state (ms); `requestedAt` is placed relative to it. */
export const NOW = Date.parse("2026-12-07T12:00:00Z");
/** The `readyTimeoutSeconds` the convergence properties plan with. */
export const READY_TIMEOUT_SECONDS = 1800;

/**
 * Cases per property. Each property has a fixed seed, so a failure replays with the same command
 * (fast-check prints the seed, the shrunk counterexample and its path). `PROPTEST_RUNS=20000`
 * searches longer from the same seeds.
 */
export const RUNS = Number(process.env["PROPTEST_RUNS"] ?? 2000);

/** Every `Status` the library judges, with the ones it does not know yet (`Started`). */
export const STATUSES = [
  "Ready",
  "Failed",
  "Unavailable",
  "Acquiring",
  "Allocation",
  "Preparing",
  "Off",
  "Started",
  "Deallocated",
  "Stopping",
  "Terminating",
  "Terminated",
] as const;

const CAPACITY_MESSAGES = [
  "AllocationFailed: Allocation failed. We do not have sufficient capacity for the requested VM size",
  "QuotaExceeded: Operation could not be completed as it results in exceeding approved standardHCSFamily Cores quota",
  "SkuNotAvailable: The requested size Standard_HB120rs_v3 is currently not available",
];
const OTHER_MESSAGES = [
  "Cloud-init failed: exit code 1",
  "Software configuration failed",
  "Cannot reach the VM",
];

/** A base this library derives, from an identity and a nodearray (`pcc-` or `<prefix>.<8 hex>`). */
export const baseArb = fc
  .record({
    token: fc.stringMatching(/^[a-z0-9]{6}$/),
    nodearray: fc.constantFrom("ondemand", "gpu", "spot"),
    requestId: fc.option(fc.constantFrom("mpi", "hpc-job", "team.a"), { nil: undefined }),
  })
  .map(({ token, nodearray, requestId }) =>
    deriveBaseRequestId(`urn:pulumi:dev::hpc::cyclecloud:NodeSet::s#${token}`, {
      cluster: "hpc",
      nodearray,
      ...(requestId === undefined ? {} : { requestId }),
    }),
  );

/** What a generated node's `requestId` is relative to the set: one of its own requests, or not. */
type Origin =
  { kind: "own"; sequence: number } | { kind: "foreign"; base: string; sequence: number } | { kind: "none" };

export interface NodeDraft {
  status: (typeof STATUSES)[number];
  hasIp: boolean;
  origin: Origin;
  capacityFailure: boolean;
  /** Seconds before NOW its create request started, or undefined (no `requestedAt`). */
  age: number | undefined;
  recordKept: boolean;
  group: number | undefined;
}

export const nodeDraftArb: fc.Arbitrary<NodeDraft> = fc.record({
  status: fc.constantFrom(...STATUSES),
  hasIp: fc.boolean(),
  origin: fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("own" as const), sequence: fc.nat(4) }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant("foreign" as const), base: baseArb, sequence: fc.nat(4) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "none" as const }) },
  ),
  capacityFailure: fc.boolean(),
  age: fc.option(fc.nat(2 * READY_TIMEOUT_SECONDS), { nil: undefined }),
  recordKept: fc.boolean(),
  group: fc.option(fc.nat(4), { nil: undefined }),
});

/** Turns drafts into the nodes of a set of base `base` (names `ondemand-1`, ... in draft order). */
export function nodesOf(base: string, drafts: readonly NodeDraft[], groupPrefix?: string): NodeInfo[] {
  return drafts.map((d, i) => {
    const node: NodeInfo = { id: `node-${i + 1}`, name: `ondemand-${i + 1}`, status: d.status };
    if (d.hasIp) node.privateIp = `10.1.0.${i + 1}`;
    if (d.origin.kind === "own") {
      node.requestId =
        groupPrefix !== undefined && d.group !== undefined
          ? requestIdFor(`${base}.pg${d.group}`, d.origin.sequence)
          : requestIdFor(base, d.origin.sequence);
    } else if (d.origin.kind === "foreign") node.requestId = requestIdFor(d.origin.base, d.origin.sequence);
    if (d.status === "Failed" || d.status === "Unavailable") {
      node.statusMessage = (d.capacityFailure ? CAPACITY_MESSAGES : OTHER_MESSAGES)[i % 3] ?? "";
    }
    if (d.age !== undefined) node.requestedAt = new Date(NOW - d.age * 1000).toISOString();
    // A kept record of a terminated `Fixed` node: `Off`, no address.
    if (d.recordKept && d.status === "Off" && !d.hasIp) node.recordKept = true;
    if (groupPrefix !== undefined && d.group !== undefined)
      node.placementGroupId = `${groupPrefix}${d.group}`;
    return node;
  });
}

/** A set's node list: 0-24 nodes of every phase. */
export const setArb = fc.record({
  base: baseArb,
  drafts: fc.array(nodeDraftArb, { maxLength: 24 }),
  target: fc.nat(20),
});
