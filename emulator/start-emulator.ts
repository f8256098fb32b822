/**
 * The emulator's HTTP server: routing, authentication, body limits, error rendering, the admin
 * surface. Over 400 lines: its request handling repeats write/record/finish per route, which
 * issue 10 factors out (and issue 16 hardens); not touched by issue 15.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, STATUS_CODES } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { z } from "zod";
import { ADMIN_PREFIX, AdminError, handleAdminRequest } from "./admin-api";
import type { AdminTarget, RequestCounters, RequestLogEntry } from "./admin-api";
import { EmulatorApiError, errorBody, EXCEPTIONS } from "./api-error";
import { matchApiRoute } from "./cluster-api";
import type { ApiMatch } from "./cluster-api";
import { DEFAULT_EMULATOR_CONFIG, parseEmulatorConfig } from "./config";
import type { EmulatorConfig } from "./config";
import { DEFAULT_TIMING, EmulatorState } from "./emulator-state";
import type { AdminNodeView, EmulatorTiming } from "./emulator-state";
import { FaultInputSchema, FaultQueue } from "./fault-queue";
import type { Fault, FaultInput, FaultRoute } from "./fault-queue";
import { json, readBody } from "./http-io";
import type { EmulatorResponse } from "./http-io";
import { formatIssues } from "./zod-issues";

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
  /** Lifecycle phase durations; zero makes a phase instantaneous. @default {@link DEFAULT_TIMING} */
  readonly timing?: Partial<EmulatorTiming> | undefined;
  /** Called with one line per request (method, path, status, duration; never credentials). @default silent */
  readonly log?: ((line: string) => void) | undefined;
  /** Serve the `/__emulator/` admin surface. @default true */
  readonly admin?: boolean | undefined;
}

/** A started emulator. */
export interface RunningEmulator {
  /** Base URL of the API, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
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
});

const REQUEST_LOG_LIMIT = 1000;

function zeroCounters(): RequestCounters {
  return {
    total: 0,
    status: 0,
    nodes: 0,
    create: 0,
    terminate: 0,
    deallocate: 0,
    start: 0,
    shutdown: 0,
    remove: 0,
    scale: 0,
    operations: 0,
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return typeof value === "string" ? value : null;
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

class EmulatorServer implements AdminTarget {
  readonly state: EmulatorState;
  readonly faults = new FaultQueue();
  private requestCounters = zeroCounters();
  private requestLog: RequestLogEntry[] = [];
  private readonly credentials: Buffer;
  private readonly pendingDelays = new Set<() => void>();
  private closed = false;

  constructor(
    readonly server: Server,
    state: EmulatorState,
    username: string,
    password: string,
    private readonly log: (line: string) => void,
    private readonly adminEnabled: boolean,
  ) {
    this.state = state;
    this.credentials = digest(`${username}:${password}`);
  }

  counters(): RequestCounters {
    return { ...this.requestCounters };
  }

  resetCounters(): void {
    this.requestCounters = zeroCounters();
  }

  requests(): readonly RequestLogEntry[] {
    return [...this.requestLog];
  }

  resetAll(): void {
    this.state.reset();
    this.faults.clear();
    this.resetCounters();
    this.requestLog = [];
  }

  /** Resolves after `ms`, or at once when the emulator closes. */
  private async sleep(ms: number | undefined): Promise<void> {
    if (ms === undefined || ms <= 0 || this.closed) {
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pendingDelays.add(done);
    });
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const wake of [...this.pendingDelays]) {
      wake();
    }
    const stopped = new Promise<void>((resolve, reject) => {
      this.server.close((error) => {
        if (error) {
          reject(error);
        } else {
          resolve();
        }
      });
    });
    this.server.closeAllConnections();
    await stopped;
  }

  private authorized(request: IncomingMessage): "ok" | "missing" | "wrong" {
    const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(request.headers.authorization ?? "");
    if (match?.[1] === undefined) {
      return "missing";
    }
    const given = digest(Buffer.from(match[1], "base64").toString("utf8"));
    return timingSafeEqual(given, this.credentials) ? "ok" : "wrong";
  }

  private write(request: IncomingMessage, response: ServerResponse, answer: EmulatorResponse): void {
    if (response.destroyed || request.socket.destroyed) {
      return;
    }
    const payload =
      answer.raw === true && typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(payload),
      ...answer.headers,
    });
    response.end(payload);
  }

  private apiError(error: unknown, tag: string): EmulatorResponse {
    if (error instanceof EmulatorApiError) {
      return json(error.status, errorBody(error.exception, error.message, tag));
    }
    const reason = error instanceof Error ? error.message : String(error);
    this.log(`internal error: ${reason}`);
    return json(500, errorBody("java.lang.RuntimeException", `Internal emulator error: ${reason}`, tag));
  }

  private faultAnswer(fault: Fault, route: FaultRoute, tag: string): EmulatorResponse {
    const status = fault.status ?? 200;
    const headers = fault.retryAfter === undefined ? {} : { "Retry-After": String(fault.retryAfter) };
    if (fault.body !== undefined) {
      return { status, headers, body: fault.body, raw: typeof fault.body === "string" };
    }
    const reason = STATUS_CODES[status] ?? "Error";
    return json(
      status,
      errorBody(EXCEPTIONS.injected, `${reason} (fault injected by the emulator on route ${route})`, tag),
      headers,
    );
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = request.method ?? "GET";
    const target = request.url ?? "/";
    const url = new URL(target, "http://emulator.invalid");
    const finish = (status: number | "reset", detail = ""): void => {
      this.log(`${method} ${target} ${String(status)} ${String(Date.now() - started)}ms${detail}`);
    };

    if (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(`${ADMIN_PREFIX}/`)) {
      if (this.adminEnabled) {
        const answer = await this.handleAdmin(request, method, url.pathname.slice(ADMIN_PREFIX.length));
        this.write(request, response, answer);
        finish(answer.status);
        return;
      }
    }

    this.requestCounters.total += 1;
    const tag = `request-${String(this.requestCounters.total)}`;
    let match: ApiMatch;
    try {
      const segments = url.pathname
        .split("/")
        .filter((segment) => segment !== "")
        .map(decodeURIComponent);
      match = matchApiRoute(this.state, method, segments);
    } catch {
      match = { kind: "not-found" };
    }
    const route = match.kind === "route" ? match.route : null;
    if (route !== null) {
      this.requestCounters[route] += 1;
    }
    const entry = {
      method,
      path: target,
      route,
      clientVersion: header(request, "x-cycle-client-version"),
      userAgent: header(request, "user-agent"),
    };
    const record = (status: number | null, faultId: number | null): void => {
      this.requestLog.push({ ...entry, status, faultId });
      if (this.requestLog.length > REQUEST_LOG_LIMIT) {
        this.requestLog.shift();
      }
    };

    let body: string;
    try {
      body = await readBody(request);
    } catch (error) {
      const answer = this.apiError(error, tag);
      this.write(request, response, answer);
      record(answer.status, null);
      finish(answer.status);
      return;
    }

    const auth = this.authorized(request);
    if (auth !== "ok") {
      const message =
        auth === "missing"
          ? "Authentication required: send HTTP Basic credentials"
          : "Invalid username or password";
      const answer = json(401, errorBody(EXCEPTIONS.notAuthenticated, message, tag), {
        "WWW-Authenticate": 'Basic realm="CycleCloud"',
      });
      this.write(request, response, answer);
      record(401, null);
      finish(401);
      return;
    }

    if (match.kind !== "route") {
      const answer =
        match.kind === "not-found"
          ? json(404, errorBody(EXCEPTIONS.notFound, `No such resource: ${method} ${url.pathname}`, tag))
          : json(
              405,
              errorBody(
                EXCEPTIONS.methodNotAllowed,
                `${url.pathname} accepts ${match.allow}, not ${method}`,
                tag,
              ),
              { Allow: match.allow },
            );
      this.write(request, response, answer);
      record(answer.status, null);
      finish(answer.status);
      return;
    }

    const fault = this.faults.take(match.route);
    const faultId = fault?.id ?? null;
    const faultNote = fault === undefined ? "" : ` (fault ${String(fault.id)})`;
    if (
      fault !== undefined &&
      (fault.reset === "before" || fault.status !== undefined || fault.body !== undefined)
    ) {
      await this.sleep(fault.delayMs);
      if (fault.reset === "before") {
        request.socket.destroy();
        record(null, faultId);
        finish("reset", faultNote);
        return;
      }
      const answer = this.faultAnswer(fault, match.route, tag);
      this.write(request, response, answer);
      record(answer.status, faultId);
      finish(answer.status, faultNote);
      return;
    }

    let answer: EmulatorResponse;
    try {
      answer = match.run({ query: url.searchParams, body, addOptions: { maxAddedPerSet: fault?.maxAdded } });
    } catch (error) {
      answer = this.apiError(error, tag);
    }
    await this.sleep(fault?.delayMs);
    if (fault?.reset === "after") {
      request.socket.destroy();
      record(null, faultId);
      finish("reset", faultNote);
      return;
    }
    this.write(request, response, answer);
    record(answer.status, faultId);
    finish(answer.status, faultNote);
  }

  private async handleAdmin(
    request: IncomingMessage,
    method: string,
    subpath: string,
  ): Promise<EmulatorResponse> {
    try {
      const body = await readBody(request);
      return handleAdminRequest(this, method, subpath.replace(/\/+$/, ""), body);
    } catch (error) {
      if (error instanceof AdminError || error instanceof EmulatorApiError) {
        return json(error.status, { error: error.message });
      }
      const reason = error instanceof Error ? error.message : String(error);
      return json(500, { error: `Internal emulator error: ${reason}` });
    }
  }
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
  const clusters = parseEmulatorConfig(options.config ?? DEFAULT_EMULATOR_CONFIG, "`config` option");
  const timing: EmulatorTiming = {
    acquiringMs: options.timing?.acquiringMs ?? DEFAULT_TIMING.acquiringMs,
    preparingMs: options.timing?.preparingMs ?? DEFAULT_TIMING.preparingMs,
    terminatingMs: options.timing?.terminatingMs ?? DEFAULT_TIMING.terminatingMs,
  };
  const host = options.host ?? "127.0.0.1";
  const username = options.username ?? "admin";
  const password = options.password ?? randomBytes(12).toString("base64url");
  const log = options.log ?? ((): void => undefined);

  const server = createServer();
  const emulator = new EmulatorServer(
    server,
    new EmulatorState(clusters, timing),
    username,
    password,
    log,
    options.admin ?? true,
  );
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    emulator.handle(request, response).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      log(`internal error: ${reason}`);
      response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    await emulator.close();
    throw new Error(`The emulator did not get a TCP address (got ${String(address)})`);
  }
  const url = `http://${urlHost(host)}:${String(address.port)}`;
  return {
    url,
    adminUrl: `${url}${ADMIN_PREFIX}`,
    host,
    port: address.port,
    username,
    password,
    close: () => emulator.close(),
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
    nodes: () => emulator.state.allNodes(),
  };
}
