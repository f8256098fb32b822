/**
 * Everything a provider process holds between the engine's calls, in one object made by
 * `configure` (or, for a call that comes without one, on first use): the stack config, the tuning
 * and logger, one client per connection, the cluster status cache, the replacement bases chained by
 * `check`, and the plan of the current run. Passed explicitly to the modules; no module state.
 */
import { CycleCloudClient } from "../client";
import type { ConfigLookup, ResolvedConnection } from "../connection";
import { connectionKey, resolveConnection } from "../connection";
import type { ClusterStatus } from "../schemas";
import { ClusterStatusCache, statusCacheKey } from "./cluster-status-cache";
import type { NodeSetInputs, PlainConnectionArgs } from "./inputs";
import type { Logger } from "./logger";
import { consoleLogger } from "./logger";
import type { OperationContext } from "./node-set-listing";
import { setName } from "./node-set-listing";
import { PollRounds } from "./poll-rounds";
import { RunPlan } from "./run-plan";
import type { Tuning } from "./tuning";
import { resolveTuning } from "./tuning";

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
  private readonly clients = new Map<string, CycleCloudClient>();
  /** Poll rounds by cluster (url and name), shared by the sets waiting on it. */
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
    this.statusCache = new ClusterStatusCache(this.now, (cacheKey) => this.plan.forgetIncreases(cacheKey));
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
    const key = connectionKey(resolved);
    let client = this.clients.get(key);
    if (!client) {
      client = new CycleCloudClient({
        ...resolved,
        retries: this.tuning.retries,
        retryBaseDelayMs: this.tuning.retryBaseDelayMs,
        logger: (line: string) => this.logger.error(`cyclecloud: ${line}`),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** A progress line of a set, shown by the engine. */
  log(inputs: Pick<NodeSetInputs, "identity" | "name">, line: string): void {
    this.logger.info(`cyclecloud ${setName(inputs)}: ${line}`);
  }

  /** What the steps of one operation on a set receive. */
  operation(inputs: NodeSetInputs): OperationContext {
    return {
      client: this.client(inputs.connection),
      inputs,
      log: (line) => this.log(inputs, line),
      tuning: this.tuning,
      now: this.now,
      clusterStatus: async () => (await this.clusterStatus(inputs)).status,
      rounds: this.pollRounds(inputs),
    };
  }

  /** The poll rounds of a set's cluster in this process. */
  pollRounds(inputs: Pick<NodeSetInputs, "connection" | "cluster">): PollRounds {
    const key = statusCacheKey(this.connection(inputs.connection).url, inputs.cluster);
    let rounds = this.rounds.get(key);
    if (!rounds) {
      rounds = new PollRounds(this.client(inputs.connection), inputs.cluster);
      this.rounds.set(key, rounds);
    }
    return rounds;
  }

  /** The status of a set's cluster, shared by the sets of one run, and the key it is cached under. */
  async clusterStatus(inputs: NodeSetInputs): Promise<{ status: ClusterStatus; cacheKey: string }> {
    const { url } = this.connection(inputs.connection);
    const status = await this.statusCache.status(this.client(inputs.connection), url, inputs.cluster);
    return { status, cacheKey: statusCacheKey(url, inputs.cluster) };
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
