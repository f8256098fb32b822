/**
 * The emulator's HTTP request handling: admin routing, request counting and logging,
 * authentication, faults, the API routes, and one way to answer (write or drop, record, log).
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { ADMIN_PREFIX, handleAdminRequest } from "../handlers/admin-api";
import type { AdminTarget, RequestCounters, RequestLogEntry } from "../handlers/admin-api";
import { AdminGuard, digest } from "./admin-guard";
import { AuthPacer } from "./auth-pacing";
import type { AuthPacing } from "./auth-pacing";
import {
  AdminError,
  announcesMoreThan,
  badRequest,
  EmulatorApiError,
  EXCEPTIONS,
  nestingTooDeep,
  readBody,
  renderError,
  TOO_DEEP_MESSAGE,
} from "./http-io";
import { matchApiRoute } from "../handlers/cluster-api";
import type { ApiMatch } from "../handlers/cluster-api";
import { FAULT_ROUTES, FaultQueue } from "../store/fault-queue";
import type { Fault, FaultRoute } from "../store/fault-queue";
import type { EmulatorResponse } from "./http-io";
import type { NodeStore } from "../store/node-store";

/** What an {@link EmulatorServer} is made of. */
export interface EmulatorServerOptions {
  readonly server: Server;
  readonly store: NodeStore;
  readonly username: string;
  readonly password: string;
  /** One line per request, and internal errors. */
  readonly log: (line: string) => void;
  /** Serve the `/__emulator/` admin surface. */
  readonly admin: boolean;
  /** The address it listens on: admin requests must name it (or a loopback name) in `Host`. */
  readonly host: string;
  /** When set, admin requests must carry it in `X-Emulator-Admin-Token`. */
  readonly adminToken?: string | undefined;
  /** Pacing of failed authentication per client address; `false`: none. */
  readonly authPacing: AuthPacing | false;
}

/**
 * Largest body of an unauthenticated request that is still read (and discarded) so the connection
 * can be kept; a larger or unannounced one gets its 401 at once and the connection is closed unread.
 */
const UNAUTHENTICATED_BODY_READ_LIMIT = 64 * 1024;

const REQUEST_LOG_LIMIT = 1000;

function zeroCounters(): RequestCounters {
  const routes = Object.fromEntries(FAULT_ROUTES.map((route) => [route, 0])) as Record<FaultRoute, number>;
  return { total: 0, ...routes };
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return typeof value === "string" ? value : null;
}

/** The error a request that matched no API route gets (404, or 405 with `Allow`). */
function routeError(
  match: Exclude<ApiMatch, { kind: "route" }>,
  method: string,
  path: string,
): EmulatorApiError {
  if (match.kind === "not-found") {
    return new EmulatorApiError(404, EXCEPTIONS.notFound, `No such resource: ${method} ${path}`);
  }
  const message = `${path} accepts ${match.allow}, not ${method}`;
  return new EmulatorApiError(405, EXCEPTIONS.methodNotAllowed, message, { Allow: match.allow });
}

/** The answer of a fault with `status` or `body`: its body, else a CycleCloud-style error. */
function faultAnswer(fault: Fault, route: FaultRoute, tag: string): EmulatorResponse {
  const status = fault.status ?? 200;
  const headers = fault.retryAfter === undefined ? {} : { "Retry-After": String(fault.retryAfter) };
  if (fault.body !== undefined) {
    return { status, headers, body: fault.body, raw: typeof fault.body === "string" };
  }
  const reason = STATUS_CODES[status] ?? "Error";
  const message = `${reason} (fault injected by the emulator on route ${route})`;
  return renderError(new EmulatorApiError(status, EXCEPTIONS.injected, message, headers), { api: true, tag });
}

export class EmulatorServer implements AdminTarget {
  readonly store: NodeStore;
  readonly faults = new FaultQueue();
  readonly server: Server;
  private requestCounters = zeroCounters();
  private requestLog: RequestLogEntry[] = [];
  private readonly credentials: Buffer;
  private readonly log: (line: string) => void;
  private readonly adminEnabled: boolean;
  private readonly adminGuard: AdminGuard;
  private readonly authPacer: AuthPacer;
  /** Aborted by {@link close}: wakes requests held by `delayMs` faults. */
  private readonly closing = new AbortController();

  constructor(options: EmulatorServerOptions) {
    this.server = options.server;
    this.store = options.store;
    // A log that throws (a closed stdout, a failing callback) never breaks a request.
    this.log = (line) => {
      try {
        options.log(line);
      } catch {
        // Logging is best effort.
      }
    };
    this.authPacer = new AuthPacer(options.authPacing);
    this.adminEnabled = options.admin;
    this.adminGuard = new AdminGuard(options.host, options.adminToken);
    this.credentials = digest(`${options.username}:${options.password}`);
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
    this.store.reset();
    this.faults.clear();
    this.resetCounters();
    this.requestLog = [];
  }

  /** Resolves after `ms`, or at once when the emulator closes. */
  private async delay(ms: number | undefined): Promise<void> {
    const signal = this.closing.signal;
    if (ms === undefined || ms <= 0 || signal.aborted) return;
    await sleep(ms, undefined, { signal }).catch((error: unknown) => {
      if (!signal.aborted) throw error;
    });
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    const stopped = new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
    });
    this.server.closeAllConnections();
    await stopped;
  }

  private authorized(request: IncomingMessage): "ok" | "missing" | "wrong" {
    const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(request.headers.authorization ?? "");
    if (match?.[1] === undefined) return "missing";
    const given = digest(Buffer.from(match[1], "base64").toString("utf8"));
    return timingSafeEqual(given, this.credentials) ? "ok" : "wrong";
  }

  private write(request: IncomingMessage, response: ServerResponse, answer: EmulatorResponse): void {
    if (response.destroyed || request.socket.destroyed) return;
    const payload =
      answer.raw === true && typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(payload),
      ...answer.headers,
    });
    response.end(payload);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = request.method ?? "GET";
    const target = request.url ?? "/";
    // The target as a path: `//clusters/hpc/status` is not a URL naming host `clusters`.
    const given = `http://emulator.invalid/${target.replace(/^\/+/, "")}`;
    const url = new URL(URL.canParse(given) ? given : "http://emulator.invalid/%00");
    const logLine = (status: number | "reset", detail = ""): void => {
      this.log(`${method} ${target} ${String(status)} ${String(Date.now() - started)}ms${detail}`);
    };

    if (this.adminEnabled && (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(`${ADMIN_PREFIX}/`))) {
      const answer = await this.handleAdmin(request, method, url.pathname.slice(ADMIN_PREFIX.length));
      this.write(request, response, answer);
      logLine(answer.status);
      return;
    }

    this.requestCounters.total += 1;
    const tag = `request-${String(this.requestCounters.total)}`;
    let match: ApiMatch = { kind: "not-found" };
    try {
      match = matchApiRoute(
        this.store,
        method,
        url.pathname.split("/").filter(Boolean).map(decodeURIComponent),
      );
    } catch {
      // A segment that does not decode names no route.
    }
    const route = match.kind === "route" ? match.route : null;
    if (route !== null) this.requestCounters[route] += 1;
    const entry = {
      method,
      path: target,
      route,
      clientVersion: header(request, "x-cycle-client-version"),
      userAgent: header(request, "user-agent"),
    };
    /** Writes `answer` (or drops the connection), records the request and logs it. */
    const reply = (answer: EmulatorResponse | "reset", fault?: Fault): void => {
      if (answer === "reset") {
        request.socket.destroy();
      } else {
        this.write(request, response, answer);
      }
      const status = answer === "reset" ? null : answer.status;
      this.requestLog.push({ ...entry, status, faultId: fault?.id ?? null });
      if (this.requestLog.length > REQUEST_LOG_LIMIT) this.requestLog.shift();
      logLine(status ?? "reset", fault === undefined ? "" : ` (fault ${String(fault.id)})`);
    };
    const apiError = (error: unknown): EmulatorResponse =>
      renderError(error, { api: true, tag }, (reason) => this.log(`internal error: ${reason}`));
    const refuse = (status: number, message: string, headers: Record<string, string>): void =>
      reply(apiError(new EmulatorApiError(status, EXCEPTIONS.notAuthenticated, message, headers)));

    // Credentials first: an unauthenticated body is never read beyond a small one. A client paced
    // after failed attempts gets a 429 before its credentials are looked at.
    const client = request.socket.remoteAddress ?? "unknown";
    const waitMs = this.authPacer.waitMs(client, Date.now());
    if (waitMs > 0) {
      const seconds = String(Math.ceil(waitMs / 1000));
      const message = `Too many failed authentication attempts from this client: retry in ${seconds} s`;
      refuse(429, message, { "Retry-After": seconds, Connection: "close" });
      return;
    }
    const auth = this.authorized(request);
    if (auth === "ok") {
      this.authPacer.succeeded(client);
    } else {
      this.authPacer.failed(client, Date.now());
      const message =
        auth === "missing"
          ? "Authentication required: send HTTP Basic credentials"
          : "Invalid username or password";
      const small =
        request.headers["transfer-encoding"] === undefined &&
        !announcesMoreThan(request, UNAUTHENTICATED_BODY_READ_LIMIT);
      if (small) await readBody(request).catch(() => "");
      const close: Record<string, string> = small ? {} : { Connection: "close" };
      refuse(401, message, { "WWW-Authenticate": 'Basic realm="CycleCloud"', ...close });
      return;
    }

    let body: string;
    try {
      body = await readBody(request);
      // As the routes answer unreadable input: 409 "Invalid input" on POST (the reference), 400 on GET.
      const invalid = (message: string): EmulatorApiError =>
        method === "POST"
          ? new EmulatorApiError(409, EXCEPTIONS.invalidRequest, message)
          : badRequest(message);
      if (nestingTooDeep(body)) throw invalid(`Request body ${TOO_DEEP_MESSAGE}`);
      for (const [name, value] of url.searchParams) {
        if (nestingTooDeep(value)) throw invalid(`Query parameter ${name.slice(0, 40)} ${TOO_DEEP_MESSAGE}`);
      }
    } catch (error) {
      reply(apiError(error));
      return;
    }

    if (match.kind !== "route") {
      reply(apiError(routeError(match, method, url.pathname)));
      return;
    }

    const fault = this.faults.take(match.route);
    if (fault?.reset === "before" || fault?.status !== undefined || fault?.body !== undefined) {
      await this.delay(fault.delayMs);
      reply(fault.reset === "before" ? "reset" : faultAnswer(fault, match.route, tag), fault);
      return;
    }

    let answer: EmulatorResponse;
    try {
      answer = match.run({ query: url.searchParams, body, maxAdded: fault?.maxAdded });
    } catch (error) {
      answer = apiError(error);
    }
    await this.delay(fault?.delayMs);
    reply(fault?.reset === "after" ? "reset" : answer, fault);
  }

  private async handleAdmin(
    request: IncomingMessage,
    method: string,
    subpath: string,
  ): Promise<EmulatorResponse> {
    try {
      this.adminGuard.check(request);
      const body = await readBody(request);
      if (nestingTooDeep(body)) throw new AdminError(400, `Request body ${TOO_DEEP_MESSAGE}`);
      return handleAdminRequest(this, method, subpath.replace(/\/+$/, ""), body);
    } catch (error) {
      return renderError(error, { api: false });
    }
  }
}
