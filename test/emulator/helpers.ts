import { afterAll, beforeAll, beforeEach } from "vitest";
import type { z } from "zod";
import { startEmulator } from "../../emulator";
import { ErrorBodySchema } from "../../wire/schemas";
import type { EmulatorOptions, RequestCounters, RunningEmulator } from "../../emulator";

/** Every lifecycle phase instantaneous: nodes are Ready at once and terminated nodes gone at once. */
export const ZERO_TIMING = { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } as const;

// Spelled out, not taken from emulator-server's zeroCounters: the test pins the promised counter set.
/** The emulator's request counters after a reset (the admin surface's `GET /counters`). */
export const ZERO_COUNTERS = {
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
  terminate_node: 0,
  retry: 0,
} satisfies RequestCounters;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export { SEED_REQUEST_ID } from "../fixtures/seed";

/** The default content's head node: listed by GET .../nodes, in no nodearray. */
export const HEAD_NODE = "scheduler";

/** Node records without the default content's head node (what tests of nodearray nodes look at). */
export function arrayNodes<T extends { readonly Template?: unknown }>(nodes: readonly T[]): T[] {
  return nodes.filter((node) => node.Template !== HEAD_NODE);
}

/** Starts an emulator on an ephemeral port with zero timing unless told otherwise. */
export function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, timing: ZERO_TIMING, ...options });
}

export interface UseEmulatorOptions {
  /**
   * Reset the emulator (as `POST /__emulator/reset` does) before each test. Turn it off for a
   * file or `describe` whose tests replay one sequence in order. @default true
   */
  readonly resetBeforeEach?: boolean;
}

/** The emulator of a test file or `describe`, and a fetch wrapper for it; both are set in `beforeAll`. */
export interface EmulatorFixture {
  readonly emulator: RunningEmulator;
  readonly http: Api;
}

/**
 * Registers the hooks that start an emulator (see {@link start}) before the tests of the enclosing
 * file or `describe`, close it after them and, unless told otherwise, reset it before each test.
 */
export function useEmulator(
  options: EmulatorOptions = {},
  { resetBeforeEach = true }: UseEmulatorOptions = {},
): EmulatorFixture {
  let running: { emulator: RunningEmulator; http: Api } | undefined;
  const current = () => {
    if (running === undefined) {
      throw new Error("the emulator is started in beforeAll: use it inside a hook or a test");
    }
    return running;
  };

  beforeAll(async () => {
    const emulator = await start(options);
    running = { emulator, http: api(emulator) };
  });
  afterAll(async () => {
    await running?.emulator.close();
  });
  if (resetBeforeEach) {
    beforeEach(() => {
      current().emulator.reset();
    });
  }

  return {
    get emulator() {
      return current().emulator;
    },
    get http() {
      return current().http;
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body (undefined when the body is empty). */
  readonly json: unknown;
}

export interface RequestOptions {
  /** @default "text/plain", as the seed's curl examples send JSON */
  readonly contentType?: string;
  /** Send Basic credentials. @default true */
  readonly auth?: boolean;
  readonly headers?: Record<string, string>;
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

async function send(
  emulator: RunningEmulator,
  method: string,
  path: string,
  body: unknown,
  options: RequestOptions,
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth ?? true) {
    headers["Authorization"] = basicAuth(emulator.username, emulator.password);
  }
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    headers["Content-Type"] = options.contentType ?? "text/plain";
  }
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers,
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text === "" ? undefined : JSON.parse(text),
  };
}

/** A tiny fetch wrapper for the CycleCloud API and the admin surface (deliberately not the project's client). */
export function api(emulator: RunningEmulator) {
  return {
    get: (path: string, options: RequestOptions = {}) => send(emulator, "GET", path, undefined, options),
    post: (path: string, body?: unknown, options: RequestOptions = {}) =>
      send(emulator, "POST", path, body, options),
    request: (method: string, path: string, body?: unknown, options: RequestOptions = {}) =>
      send(emulator, method, path, body, options),
    /** Admin calls: no API credentials, JSON bodies, the admin token when the emulator has one. */
    admin: (method: "GET" | "POST" | "DELETE", path: string, body?: unknown) =>
      send(emulator, method, `/__emulator${path}`, body, {
        auth: false,
        contentType: "application/json",
        headers: emulator.adminHeaders(),
      }),
  };
}

export type Api = ReturnType<typeof api>;

/** Validates `value` against a wire schema (throws with zod's message when it does not fit). */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  return schema.parse(value);
}

/** A clock for `startEmulator({ clock })` that stands still until a test moves it. */
export interface ManualClock {
  now(): number;
  /** Moves the time forward by `ms`. */
  advance(ms: number): void;
  /** Sets the time (ms since the epoch). */
  set(ms: number): void;
}

/** 2026-01-01T00:00:00.000Z: where {@link manualClock} starts unless told otherwise. */
export const CLOCK_START = Date.UTC(2026, 0, 1);

export function manualClock(start = CLOCK_START): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
    set: (ms) => {
      time = ms;
    },
  };
}

/** The `Message` of a CycleCloud error body, after checking the body against the wire schema. */
export function errorMessage(reply: Reply): string {
  return ErrorBodySchema.parse(reply.json).Message ?? "(no Message)";
}
