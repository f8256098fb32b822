/** `startEmulator`: checks the options, builds the store and the server, and listens. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ADMIN_PREFIX } from "./admin-api";
import type { RequestCounters } from "./admin-api";
import { allNodes } from "./admin-actions";
import type { ClusterDefinition } from "./cluster-definitions";
import { EmulatorConfigError, parseEmulatorConfig } from "./config";
import { loadReplicas } from "./replica";
import type { EmulatorConfig } from "./config-schema";
import { DEFAULT_EMULATOR_CONFIG } from "./default-content";
import { EmulatorServer } from "./emulator-server";
import { FaultInputSchema } from "./fault-queue";
import type { Fault, FaultInput } from "./fault-queue";
import { DEFAULT_TIMING, NodeStore, SYSTEM_CLOCK } from "./node-store";
import type { EmulatorClock, EmulatorTiming } from "./node-store";
import { checkKeyPair, issueEmulatorCertificates } from "./tls";
import type { PemKeyPair } from "./tls";
import type { AdminNodeView } from "./wire-records";
import { formatIssues } from "../provider/util/zod-issues";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Interface to listen on. The admin surface needs no credentials: keep it on loopback. @default "127.0.0.1" */
  readonly host?: string | undefined;
  /** TCP port; 0 picks a free one (read it from `url`). @default 0 */
  readonly port?: number | undefined;
  /** @default "admin" */
  readonly username?: string | undefined;
  /** @default a random password, new on every start */
  readonly password?: string | undefined;
  /** Clusters, nodearrays and buckets (the `--config` file format). @default the seed's cluster `hpc` */
  readonly config?: EmulatorConfig | undefined;
  /**
   * Replicas of real clusters: cluster name to a file holding a saved answer of
   * `GET /clusters/{cluster}/status?nodes=true` (see `emulator/replica.ts`). Without `config`,
   * the replicas are the only clusters; with it, they are added to its clusters.
   */
  readonly fromStatus?: Readonly<Record<string, string>> | undefined;
  /** Lifecycle phase durations; zero makes a phase instantaneous. @default {@link DEFAULT_TIMING} */
  readonly timing?: Partial<EmulatorTiming> | undefined;
  /** Called with one line per request (method, path, status, duration; never credentials). @default silent */
  readonly log?: ((line: string) => void) | undefined;
  /** Serve the `/__emulator/` admin surface. @default true */
  readonly admin?: boolean | undefined;
  /**
   * The emulator's time (ms since the epoch): node lifecycles, operation `startTime` and
   * `lastCapacityFailure` are computed from `now()` when read, so a test that sets the time sees
   * exact states without waiting. Not used for `delayMs` faults or the request log's durations,
   * which are real time. @default real time (`Date.now()`)
   */
  readonly clock?: EmulatorClock | undefined;
  /**
   * Serve HTTPS. `true`: with a certificate issued at start for 127.0.0.1, ::1, localhost and
   * `host` by a throwaway CA, whose certificate is `caCert` and written to `caCertPath` (removed
   * by `close()`). `{ cert, key }` (PEM text): with that certificate. @default false (HTTP)
   */
  readonly tls?: boolean | PemKeyPair | undefined;
}

/** A started emulator. */
export interface RunningEmulator {
  /** Base URL of the API, e.g. `http://127.0.0.1:41234` or `https://...` with `tls` (no trailing slash). */
  readonly url: string;
  /** With `tls: true`: the PEM of the CA that issued the served certificate (the client's `caCert`). */
  readonly caCert: string | undefined;
  /** With `tls: true`: a file holding `caCert` (`cyclecloud:caCertPath`); removed by `close()`. */
  readonly caCertPath: string | undefined;
  /** Base URL of the admin surface: `${url}/__emulator`. */
  readonly adminUrl: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Stops listening and drops open connections, including requests held by `delayMs` faults. */
  close(): Promise<void>;
  /** Same as `POST /__emulator/reset`. */
  reset(): void;
  /** Same as `POST /__emulator/faults`; throws on an invalid fault. */
  injectFault(fault: FaultInput): Fault;
  /** Same as `GET /__emulator/counters`. */
  counters(): RequestCounters;
  /** Same as `GET /__emulator/nodes`. */
  nodes(): AdminNodeView[];
}

const OptionsSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  config: z.unknown().optional(),
  fromStatus: z.record(z.string().min(1), z.string().min(1)).optional(),
  timing: z
    .strictObject({
      acquiringMs: z.number().int().nonnegative().optional(),
      preparingMs: z.number().int().nonnegative().optional(),
      terminatingMs: z.number().int().nonnegative().optional(),
    })
    .optional(),
  log: z
    .custom<(line: string) => void>((value) => typeof value === "function", "expected a function")
    .optional(),
  admin: z.boolean().optional(),
  clock: z
    .custom<EmulatorClock>(
      (value) =>
        typeof value === "object" && value !== null && typeof (value as { now?: unknown }).now === "function",
      "expected an object with a now() method",
    )
    .optional(),
  tls: z
    .union([z.boolean(), z.strictObject({ cert: z.string().min(1), key: z.string().min(1) })], {
      error: "expected true, false or { cert, key } (PEM text)",
    })
    .optional(),
});

/** The clusters of `config` (or the seed's) and the replicas of `fromStatus`. */
async function emulatorClusters(options: EmulatorOptions): Promise<ClusterDefinition[]> {
  if (options.fromStatus === undefined || Object.keys(options.fromStatus).length === 0) {
    return parseEmulatorConfig(options.config ?? DEFAULT_EMULATOR_CONFIG, "`config` option");
  }
  const configured =
    options.config === undefined ? [] : parseEmulatorConfig(options.config, "`config` option");
  const replicas = await loadReplicas(options.fromStatus);
  const clash = replicas.find((replica) => configured.some((cluster) => cluster.name === replica.name));
  if (clash !== undefined) {
    throw new EmulatorConfigError(
      `Cluster ${clash.name} is both in \`config\` and in \`fromStatus\`: give it once`,
    );
  }
  return [...configured, ...replicas];
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts a CycleCloud REST API emulator: a real HTTP server speaking the API's wire format, with
 * capacity accounting, node lifecycles and an admin surface under `/__emulator/` for tests.
 *
 * @example
 * const emulator = await startEmulator({ timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
 * // ... point a client at emulator.url with emulator.username / emulator.password
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const checked = OptionsSchema.safeParse(options);
  if (!checked.success) {
    const issues = checked.error.issues.map((issue) => {
      const path = issue.path.map(String).join(".");
      return path === "" ? issue.message : `\`${path}\`: ${issue.message}`;
    });
    throw new TypeError(`Invalid emulator option ${issues.join("; ")}`);
  }
  const clusters = await emulatorClusters(options);
  const timing: EmulatorTiming = {
    acquiringMs: options.timing?.acquiringMs ?? DEFAULT_TIMING.acquiringMs,
    preparingMs: options.timing?.preparingMs ?? DEFAULT_TIMING.preparingMs,
    terminatingMs: options.timing?.terminatingMs ?? DEFAULT_TIMING.terminatingMs,
  };
  const host = options.host ?? "127.0.0.1";
  const username = options.username ?? "admin";
  const password = options.password ?? randomBytes(12).toString("base64url");
  const log = options.log ?? ((): void => undefined);

  let server: Server;
  let caCert: string | undefined;
  let caCertPath: string | undefined;
  if (options.tls === undefined || options.tls === false) {
    server = createServer();
  } else {
    let pair: PemKeyPair;
    if (options.tls === true) {
      const issued = issueEmulatorCertificates([host]);
      pair = issued;
      caCert = issued.caCert;
      caCertPath = join(await mkdtemp(join(tmpdir(), "cyclecloud-emulator-ca-")), "ca.pem");
      await writeFile(caCertPath, caCert, { mode: 0o644 });
    } else {
      checkKeyPair(options.tls, { cert: "`tls.cert`", key: "`tls.key`" });
      pair = options.tls;
    }
    server = createHttpsServer({ cert: pair.cert, key: pair.key });
  }
  const removeCaFile = async (): Promise<void> => {
    if (caCertPath !== undefined) {
      await rm(join(caCertPath, ".."), { recursive: true, force: true });
    }
  };
  const emulator = new EmulatorServer({
    server,
    store: new NodeStore(clusters, timing, options.clock ?? SYSTEM_CLOCK),
    username,
    password,
    log,
    admin: options.admin ?? true,
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    emulator.handle(request, response).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      log(`internal error: ${reason}`);
      response.destroy();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await removeCaFile();
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === "string") {
    await emulator.close();
    await removeCaFile();
    throw new Error(`The emulator did not get a TCP address (got ${String(address)})`);
  }
  const url = `${options.tls === undefined || options.tls === false ? "http" : "https"}://${urlHost(host)}:${String(address.port)}`;
  return {
    url,
    caCert,
    caCertPath,
    adminUrl: `${url}${ADMIN_PREFIX}`,
    host,
    port: address.port,
    username,
    password,
    close: async () => {
      try {
        await emulator.close();
      } finally {
        await removeCaFile();
      }
    },
    reset: () => {
      emulator.resetAll();
    },
    injectFault: (fault) => {
      const parsed = FaultInputSchema.safeParse(fault);
      if (!parsed.success) {
        throw new TypeError(`Invalid fault: ${formatIssues(parsed.error)}`);
      }
      return emulator.faults.add(parsed.data);
    },
    counters: () => emulator.counters(),
    nodes: () => allNodes(emulator.store),
  };
}
