import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import type { NodeSetProvider, NodeSetProviderOptions } from "../../provider/engine/node-set-provider";
import { createNodeSetProvider } from "../../provider/engine/node-set-provider";
import type { NodeSetState } from "../../provider/core/node-set-state";
import type { Tuning } from "../../provider/ops/tuning";

/**
 * Polls every 20 ms instead of every second, so lifecycle tests take milliseconds; two quick
 * retries instead of four with backoff from 500 ms.
 */
export const TEST_TUNING: Tuning = { pollMinMs: 20, pollMaxMs: 50, retries: 2, retryBaseDelayMs: 10 };

/** What the provider of the current test printed: progress lines (`info`) and client lines (`error`). */
export const output: { info: string[]; error: string[] } = { info: [], error: [] };

let currentProvider: NodeSetProvider = createNodeSetProvider();

/** The provider of the current test (each call goes to the one {@link configureFor} made last). */
export const provider: NodeSetProvider = {
  configure: (...args) => currentProvider.configure(...args),
  check: (...args) => currentProvider.check(...args),
  diff: (...args) => currentProvider.diff(...args),
  create: (...args) => currentProvider.create(...args),
  read: (...args) => currentProvider.read(...args),
  update: (...args) => currentProvider.update(...args),
  delete: (...args) => currentProvider.delete(...args),
};

/**
 * A fresh provider (a new provider process) with {@link TEST_TUNING}, an empty environment (no
 * `CYCLECLOUD_*` variable of the shell reaches it) and its lines captured in {@link output}.
 * `options` overrides any of these.
 */
export function freshProvider(options: NodeSetProviderOptions = {}): NodeSetProvider {
  output.info = [];
  output.error = [];
  currentProvider = createNodeSetProvider({
    logger: { info: (line) => void output.info.push(line), error: (line) => void output.error.push(line) },
    tuning: TEST_TUNING,
    env: {},
    ...options,
  });
  return provider;
}

export async function startTestEmulator(
  timing = { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 },
): Promise<RunningEmulator> {
  return startEmulator({ port: 0, timing });
}

/** The emulator of a provider test file; set in `beforeAll`. */
export interface ProviderTestFixture {
  readonly emu: RunningEmulator;
}

/**
 * Registers the hooks of a provider test file: a {@link startTestEmulator} for all its tests and,
 * before each test, the emulator reset and a fresh provider configured for it ({@link configureFor}),
 * whose lines go to {@link output}.
 */
export function useProviderEmulator(): ProviderTestFixture {
  let running: RunningEmulator | undefined;
  const current = (): RunningEmulator => {
    if (running === undefined) {
      throw new Error("the emulator is started in beforeAll: use it inside a hook or a test");
    }
    return running;
  };

  beforeAll(async () => {
    running = await startTestEmulator();
  });
  afterAll(async () => {
    await running?.close();
  });
  beforeEach(async () => {
    const emu = current();
    emu.reset();
    await configureFor(emu);
  });

  return {
    get emu() {
      return current();
    },
  };
}

/**
 * A fresh provider process ({@link freshProvider}), configured with the emulator's connection as
 * stack config.
 */
export async function configureFor(
  emu: RunningEmulator,
  options: NodeSetProviderOptions = {},
): Promise<void> {
  freshProvider(options);
  const config: Record<string, string> = {
    "cyclecloud:url": emu.url,
    "cyclecloud:username": emu.username,
    "cyclecloud:password": emu.password,
  };
  await provider.configure({
    config: { get: (key: string) => config[key], require: (key: string) => config[key] ?? "" },
  });
}

let serial = 0;
/** Raw program inputs for a set, with a unique identity per test. */
export function declare(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return {
    identity: `proj/test/set${serial}-${Date.now()}`,
    cluster: "hpc",
    nodearray: "ondemand",
    count: 2,
    machineType: "Standard_Fs32_v2",
    ...overrides,
  };
}

/** `check` that must pass; returns the checked inputs. */
export async function checked(
  news: Record<string, unknown>,
  olds: object = {},
): Promise<Record<string, unknown>> {
  const result = await provider.check(olds as Record<string, unknown>, news);
  expect(result.failures).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

export async function createSet(news: Record<string, unknown>): Promise<{ id: string; state: NodeSetState }> {
  const inputs = await checked(news);
  const result = await provider.create(inputs);
  return { id: result.id, state: result.outs as NodeSetState };
}

/** Live nodes (not terminating) the emulator holds for these request ids. */
export function liveNodes(emu: RunningEmulator, requestIds: readonly string[]) {
  return emu
    .nodes()
    .filter((n) => n.requestId !== null && requestIds.includes(n.requestId))
    .filter((n) => !["Terminating", "Terminated"].includes(n.record.Status));
}

export async function admin(emu: RunningEmulator, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${emu.adminUrl}${path}`, {
    method: "POST",
    headers: emu.adminHeaders(),
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
  return response.json();
}

/** Mutating API requests the emulator received. */
export function mutations(emu: RunningEmulator): number {
  const c = emu.counters();
  return c.create + c.terminate + c.deallocate + c.start + c.shutdown + c.remove + c.scale;
}

/** Creates nodes outside Pulumi, as another tool would, with a request id of its own. */
export async function createOutside(
  emu: RunningEmulator,
  requestId: string,
  count: number,
  machineType: string,
): Promise<void> {
  const response = await fetch(`${emu.url}/clusters/hpc/nodes/create`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`${emu.username}:${emu.password}`).toString("base64")}` },
    body: JSON.stringify({
      requestId,
      sets: [{ count, nodearray: "ondemand", definition: { machineType } }],
    }),
  });
  expect(response.status).toBe(202);
}
