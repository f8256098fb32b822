import * as pulumi from "@pulumi/pulumi";
import { CycleCloudClient, MAX_MESSAGE_LENGTH, plainText } from "../client";
import { CONNECTION_SOURCES, ConnectionConfigError, resolveConnection } from "../core/connection";
import { connectionSchema } from "../core/connection-args";
import type { ConnectionArgs, PlainConnectionArgs } from "../core/connection-args";
import { invalidNameReason, isValidName } from "../core/inputs-names";
import type { ClusterStatus } from "../../wire/schemas";

export interface GetClusterStatusArgs {
  /** Name of the CycleCloud cluster, e.g. `"hpc"`. */
  cluster: string;
  /**
   * Also return every node (`nodes` and each bucket's `activeNodes`).
   * @default false
   */
  nodes?: boolean;
  /**
   * Each field may be an `Input` (e.g. `config.requireSecret(...)`); all must be known, so an
   * output of a resource not yet created fails during preview: use {@link getClusterStatusOutput}.
   * @default stack config `cyclecloud:*`, then `CYCLECLOUD_*` environment variables
   */
  connection?: ConnectionArgs;
}

export interface GetClusterStatusOutputArgs {
  cluster: pulumi.Input<string>;
  nodes?: pulumi.Input<boolean>;
  connection?: pulumi.Input<ConnectionArgs>;
}

/**
 * Resolves each `Input` field of a connection (plain value, Promise or Output) to its value, the
 * way Pulumi resolves the arguments of an invoke (`pulumi.runtime.serializeProperty`): secrets are
 * unwrapped, and an Output that is unknown (preview) fails, naming the field, instead of waiting
 * for a value that will not come.
 */
async function resolveConnectionInputs(connection: ConnectionArgs): Promise<PlainConnectionArgs | undefined> {
  const resolved: Record<string, unknown> = {};
  // Keys it does not know too: the schema refuses them naming the nearest setting, as a node set's
  // `connection` does (a misspelt `usrname` would otherwise be dropped and the user name taken
  // from stack config or the environment).
  const fields = new Set([...Object.keys(CONNECTION_SOURCES), ...Object.keys(connection)]);
  for (const field of fields as Set<keyof ConnectionArgs>) {
    const input = connection[field];
    if (input === undefined) continue;
    let value: unknown = await pulumi.runtime.serializeProperty(`connection.${field}`, input);
    if (value === pulumi.runtime.unknownValue) {
      throw new ConnectionConfigError(
        `\`connection.${field}\` is not known yet during preview: it depends on a resource output that ` +
          "only `pulumi up` computes. getClusterStatus needs every connection setting known; use " +
          "getClusterStatusOutput (its result is unknown during preview), or a value known at preview " +
          "such as stack config (`config.requireSecret`, `cyclecloud:*`).",
      );
    }
    if (pulumi.runtime.isRpcSecret(value)) value = pulumi.runtime.unwrapRpcSecret(value);
    if (value !== undefined && value !== null) resolved[field] = value;
  }
  const parsed = connectionSchema.safeParse(resolved);
  if (!parsed.success)
    throw new ConnectionConfigError(parsed.error.issues[0]?.message ?? "`connection` is not valid");
  return parsed.data;
}

/**
 * Reads a cluster's status: nodearrays, buckets and their capacity. Runs in the program, in
 * preview as well, so a program can check capacity before declaring node sets (see `capacityFit`).
 *
 * Fields the 8.x API reference marks optional are optional here: `state`/`targetState` (a cluster
 * that never started has no state), a bucket's `definition`, and the quota fields of each bucket
 * (`quotaCount`, `quotaCoreCount`, `consumedCoreCount`, `familyQuotaCount`, `familyQuotaCoreCount`,
 * `familyConsumedCoreCount`, `regionalQuotaCount`, `regionalQuotaCoreCount`,
 * `regionalConsumedCoreCount`), which a program can check itself. With `nodes: true`, `nodes` holds
 * the cluster's node records (head node included) and `unparsedNodes` the records lacking a field
 * this library reads, as sent.
 */
export async function getClusterStatus(args: GetClusterStatusArgs): Promise<ClusterStatus> {
  // Before the connection: a name that is no cluster's name is the first thing to fix.
  if (typeof args.cluster !== "string" || !isValidName(args.cluster)) {
    throw new TypeError(
      `getClusterStatus: ${invalidNameReason("cluster", args.cluster, 'CycleCloud cluster to read, e.g. "hpc"')}`,
    );
  }
  const explicit = args.connection === undefined ? undefined : await resolveConnectionInputs(args.connection);
  const connection = resolveConnection(explicit, (key) => pulumi.runtime.getConfig(key));
  const client = new CycleCloudClient({
    ...connection,
    logger: (line) => pulumi.log.warn(`cyclecloud: ${plainText(line, MAX_MESSAGE_LENGTH)}`),
  });
  return client.getClusterStatus(args.cluster, { nodes: args.nodes ?? false });
}

/**
 * {@link getClusterStatus} for `Input` arguments, as an `Output`: unknown while any argument is
 * unknown (preview), secret when any argument is secret.
 */
export function getClusterStatusOutput(args: GetClusterStatusOutputArgs): pulumi.Output<ClusterStatus> {
  return pulumi.output(args).apply(getClusterStatus);
}
