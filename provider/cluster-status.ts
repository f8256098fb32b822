import * as pulumi from "@pulumi/pulumi";
import { CycleCloudClient } from "./client";
import { resolveConnection } from "./connection";
import type { ConnectionArgs } from "./resource/inputs";
import type { ClusterStatus } from "./schemas";

export interface GetClusterStatusArgs {
  /** Name of the CycleCloud cluster, e.g. `"hpc"`. */
  cluster: string;
  /**
   * Also return every node (`nodes` and each bucket's `activeNodes`).
   * @default false
   */
  nodes?: boolean;
  /** @default stack config `cyclecloud:*`, then `CYCLECLOUD_*` environment variables */
  connection?: ConnectionArgs;
}

export interface GetClusterStatusOutputArgs {
  cluster: pulumi.Input<string>;
  nodes?: pulumi.Input<boolean>;
  connection?: pulumi.Input<ConnectionArgs>;
}

/**
 * Reads a cluster's status: nodearrays, buckets and their capacity. Runs in the program, in
 * preview as well, so a program can check capacity before declaring node sets (see `capacityFit`).
 */
export async function getClusterStatus(args: GetClusterStatusArgs): Promise<ClusterStatus> {
  const connection = resolveConnection(args.connection, (key) => pulumi.runtime.getConfig(key));
  const client = new CycleCloudClient({
    ...connection,
    logger: (line) => pulumi.log.warn(`cyclecloud: ${line}`),
  });
  return client.getClusterStatus(args.cluster, { nodes: args.nodes ?? false });
}

/** {@link getClusterStatus} for `Input` arguments, as an `Output`. */
export function getClusterStatusOutput(args: GetClusterStatusOutputArgs): pulumi.Output<ClusterStatus> {
  return pulumi.output(args).apply((resolved) => {
    const plain: GetClusterStatusArgs = { cluster: resolved.cluster };
    if (resolved.nodes !== undefined) plain.nodes = resolved.nodes;
    if (resolved.connection !== undefined) plain.connection = resolved.connection as ConnectionArgs;
    return getClusterStatus(plain);
  });
}
