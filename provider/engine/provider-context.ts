/**
 * Everything a provider process holds between the engine's calls, in one object made by
 * `configure` (or, for a call that comes without one, on first use): the stack config, the tuning
 * and logger, one client per connection, the cluster status cache, the replacement bases chained by
 * `check`, and the plan of the current run. Passed explicitly to the modules; no module state.
 */
import { MAX_MESSAGE_LENGTH, plainText } from "../client";
import type { ConfigLookup } from "../core/connection";
import type { ClusterStatus } from "../../wire/schemas";
import type { ClaimingSet } from "../core/adoption-ownership";
import { AdoptionClaims } from "../core/adoption-ownership";
import { ClusterStatusCache, statusCacheKey } from "../ops/cluster-status-cache";
import type { NodeSetInputs } from "../core/inputs";
import type { Logger } from "./logger";
import { consoleLogger, setLabel, urnOfIdentity, warningLine } from "./logger";
import type { ClusterChanges, OperationContext } from "../ops/node-set-listing";
import { setName } from "../ops/node-set-listing";
import { RunPlan } from "../core/run-plan";
import type { Tuning } from "../ops/tuning";
import { resolveTuning } from "../ops/tuning";
import { ConnectionPool } from "./connection-pool";

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
  /** The clients and poll rounds, by connection. */
  readonly connections: ConnectionPool;
  /** The lines {@link logOnce} showed. */
  private readonly shown = new Set<string>();

  constructor(
    readonly stackConfig: ConfigLookup,
    private readonly options: NodeSetProviderOptions = {},
  ) {
    this.logger = options.logger ?? consoleLogger;
    this.now = options.now ?? (() => Date.now());
    this.tuning = resolveTuning(this.env, options.tuning);
    this.statusCache = new ClusterStatusCache(this.plan);
    this.connections = new ConnectionPool({ stackConfig, env: () => this.env }, this.tuning, this.logger);
  }

  /** The environment: the one given, else the process's (read when used, as before). */
  get env(): Env {
    return this.options.env ?? process.env;
  }

  /**
   * A line of a set shown once in this run: a preview with `--refresh` diffs each set twice (the
   * refresh, then the preview), and would say the same twice.
   */
  logOnce(inputs: Pick<NodeSetInputs, "identity" | "name">, line: string): void {
    const key = JSON.stringify([inputs.identity, line]);
    if (this.shown.has(key)) return;
    this.shown.add(key);
    this.log(inputs, line);
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
   * What the steps of one operation on a set receive, made in one call: its client, which counts
   * what the operation asks the cluster to change (see ClusterStatusCache.changedBy), how it claims
   * nodes, its lines and warnings, the cluster's cached status and its poll rounds. The connection
   * is resolved once, here.
   */
  operation(inputs: NodeSetInputs): OperationContext {
    const changes: ClusterChanges = { added: 0, other: 0 };
    const open = this.connections.open(inputs.connection, inputs.cluster, changes);
    const label = setLabel(setName(inputs), inputs.identity);
    return {
      client: open.recording,
      inputs,
      claiming: { identity: inputs.identity, label, url: open.url, cluster: inputs.cluster },
      changes,
      log: (line) => this.log(inputs, line),
      warn: (text) => this.warn(inputs, text),
      tuning: this.tuning,
      now: this.now,
      rounds: open.rounds,
      clusterStatus: () => this.statusCache.status(open.client, open.url, inputs.cluster),
    };
  }

  /** The status of a set's cluster, shared by the sets of one run, and the key it is cached under. */
  async clusterStatus(inputs: NodeSetInputs): Promise<{ status: ClusterStatus; cacheKey: string }> {
    const { url, client } = this.connections.open(inputs.connection, inputs.cluster, { added: 0, other: 0 });
    const status = await this.statusCache.status(client, url, inputs.cluster);
    return { status, cacheKey: statusCacheKey(url, inputs.cluster) };
  }

  /** A set as it claims nodes; a set without a connection yet claims by cluster only. */
  claiming(inputs: Pick<NodeSetInputs, "identity" | "name" | "connection" | "cluster">): ClaimingSet {
    return {
      identity: inputs.identity,
      label: setLabel(setName(inputs), inputs.identity),
      url: this.urlOf(inputs),
      cluster: inputs.cluster,
    };
  }

  /** Drops the cached status of a set's cluster (this process changed its nodes). */
  forgetStatusOf(inputs: NodeSetInputs): void {
    const url = this.urlOf(inputs);
    if (url !== "") this.statusCache.forget(url, inputs.cluster);
  }

  /** A set's connection url, or "" when none resolves yet. */
  private urlOf(inputs: Pick<NodeSetInputs, "connection">): string {
    try {
      return this.connections.resolve(inputs.connection).url;
    } catch {
      return "";
    }
  }
}
