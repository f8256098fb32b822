/**
 * The connections of a provider process: each set's connection resolved (its `connection` input,
 * then stack config, then the environment), one client per connection (url and credentials, so a
 * set never lists with another's credentials) and one set of poll rounds per connection and
 * cluster, shared by the sets waiting on it.
 */
import { CycleCloudClient, MAX_MESSAGE_LENGTH, plainText } from "../client";
import type { ConfigLookup, ResolvedConnection } from "../core/connection";
import { connectionKey, resolveConnection } from "../core/connection";
import type { PlainConnectionArgs } from "../core/inputs";
import { PollRounds } from "../ops/poll-rounds";
import type { ClusterChanges, NodeSetClient } from "../ops/node-set-listing";
import type { Tuning } from "../ops/tuning";
import type { Logger } from "./logger";

/** A set's connection opened: its url, its client and the poll rounds of its cluster. */
export interface OpenConnection {
  url: string;
  client: CycleCloudClient;
  /** The client, counting into the `changes` given what it asks the cluster to change. */
  recording: NodeSetClient;
  rounds: PollRounds;
}

export class ConnectionPool {
  private readonly clients = new Map<string, CycleCloudClient>();
  private readonly rounds = new Map<string, PollRounds>();

  constructor(
    private readonly source: { stackConfig: ConfigLookup; env: () => Record<string, string | undefined> },
    private readonly tuning: Tuning,
    private readonly logger: Logger,
  ) {}

  /** A set's connection, resolved (throws a `ConnectionConfigError` naming what is missing). */
  resolve(connection: PlainConnectionArgs | undefined): ResolvedConnection {
    return resolveConnection(connection, this.source.stackConfig, this.source.env());
  }

  /**
   * Opens a set's connection to `cluster` for one operation, whose requests that change the cluster
   * are counted into `changes`: the client and poll rounds are made on first use.
   */
  open(
    connection: PlainConnectionArgs | undefined,
    cluster: string,
    changes: ClusterChanges,
  ): OpenConnection {
    const resolved = this.resolve(connection);
    const key = connectionKey(resolved);
    const client =
      this.clients.get(key) ??
      new CycleCloudClient({
        ...resolved,
        retries: this.tuning.retries,
        retryBaseDelayMs: this.tuning.retryBaseDelayMs,
        logger: (line: string) => this.logger.error(`cyclecloud: ${plainText(line, MAX_MESSAGE_LENGTH)}`),
      });
    this.clients.set(key, client);
    const roundsKey = JSON.stringify([key, cluster]);
    const rounds = this.rounds.get(roundsKey) ?? new PollRounds(client, cluster);
    this.rounds.set(roundsKey, rounds);
    return { url: resolved.url, client, recording: recordingChanges(client, changes), rounds };
  }
}

/** The client of one operation, counting into `changes` what it asks the cluster to change. */
function recordingChanges(client: CycleCloudClient, changes: ClusterChanges): NodeSetClient {
  const other =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      changes.other++;
      return call(...args);
    };
  return {
    listNodes: client.listNodes.bind(client),
    getClusterStatus: client.getClusterStatus.bind(client),
    createNodes: async (...args: Parameters<CycleCloudClient["createNodes"]>) => {
      try {
        const result = await client.createNodes(...args);
        for (const set of result.sets) changes.added += set.added ?? 0;
        return result;
      } catch (error) {
        changes.other++;
        throw error;
      }
    },
    terminateNodes: other(client.terminateNodes.bind(client)),
    deallocateNodes: other(client.deallocateNodes.bind(client)),
    startNodes: other(client.startNodes.bind(client)),
  };
}
