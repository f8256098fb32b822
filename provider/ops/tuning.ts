/**
 * How often the provider polls and how hard it retries: one object, resolved once when a provider
 * context is made (see provider-context.ts), from `CYCLECLOUD_*` environment variables (tests,
 * benchmarks) or given directly (`createNodeSetProvider({ tuning })`).
 */
import { DEFAULT_CLIENT_SETTINGS } from "../client";

export interface Tuning {
  /** Shortest delay between two polls of the set's nodes (ms). `CYCLECLOUD_POLL_MIN_MS`. */
  pollMinMs: number;
  /** Longest delay between two polls (ms); never below `pollMinMs`. `CYCLECLOUD_POLL_MAX_MS`. */
  pollMaxMs: number;
  /** How often the client retries a failed request (whole number). `CYCLECLOUD_RETRIES`. */
  retries: number;
  /**
   * First delay of the client's retry backoff, and of re-sending a create that was throttled or
   * not applied (ms). `CYCLECLOUD_RETRY_BASE_DELAY_MS`.
   */
  retryBaseDelayMs: number;
}

/** The production tuning: what a provider process uses when no variable is set. */
export const DEFAULT_TUNING: Readonly<Tuning> = {
  pollMinMs: 1000,
  pollMaxMs: 10_000,
  retries: DEFAULT_CLIENT_SETTINGS.retries,
  retryBaseDelayMs: DEFAULT_CLIENT_SETTINGS.retryBaseDelayMs,
};

/** The environment variable of each setting. */
export const TUNING_VARIABLES: Readonly<Record<keyof Tuning, string>> = {
  pollMinMs: "CYCLECLOUD_POLL_MIN_MS",
  pollMaxMs: "CYCLECLOUD_POLL_MAX_MS",
  retries: "CYCLECLOUD_RETRIES",
  retryBaseDelayMs: "CYCLECLOUD_RETRY_BASE_DELAY_MS",
};

/**
 * The tuning from the environment. One rule for every variable: a set variable counts when
 * `Number(value)` is finite and >= 0 (and, for `CYCLECLOUD_RETRIES`, a whole number); anything
 * else is ignored and the default kept. (`Number("")` is 0: an empty variable means 0.)
 */
export function resolveTuning(
  env: Record<string, string | undefined>,
  overrides: Partial<Tuning> = {},
): Tuning {
  const tuning: Tuning = { ...DEFAULT_TUNING };
  for (const key of Object.keys(TUNING_VARIABLES) as (keyof Tuning)[]) {
    const text = env[TUNING_VARIABLES[key]];
    const value = text === undefined ? NaN : Number(text);
    if (!Number.isFinite(value) || value < 0) continue;
    if (key === "retries" && !Number.isInteger(value)) continue;
    tuning[key] = value;
  }
  for (const key of Object.keys(overrides) as (keyof Tuning)[]) {
    const value = overrides[key];
    if (value !== undefined) tuning[key] = value;
  }
  return tuning;
}

/**
 * Delay before the next readiness poll: about a tenth of the time waited so far, at least
 * `pollMinMs` (1 s) and at most `pollMaxMs` (10 s), so the lag after the last node becomes ready
 * stays near 10% of the wait.
 */
export function pollDelay(elapsedMs: number, tuning: Pick<Tuning, "pollMinMs" | "pollMaxMs">): number {
  const min = tuning.pollMinMs;
  const max = Math.max(min, tuning.pollMaxMs);
  return Math.min(max, Math.max(min, Math.round(elapsedMs / 10)));
}
