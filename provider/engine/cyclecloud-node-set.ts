import * as pulumi from "@pulumi/pulumi";
import type {
  AdoptExisting,
  ArgKey,
  ConnectionArgs,
  ExternalRemovals,
  OnDeleteAction,
  PlacementGroups,
  PreflightMode,
  ScaleDown,
} from "../core/inputs";
import { ARG_KEYS, SECRET_KEYS } from "../core/inputs";
import { CycleCloudNodeSetIdentity } from "./node-set-identity";
import type { NodeInfo } from "../core/node-set-state";
import { asResourceProvider, nodeSetProviderShim } from "./provider-shim";

/** Inputs of {@link CycleCloudNodeSet}. */
export interface CycleCloudNodeSetArgs {
  /** Name of the CycleCloud cluster, e.g. `"hpc"`. Changing it replaces the set. */
  cluster: pulumi.Input<string>;
  /** Nodearray the nodes are created from, e.g. `"ondemand"`. Changing it replaces the set. */
  nodearray: pulumi.Input<string>;
  /** How many healthy nodes the set holds (whole number >= 0). Changing it resizes in place. */
  count: pulumi.Input<number>;
  /**
   * VM size, e.g. `"Standard_Hc44rs"`. Changing it replaces the set.
   * @default the nodearray's first bucket that can satisfy the set
   */
  machineType?: pulumi.Input<string>;
  /**
   * Placement group to create the nodes in. Changing it replaces the set. Preview refuses a `count`
   * above the bucket's `maxPlacementGroupSize` (or its core size): use `placementGroups` then.
   */
  placementGroupId?: pulumi.Input<string>;
  /**
   * Spreads the set over placement groups `<prefix>0`, `<prefix>1`, ..., each holding at most
   * `size` nodes: filled in order, emptied from the last. Exclusive with `placementGroupId`.
   * Changing `prefix` or `size` replaces the set.
   * @default size: the bucket's `maxPlacementGroupSize` (and core size)
   */
  placementGroups?: pulumi.Input<PlacementGroups>;
  /** Node record keys applied to every node, e.g. `{ KeepAlive: true }`. Changing them replaces the set. */
  nodeAttributes?: pulumi.Input<Record<string, unknown>>;
  /**
   * Node name format with `%d`, e.g. `"mpi-%d"`. Changing it replaces the set.
   * @default "<nodearray>-%d"
   */
  nameFormat?: pulumi.Input<string>;
  /** Index offset used with `nameFormat`. Changing it replaces the set. */
  nameOffset?: pulumi.Input<number>;
  /**
   * A readable prefix of the set's create request ids: the set's base is
   * `<requestId>.<8 hex digits>` of its identity and replace-triggering inputs, so it is unique to
   * this set even when one program runs in several stacks or a component uses the same value twice
   * (each request is `<base>-<n>`). Changing it replaces the set. A value in the library's own base
   * format (`pcc-` and 24 hex digits, or ending `.` and 8 hex digits) is refused: it may be another
   * set's base. A set in state keeps the base it has.
   * @default `pcc-` and 24 hex digits derived from the set's identity (unique to this resource,
   * kept through renames with `aliases`) and its replace-triggering inputs
   */
  requestId?: pulumi.Input<string>;
  /**
   * Wait until every node is `Ready` with an address before finishing create or update.
   * @default true
   */
  waitForReady?: pulumi.Input<boolean>;
  /**
   * How long to wait for readiness; a timeout records the set with its nodes as a partial failure.
   * (`customTimeouts` does not reach dynamic resources.)
   * @default 1800
   */
  readyTimeoutSeconds?: pulumi.Input<number>;
  /**
   * How long delete (and a shrink) waits for nodes to be gone.
   * @default 900
   */
  deleteTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Capacity check of any increase during preview: `"enforce"` fails the plan if it cannot fit,
   * `"warn"` prints the problem, `"off"` skips the check.
   * @default "enforce"
   */
  preflight?: pulumi.Input<PreflightMode>;
  /**
   * What destroying the set does to its nodes.
   * @default "terminate"
   */
  onDelete?: pulumi.Input<OnDeleteAction>;
  /**
   * Replace the set by terminating its nodes first, then creating the new ones (the order of the
   * `deleteBeforeReplace` resource option, which sets it too). Preflight then counts the old nodes
   * as freed: use it when the cluster cannot hold the old and the new set at once. The nodes are
   * gone for the time the new ones take to become ready.
   * @default false (create the new nodes first, then terminate the old ones)
   */
  deleteBeforeReplace?: pulumi.Input<boolean>;
  /**
   * What the set does when something else (CycleCloud's autoscaler, an operator) terminates one of
   * its nodes: `"replace"` makes the next `pulumi up` create a new one, so the set always holds
   * `count` nodes; `"forget"` drops it from the set for good, so the set only ever shrinks by
   * itself and grows again only when `count` changes. Changing it touches no node.
   * @default "replace"
   */
  externalRemovals?: pulumi.Input<ExternalRemovals>;
  /**
   * Nodes created outside Pulumi to bring under management: `{ requestId }` or `{ nodeIds }`.
   * Nodes that do not match the declared spec are refused, and so are nodes whose request id this
   * library made for another node set. (`pulumi import` cannot work for dynamic resources; this is
   * how to import.) `{ requestId, orphaned: true }` asserts that no stack holds that request's
   * nodes (e.g. a set destroyed while its create was pending): the library cannot check it, and
   * adopts them even if their request id is a library one. The set terminates what it adopts on
   * destroy: assert it only when you know it.
   */
  adoptExisting?: pulumi.Input<AdoptExisting>;
  // Warm pool and readiness (issue 12).
  /**
   * What a smaller `count` does to the nodes it drops: `"terminate"` them, or `"deallocate"` them
   * and keep them as the set's warm pool (`deallocatedCount`); a larger `count` first starts the
   * set's deallocated nodes, then creates only the rest. Changing it touches no node.
   * @default "terminate"
   */
  scaleDown?: pulumi.Input<ScaleDown>;
  /**
   * Fewest `Ready` nodes for `up` to succeed (whole number 1..`count`): nodes that failed are then
   * reported in a warning and kept in state, and the next `up` replaces them. Touches no node.
   * @default count
   */
  minReady?: pulumi.Input<number>;
  /**
   * Connection settings for this set only. The password given here is stored in state as a
   * secret; prefer stack config (`cyclecloud:password`, set with `--secret`) or
   * `CYCLECLOUD_PASSWORD`, which keep it out of state.
   * @default stack config `cyclecloud:*`, then `CYCLECLOUD_*` environment variables
   */
  connection?: pulumi.Input<ConnectionArgs>;
}

/** Compile-time check: the documented arguments are exactly the program's inputs of inputs.ts. */
type SameKeys<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : never;
const argsMatchInputs: SameKeys<keyof CycleCloudNodeSetArgs, ArgKey> = true;
void argsMatchInputs;

/** Output properties, seeded as undefined so the engine knows them. */
const OUTPUT_KEYS = [
  "baseRequestId",
  "requestIds",
  "adoptedNodeIds",
  "nodes",
  "nodeIds",
  "hostnames",
  "privateIps",
  "readyCount",
  "failedCount",
  "bucketId",
  "forgottenCount",
  "placementGroupCounts",
  "deallocatedCount",
] as const;

/**
 * A set of CycleCloud nodes of one spec, managed as one resource: `pulumi up` creates (or resizes,
 * or replaces) the nodes and waits until they are ready, `pulumi refresh` sees nodes that failed or
 * were removed, `pulumi destroy` terminates exactly the set's nodes.
 *
 * ```ts
 * const mpi = new CycleCloudNodeSet("mpi", {
 *   cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Hc44rs", placementGroupId: "pg0", count: 4,
 * });
 * export const hosts = mpi.hostnames;
 * ```
 */
export class CycleCloudNodeSet extends pulumi.dynamic.Resource {
  /** Base of the set's create request ids; also the set's id. */
  declare readonly baseRequestId: pulumi.Output<string>;
  /** Every create request this set has made (and adopted), in order. */
  declare readonly requestIds: pulumi.Output<string[]>;
  /** Nodes adopted by id through `adoptExisting.nodeIds`. */
  declare readonly adoptedNodeIds: pulumi.Output<string[] | undefined>;
  /** The set's nodes, sorted by name. */
  declare readonly nodes: pulumi.Output<NodeInfo[]>;
  declare readonly nodeIds: pulumi.Output<string[]>;
  declare readonly hostnames: pulumi.Output<string[]>;
  declare readonly privateIps: pulumi.Output<string[]>;
  /** Nodes `Ready` with an address. */
  declare readonly readyCount: pulumi.Output<number>;
  /** Nodes `Failed`; the next `pulumi up` replaces them. */
  declare readonly failedCount: pulumi.Output<number>;
  /** The cluster bucket the nodes are in. */
  declare readonly bucketId: pulumi.Output<string | undefined>;
  /**
   * With `externalRemovals: "forget"`: nodes something else terminated since `count` last changed,
   * which the set no longer replaces (it holds `count - forgottenCount`).
   */
  declare readonly forgottenCount: pulumi.Output<number | undefined>;
  /** With `placementGroups`: nodes per placement group, e.g. `{ pg0: 40, pg1: 3 }`. */
  declare readonly placementGroupCounts: pulumi.Output<Record<string, number> | undefined>;
  /** Nodes `Deallocated`: the set's warm pool, started first when `count` grows. */
  declare readonly deallocatedCount: pulumi.Output<number>;

  // Inputs echoed as outputs.
  declare readonly cluster: pulumi.Output<string>;
  declare readonly nodearray: pulumi.Output<string>;
  declare readonly count: pulumi.Output<number>;
  declare readonly machineType: pulumi.Output<string | undefined>;
  declare readonly placementGroupId: pulumi.Output<string | undefined>;

  constructor(name: string, args: CycleCloudNodeSetArgs, opts?: pulumi.CustomResourceOptions) {
    // Declared first: the set's create waits for it, so it is in state before any node exists.
    const identity = new CycleCloudNodeSetIdentity(name, opts ?? {});
    const props: Record<string, unknown> = { identity: identity.identity, name };
    for (const key of ARG_KEYS) props[key] = args[key];
    // Keys the set does not know (a misspelt input from JavaScript or spread config) reach `check`,
    // which refuses them naming the nearest known input.
    const known: readonly string[] = ARG_KEYS;
    for (const [key, value] of Object.entries(args)) if (!known.includes(key)) props[key] = value;
    if (args.deleteBeforeReplace === undefined && opts?.deleteBeforeReplace === true) {
      props["deleteBeforeReplace"] = true;
    }
    for (const key of SECRET_KEYS) if (args[key] !== undefined) props[key] = pulumi.secret(args[key]);
    for (const key of OUTPUT_KEYS) props[key] = undefined;
    super(
      asResourceProvider(nodeSetProviderShim),
      name,
      props,
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...SECRET_KEYS] },
      "cyclecloud",
      "CycleCloudNodeSet",
    );
  }
}
