/**
 * Everything a provider process holds between the engine's calls, in one object made by
 * `configure` (or, for a call that comes without one, on first use): the stack config, the tuning
 * and logger, one client per connection, the cluster status cache, the replacement bases chained by
 * `check`, and the plan of the current run. Passed explicitly to the modules; no module state.
 */
import { CycleCloudClient, MAX_MESSAGE_LENGTH, plainText } from "../client";
import type { ConfigLookup, ResolvedConnection } from "../core/connection";
import { connectionKey, resolveConnection } from "../core/connection";
import type { ClusterStatus } from "../../wire/schemas";
import { AdoptionClaims } from "../core/adoption-ownership";
import { ClusterStatusCache, statusCacheKey } from "../ops/cluster-status-cache";
import type { NodeSetInputs, PlainConnectionArgs } from "../core/inputs";
import type { Logger } from "./logger";
import { consoleLogger, setLabel, urnOfIdentity, warningLine } from "./logger";
import type { NodeSetClient, OperationContext } from "../ops/node-set-listing";
import { setName } from "../ops/node-set-listing";
import { PollRounds } from "../ops/poll-rounds";
import { RunPlan } from "../core/run-plan";
import type { Tuning } from "../ops/tuning";
import { resolveTuning } from "../ops/tuning";

export type Env = Record<string, string | undefined>;

/** How a node set provider is made (tests and the bench; the provider process uses the defaults). */
export interface NodeSetProviderOptions {
  /** Where progress and client lines go. @default console.log / console.error */
  logger?: Logger;
  /** Overrides the tuning resolved from `env`. */
  tuning?: Partial<Tuning>;
  /** Tuning variables and the connection's `CYCLECLOUD_*` fallbacks. @default process.env */
  env?: Env;
  /** The clock (ms since the epoch). @default Date.now */
  now?: () => number;
}

export class ProviderContext {
  readonly logger: Logger;
  readonly tuning: Tuning;
  readonly now: () => number;
  /** What `check` planned in this run (preflight). */
  readonly plan = new RunPlan();
  readonly statusCache: ClusterStatusCache;
  /**
   * Replacement bases chained by `check`, by identity and replace inputs. For a replacement the
   * engine calls `check` twice in one process: with the old inputs (the base is chained here),
   * then with none, for the create itself; the second call must derive the same base.
   */
  readonly replacementBases = new Map<string, string>();
  /** Which set of the stack holds or adopts which nodes, as seen in this run (one owner per node). */
  readonly claims = new AdoptionClaims();
  private readonly clients = new Map<string, CycleCloudClient>();
  /** Each operation's connection url and what its client saw it change (see {@link changedBy}). */
  private readonly operations = new WeakMap<OperationContext, { changes: ClusterChanges; url: string }>();
  /** Poll rounds by connection and cluster, shared by the sets waiting on it. */
  private readonly rounds = new Map<string, PollRounds>();
  private readonly givenEnv: Env | undefined;

  constructor(
    readonly stackConfig: ConfigLookup,
    options: NodeSetProviderOptions = {},
  ) {
    this.givenEnv = options.env;
    this.logger = options.logger ?? consoleLogger;
    this.now = options.now ?? (() => Date.now());
    this.tuning = resolveTuning(this.env, options.tuning);
    this.statusCache = new ClusterStatusCache((cacheKey) => this.plan.forgetIncreases(cacheKey));
  }

  /** The environment: the one given, else the process's (read when used, as before). */
  get env(): Env {
    return this.givenEnv ?? process.env;
  }

  /** A set's connection: its `connection` input, then stack config, then the environment. */
  connection(connection: PlainConnectionArgs | undefined): ResolvedConnection {
    return resolveConnection(connection, this.stackConfig, this.env);
  }

  /** The client of a connection, one per connection (retries tuned by {@link Tuning}). */
  client(connection: PlainConnectionArgs | undefined): CycleCloudClient {
    const resolved = this.connection(connection);
    return this.clientOf(resolved, connectionKey(resolved));
  }

  private clientOf(resolved: ResolvedConnection, key: string): CycleCloudClient {
    let client = this.clients.get(key);
    if (!client) {
      client = new CycleCloudClient({
        ...resolved,
        retries: this.tuning.retries,
        retryBaseDelayMs: this.tuning.retryBaseDelayMs,
        logger: (line: string) => this.logger.error(`cyclecloud: ${plainText(line, MAX_MESSAGE_LENGTH)}`),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** A progress line of a set, shown by the engine. */
  log(inputs: Pick<NodeSetInputs, "identity" | "name">, line: string): void {
    // The boundary where lines are shown: whatever server text a line holds was sanitized where it
    // went in, and the line as a whole is checked again here (plainText).
    this.logger.info(`${setLabel(setName(inputs), inputs.identity)}: ${plainText(line, MAX_MESSAGE_LENGTH)}`);
  }

  /** A warning of a set (`text` without a `warning:` prefix), shown by the engine as a warning. */
  warn(inputs: Pick<NodeSetInputs, "identity" | "name">, text: string): void {
    const warning = {
      label: setLabel(setName(inputs), inputs.identity),
      text: plainText(text, MAX_MESSAGE_LENGTH),
      urn: urnOfIdentity(inputs.identity),
    };
    if (this.logger.warn) this.logger.warn(warning);
    else this.logger.info(warningLine(warning));
  }

  /**
   * What the steps of one operation on a set receive, made in one call: its client, which records
   * what the operation changed in the cluster (see {@link changedBy}), its lines and warnings, the
   * cluster's cached status and its poll rounds. The connection is resolved once, here.
   */
  operation(inputs: NodeSetInputs): OperationContext {
    const changes: ClusterChanges = { added: 0, other: 0 };
    const log = (line: string) => this.log(inputs, line);
    const warn = (text: string) => this.warn(inputs, text);
    const connection = this.connection(inputs.connection);
    const key = connectionKey(connection);
    const client = this.clientOf(connection, key);
    const ctx: OperationContext = {
      client: recordingChanges(client, changes),
      inputs,
      log,
      warn,
      tuning: this.tuning,
      now: this.now,
      rounds: this.roundsOf(key, inputs.cluster, client),
      clusterStatus: () => this.statusCache.status(client, connection.url, inputs.cluster),
    };
    this.operations.set(ctx, { changes, url: connection.url });
    return ctx;
  }

  /**
   * After an operation that may have changed the set's nodes: the cached status of its cluster
   * stays when the operation changed nothing, or added exactly the nodes preflight planned for the
   * set against that status and did nothing else (those nodes are then charged to the status, which
   * pictures the cluster as this run made it, as preflight charges a plan); otherwise it is dropped
   * with the plan made against it, and the next decision that depends on it reads it again.
   */
  changedBy(ctx: OperationContext): void {
    const { inputs } = ctx;
    const made = this.operations.get(ctx);
    if (made === undefined) return this.forgetStatusOf(inputs);
    const { changes, url } = made;
    if (changes.added === 0 && changes.other === 0) return;
    const planned = this.plan.plannedIncreases.get(inputs.identity);
    const asPlanned =
      changes.other === 0 &&
      planned?.cacheKey === statusCacheKey(url, inputs.cluster) &&
      planned.nodes === changes.added;
    if (planned !== undefined && asPlanned) {
      // Done as planned: the status now holds the set's new nodes, no longer a plan of its own.
      this.statusCache.charge(url, inputs.cluster, planned.spec, planned.nodes);
      this.plan.plannedIncreases.delete(inputs.identity);
    } else {
      this.statusCache.forget(url, inputs.cluster);
    }
  }

  /** The poll rounds of a set's cluster in this process. */
  pollRounds(inputs: Pick<NodeSetInputs, "connection" | "cluster">): PollRounds {
    // By connection (url and credentials), as clients are: a set never lists with another's credentials.
    const resolved = this.connection(inputs.connection);
    const key = connectionKey(resolved);
    return this.roundsOf(key, inputs.cluster, this.clientOf(resolved, key));
  }

  private roundsOf(key: string, cluster: string, client: CycleCloudClient): PollRounds {
    const roundsKey = JSON.stringify([key, cluster]);
    let rounds = this.rounds.get(roundsKey);
    if (!rounds) {
      rounds = new PollRounds(client, cluster);
      this.rounds.set(roundsKey, rounds);
    }
    return rounds;
  }

  /** The status of a set's cluster, shared by the sets of one run, and the key it is cached under. */
  async clusterStatus(inputs: NodeSetInputs): Promise<{ status: ClusterStatus; cacheKey: string }> {
    const { url } = this.connection(inputs.connection);
    const status = await this.statusCache.status(this.client(inputs.connection), url, inputs.cluster);
    return { status, cacheKey: statusCacheKey(url, inputs.cluster) };
  }

  /** Where a set's claims on nodes live: its connection's url and its cluster. */
  claimScope(inputs: Pick<NodeSetInputs, "connection" | "cluster">): string {
    let url = "";
    try {
      url = this.connection(inputs.connection).url;
    } catch {
      // No connection yet: the claims of sets without one meet by cluster only.
    }
    return JSON.stringify([url, inputs.cluster]);
  }

  /** Drops the cached status of a set's cluster (this process changed its nodes). */
  forgetStatusOf(inputs: NodeSetInputs): void {
    try {
      this.statusCache.forget(this.connection(inputs.connection).url, inputs.cluster);
    } catch {
      // No connection, so nothing was cached for it.
    }
  }
}

/** What one operation changed in its cluster: nodes added by creates, and any other change. */
interface ClusterChanges {
  added: number;
  /** Terminate, deallocate and start requests, and creates whose outcome is unknown. */
  other: number;
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
