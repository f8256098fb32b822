/**
 * Pacing of failed Basic authentication, per client address: after `freeFailures` wrong or missing
 * credentials in a row, the client must wait (`initialDelayMs`, doubling with each further failure
 * up to `maxDelayMs`) before its credentials are checked again; a request sent sooner is answered
 * 429 with `Retry-After`, without looking at its credentials. A success forgets the client. No
 * request is held open, so many parallel guesses cost the server nothing.
 */
import { z } from "zod";

export interface AuthPacing {
  /** Failures in a row answered at once (401) before pacing starts. */
  readonly freeFailures: number;
  /** Wait after the first paced failure; doubles with each further one. */
  readonly initialDelayMs: number;
  /** Longest wait. */
  readonly maxDelayMs: number;
}

/** On by default: 10 free failures, then waits of 250 ms doubling up to 4 s. */
export const DEFAULT_AUTH_PACING: AuthPacing = Object.freeze({
  freeFailures: 10,
  initialDelayMs: 250,
  maxDelayMs: 4000,
});

/** The `authPacing` option: `false` turns pacing off; an object changes any of the defaults. */
export const AuthPacingOptionSchema = z.union([
  z.literal(false),
  z.strictObject({
    freeFailures: z.number().int().nonnegative().max(1_000_000).default(DEFAULT_AUTH_PACING.freeFailures),
    initialDelayMs: z.number().int().positive().max(60_000).default(DEFAULT_AUTH_PACING.initialDelayMs),
    maxDelayMs: z.number().int().positive().max(3_600_000).default(DEFAULT_AUTH_PACING.maxDelayMs),
  }),
]);

/** Clients remembered at once; the least recently failing is forgotten first. */
const MAX_TRACKED_CLIENTS = 10_000;

interface ClientState {
  failures: number;
  /** Credentials are not checked before this time (ms). */
  blockedUntil: number;
}

export class AuthPacer {
  private readonly clients = new Map<string, ClientState>();

  constructor(private readonly pacing: AuthPacing | false) {}

  /** Ms `client` must still wait before its credentials are checked (0: check them now). */
  waitMs(client: string, now: number): number {
    const state = this.clients.get(client);
    return state === undefined ? 0 : Math.max(0, state.blockedUntil - now);
  }

  /** Records a failed authentication of `client` at `now`. */
  failed(client: string, now: number): void {
    if (this.pacing === false) return;
    const state = this.clients.get(client) ?? { failures: 0, blockedUntil: 0 };
    this.clients.delete(client);
    if (this.clients.size >= MAX_TRACKED_CLIENTS) {
      const oldest = this.clients.keys().next();
      if (oldest.done !== true) this.clients.delete(oldest.value);
    }
    this.clients.set(client, state);
    state.failures += 1;
    const paced = state.failures - this.pacing.freeFailures;
    if (paced > 0) {
      const delay = this.pacing.initialDelayMs * 2 ** Math.min(paced - 1, 30);
      state.blockedUntil = now + Math.min(this.pacing.maxDelayMs, delay);
    }
  }

  /** A success: `client` starts over. */
  succeeded(client: string): void {
    this.clients.delete(client);
  }
}
