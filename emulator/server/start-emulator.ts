/** `startEmulator`: checks the options, builds the store and the server, and listens. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ADMIN_PREFIX } from "../handlers/admin-api";
import { ADMIN_TOKEN_HEADER } from "./admin-guard";
import type { RequestCounters } from "../handlers/admin-api";
import { adminNodes } from "../handlers/admin-actions";
import type { ClusterDefinition, EmulatorClock, EmulatorTiming } from "../store/state";
import { EmulatorConfigError, parseEmulatorConfig } from "../config/config";
import { loadReplicas } from "../config/replica";
import type { EmulatorConfig } from "../config/config-schema";
import { DEFAULT_EMULATOR_CONFIG } from "../config/default-content";
import { reasonOf } from "./http-io";
import { EmulatorServer } from "./emulator-server";
import { AuthPacingOptionSchema, DEFAULT_AUTH_PACING } from "./auth-pacing";
import { FaultInputSchema } from "../store/fault-queue";
import { keyName, TimingSchema } from "../config/limits";
import type { Fault, FaultInput } from "../store/fault-queue";
import { NodeStore } from "../store/node-store";
import { DEFAULT_TIMING, SYSTEM_CLOCK } from "../store/state";
import { checkKeyPair, issueEmulatorCertificates } from "./tls";
import type { AdminNodeView } from "../store/wire-records";
import { isLoopbackHost } from "../../wire/util/loopback";
import { formatIssues } from "../../wire/util/zod-issues";

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
  /**
   * The API password. A non-enumerable accessor: `util.inspect`, `JSON.stringify`, `Object.keys`
   * and spreading the result leave it out; read it by name.
   */
  readonly password: string;
  /** Headers an admin request needs: `Content-Type: application/json`, and the admin token when one is set. */
  adminHeaders(): Record<string, string>;
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

const lineCallback = z.custom<(line: string) => void>(
  (value) => typeof value === "function",
  "expected a function",
);
const hasNow = (value: unknown): boolean => typeof (value as { now?: unknown } | null)?.now === "function";

/** Options of {@link startEmulator}; an invalid one is refused naming it (`Invalid emulator option ...`). */
const OptionsSchema = z.strictObject({
  /**
   * Interface to listen on. Anything but a loopback address (`127.0.0.1`, `::1`, `localhost`) needs
   * `allowRemote: true`: the API and, unless `admin: false`, the admin surface become reachable
   * from the network. @default "127.0.0.1"
   */
  host: z.string().min(1).default("127.0.0.1"),
  /** TCP port; 0 picks a free one (read it from `url`). @default 0 */
  port: z.number().int().min(0).max(65535).default(0),
  /** @default "admin" */
  username: z.string().min(1).default("admin"),
  /** @default a random password, new on every start */
  password: z
    .string()
    .min(1)
    .default(() => randomBytes(12).toString("base64url")),
  /** Clusters, nodearrays and buckets (the `--config` file format). @default the seed's cluster `hpc` */
  config: z.custom<EmulatorConfig>().optional(),
  /**
   * Replicas of real clusters: cluster name to a file holding a saved answer of
   * `GET /clusters/{cluster}/status?nodes=true` (see `emulator/config/replica.ts`). Without `config`,
   * the replicas are the only clusters; with it, they are added to its clusters.
   */
  fromStatus: z.record(keyName, z.string().min(1)).optional(),
  /** Lifecycle phase durations; zero makes a phase instantaneous. @default {@link DEFAULT_TIMING} */
  timing: TimingSchema.optional(),
  /** Called with one line per request (method, path, status, duration; never credentials). @default silent */
  log: lineCallback.optional(),
  /**
   * Called once, at start, with the `allowRemote` warning (`listening on HOST: what is reachable`).
   * @default `log` with `WARNING: ` before it
   */
  warn: lineCallback.optional(),
  /** Serve the `/__emulator/` admin surface. @default true */
  admin: z.boolean().default(true),
  /**
   * Allow a `host` that is not loopback. Without it such a `host` is refused with an error saying
   * what would be exposed; with it, `log` gets a warning line saying so. @default false
   */
  allowRemote: z.boolean().optional(),
  /**
   * When set, every admin request must carry it in the `X-Emulator-Admin-Token` header (401
   * otherwise). Never printed; `adminHeaders()` of the result gives the header. @default none
   */
  adminToken: z.string().min(16, { error: "the admin token must be at least 16 characters" }).optional(),
  /**
   * Time allowed to receive a whole request (headers and body); a slower one is answered 408 and
   * its connection closed. Headers alone get at most 10 s. @default 30000
   */
  requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /**
   * The emulator's time (ms since the epoch): node lifecycles, operation `startTime` and
   * `lastCapacityFailure` are computed from `now()` when read, so a test that sets the time sees
   * exact states without waiting. Not used for `delayMs` faults or the request log's durations,
   * which are real time. @default real time (`Date.now()`)
   */
  clock: z
    .custom<EmulatorClock>(
      (value) => typeof value === "object" && hasNow(value),
      "expected an object with a now() method",
    )
    .default(SYSTEM_CLOCK),
  /**
   * Pacing of failed Basic authentication per client address: after `freeFailures` failures in a
   * row, the client must wait `initialDelayMs` (doubling per further failure, up to `maxDelayMs`)
   * before its credentials are checked again; sooner requests get 429 with `Retry-After`. `false`
   * turns it off; an object changes any of the defaults. @default {@link DEFAULT_AUTH_PACING}
   */
  authPacing: AuthPacingOptionSchema.optional(),
  /**
   * Serve HTTPS. `true`: with a certificate issued at start for 127.0.0.1, ::1, localhost and
   * `host` by a throwaway CA, whose certificate is `caCert` and written to `caCertPath` (removed
   * by `close()`). `{ cert, key }` (PEM text): with that certificate. @default false (HTTP)
   */
  tls: z
    .union([z.boolean(), z.strictObject({ cert: z.string().min(1), key: z.string().min(1) })], {
      error: "expected true, false or { cert, key } (PEM text)",
    })
    .optional(),
});

/** Options of {@link startEmulator}. */
export type EmulatorOptions = Readonly<z.input<typeof OptionsSchema>>;

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
  const { acquiringMs, preparingMs, terminatingMs } = options.timing ?? {};
  const timing: EmulatorTiming = {
    acquiringMs: acquiringMs ?? DEFAULT_TIMING.acquiringMs,
    preparingMs: preparingMs ?? DEFAULT_TIMING.preparingMs,
    terminatingMs: terminatingMs ?? DEFAULT_TIMING.terminatingMs,
  };
  const { host, port, username, password, admin, adminToken, clock, requestTimeoutMs } = checked.data;
  const exposure = remoteExposure(host, admin, adminToken !== undefined);
  if (exposure !== undefined && options.allowRemote !== true) {
    throw new TypeError(
      `Invalid emulator option \`host\`: ${host} is not a loopback address, so ${exposure}. ` +
        "Pass `allowRemote: true` to do this deliberately, or listen on 127.0.0.1",
    );
  }
  const log = options.log ?? ((): void => undefined);

  const timeouts = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(1000, requestTimeoutMs),
  };
  const issued = options.tls === true ? issueEmulatorCertificates([host]) : undefined;
  let caCertPath: string | undefined;
  if (issued !== undefined) {
    caCertPath = join(await mkdtemp(join(tmpdir(), "cyclecloud-emulator-ca-")), "ca.pem");
    await writeFile(caCertPath, issued.caCert, { mode: 0o644 });
  } else if (typeof options.tls === "object") {
    checkKeyPair(options.tls, { cert: "`tls.cert`", key: "`tls.key`" });
  }
  const pair = issued ?? (typeof options.tls === "object" ? options.tls : undefined);
  const server = pair === undefined ? createServer(timeouts) : createHttpsServer({ ...timeouts, ...pair });
  const removeCaFile = async (): Promise<void> => {
    if (caCertPath !== undefined) await rm(join(caCertPath, ".."), { recursive: true, force: true });
  };
  const emulator = new EmulatorServer({
    server,
    store: new NodeStore(clusters, timing, clock),
    username,
    password,
    log,
    admin,
    host,
    adminToken,
    authPacing: checked.data.authPacing ?? DEFAULT_AUTH_PACING,
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    emulator.handle(request, response).catch((error: unknown) => {
      log(`internal error: ${reasonOf(error)}`);
      response.destroy();
    });
  });
  let listening: number;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    // A server listening on a host and port has an AddressInfo address.
    listening = (server.address() as AddressInfo).port;
  } catch (error) {
    await removeCaFile();
    throw error;
  }
  const url = `${pair === undefined ? "http" : "https"}://${host.includes(":") ? `[${host}]` : host}:${String(listening)}`;
  if (exposure !== undefined) {
    const warn = options.warn ?? ((line: string): void => log(`WARNING: ${line}`));
    warn(`listening on ${host}: ${exposure}`);
  }
  const running: Omit<RunningEmulator, "password"> = {
    url,
    caCert: issued?.caCert,
    caCertPath,
    adminUrl: `${url}${ADMIN_PREFIX}`,
    host,
    port: listening,
    username,
    adminHeaders: () => ({
      "Content-Type": "application/json",
      ...(adminToken === undefined ? {} : { [ADMIN_TOKEN_HEADER]: adminToken }),
    }),
    close: async () => {
      try {
        await emulator.close();
      } finally {
        await removeCaFile();
      }
    },
    reset: () => emulator.resetAll(),
    injectFault: (fault) => {
      const parsed = FaultInputSchema.safeParse(fault);
      if (!parsed.success) throw new TypeError(`Invalid fault: ${formatIssues(parsed.error)}`);
      return emulator.faults.add(parsed.data);
    },
    counters: () => emulator.counters(),
    nodes: () => adminNodes(emulator.store, false),
  };
  // Not enumerable: out of `util.inspect`, `JSON.stringify` and spreads.
  return Object.defineProperty(running, "password", {
    get: () => password,
    enumerable: false,
  }) as RunningEmulator;
}

/** Time to receive a request's headers. */
const HEADERS_TIMEOUT_MS = 10_000;

/** What listening on a non-loopback `host` exposes, or undefined for a loopback one. */
function remoteExposure(host: string, admin: boolean, adminToken: boolean): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  const api = "the CycleCloud API (HTTP Basic authentication) is reachable from the network";
  if (!admin) return api;
  return adminToken
    ? `${api}, and so is the admin surface /__emulator/ (reset, faults, node lists), guarded by the admin token`
    : `${api}, and so is the admin surface /__emulator/ (reset, faults, node lists) with no credentials: ` +
        "anyone who can reach the port and name this host can change the emulator; set an admin token or disable the admin surface";
}
