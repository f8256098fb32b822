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
  /** What each operation's client saw it change (see {@link changedBy}). */
  private readonly changes = new WeakMap<OperationContext, ClusterChanges>();
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
    const key = connectionKey(resolved);
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
   * What the steps of one operation on a set receive. Its client records what the operation
   * changed in the cluster (see {@link changedBy}).
   */
  operation(inputs: NodeSetInputs): OperationContext {
    const changes: ClusterChanges = { added: 0, other: 0 };
    const ctx: OperationContext = {
      client: recordingChanges(this.client(inputs.connection), changes),
      inputs,
      log: (line) => this.log(inputs, line),
      warn: (text) => this.warn(inputs, text),
      tuning: this.tuning,
      now: this.now,
      clusterStatus: async () => (await this.clusterStatus(inputs)).status,
      rounds: this.pollRounds(inputs),
    };
    this.changes.set(ctx, changes);
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
    const changes = this.changes.get(ctx) ?? { added: 0, other: 1 };
    if (changes.added === 0 && changes.other === 0) return;
    try {
      const { url } = this.connection(ctx.inputs.connection);
      const planned = this.plan.plannedIncreases.get(ctx.inputs.identity);
      if (changes.other === 0 && planned?.cacheKey === statusCacheKey(url, ctx.inputs.cluster)) {
        if (planned.nodes === changes.added) {
          // Done as planned: the status now holds the set's new nodes, no longer a plan of its own.
          this.statusCache.charge(url, ctx.inputs.cluster, planned.spec, planned.nodes);
          this.plan.plannedIncreases.delete(ctx.inputs.identity);
          return;
        }
      }
    } catch {
      // No connection: nothing was cached for it.
    }
    this.forgetStatusOf(ctx.inputs);
  }

  /** The poll rounds of a set's cluster in this process. */
  pollRounds(inputs: Pick<NodeSetInputs, "connection" | "cluster">): PollRounds {
    // By connection (url and credentials), as clients are: a set never lists with another's credentials.
    const key = JSON.stringify([connectionKey(this.connection(inputs.connection)), inputs.cluster]);
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
