/**
 * The client's options (`ClientSettings`), their defaults, and their validation: every problem
 * named with its option and the fix, never with the password or the URL (which could carry one).
 */
import type { Agent } from "node:http";
import nodeFetch, { type RequestInit as NodeFetchRequestInit } from "node-fetch";
import { z } from "zod";
import { SettingsError } from "./errors";

/** What the client passes to `fetch`: a subset of node-fetch's `RequestInit`. */
export interface FetchRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** node-fetch honours this (TLS trust, keep-alive); a `fetch` that ignores it loses `caCert` and `insecure`. */
  agent?: Agent;
  redirect: "manual";
}

/** What the client reads from a `fetch` response. */
export interface FetchResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  /** The body as a stream (node-fetch's); read with a size limit. Without it, `text()` is used. */
  readonly body?: AsyncIterable<Uint8Array | string> | null;
  text(): Promise<string>;
}

/** A `fetch` the client can use: node-fetch v2's, or a test double. */
export type FetchLike = (url: string, init: FetchRequestInit) => Promise<FetchResponse>;

/**
 * node-fetch v2 as a `FetchLike`. Its typings declare their own `AbortSignal` whose listener options
 * clash with Node's under `exactOptionalPropertyTypes`; at run time it is given (and checks for) Node's
 * `AbortSignal`, so the one assertion below is only about typings.
 */
const defaultFetch: FetchLike = (url, init) =>
  nodeFetch(url, { ...init, signal: init.signal as unknown as NodeFetchRequestInit["signal"] });

/** Options of `CycleCloudClient`. Validated once, by `resolveClientSettings`. */
export interface ClientSettings {
  /**
   * Root of the CycleCloud server, with the scheme: `https://cyclecloud.example.com:8443`. A path
   * prefix is kept (`https://example.com/cyclecloud`); credentials, query and fragment are refused.
   */
  url: string;
  /** CycleCloud user for HTTP Basic authentication. */
  username: string;
  /** That user's password. Never appears in errors or logs. */
  password: string;
  /**
   * PEM text of the CA certificate(s) to trust for `url`, e.g. the server's self-signed certificate.
   * Verification stays on. Replaces the system's CA list for this client.
   */
  caCert?: string | undefined;
  /** Turns TLS certificate verification off (and logs a warning). Prefer `caCert`. @default false */
  insecure?: boolean | undefined;
  /** Time allowed for one attempt (connect, headers and body), in milliseconds. @default 30000 */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt, of requests safe to repeat (never node creation). @default 4 */
  retries?: number | undefined;
  /** First retry waits about this long (milliseconds); each later one doubles, with jitter. @default 500 */
  retryBaseDelayMs?: number | undefined;
  /** Longest wait between attempts (ms), also the cap on a server's `Retry-After`. @default 15000 */
  retryMaxDelayMs?: number | undefined;
  /**
   * Largest answer body read, in bytes; a longer one fails with a `ResponseTooLargeError` and the
   * connection is dropped. The default fits `GET /clusters/{c}/status?nodes=true` of a 10,000-node
   * cluster with room to spare (see {@link DEFAULT_CLIENT_SETTINGS}).
   * @default 134217728 (128 MiB)
   */
  maxResponseBytes?: number | undefined;
  /** The `fetch` to use. @default node-fetch v2 */
  fetch?: FetchLike | undefined;
  /** Receives warnings (e.g. `insecure`) and one line per retry. Without it they are dropped. */
  logger?: ((line: string) => void) | undefined;
}

/** The defaults of the optional `ClientSettings`. */
export const DEFAULT_CLIENT_SETTINGS = {
  insecure: false,
  timeoutMs: 30_000,
  retries: 4,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 15_000,
  // Why 128 MiB: the largest answer CycleCloud gives is the status with `nodes=true`. A real node
  // record (identity, state, addresses, `Configuration`, `Tags`, instance fields) is a few KB; at a
  // generous 6 KB, 10,000 nodes make about 60 MB, plus the buckets' `activeNodes` names (about 0.2
  // MB). The default leaves twice that.
  maxResponseBytes: 128 * 1024 * 1024,
} as const;

/** The largest `maxResponseBytes` accepted (1 GiB): a longer JavaScript string cannot be built anyway. */
const MAX_RESPONSE_BYTES_LIMIT = 1024 * 1024 * 1024;

/** `ClientSettings` after validation: defaults applied, `url` normalised (no trailing slash). */
export type ResolvedClientSettings = Readonly<
  { [K in keyof ClientSettings]-?: ClientSettings[K] } & {
    [K in keyof typeof DEFAULT_CLIENT_SETTINGS | "fetch"]-?: NonNullable<ClientSettings[K]>;
  }
>;

/** Ends each `url` message: an example, never the value given (it may hold a password). */
const URL_EXAMPLE = ", e.g. https://cyclecloud.example.com:8443";
/** Node's timers cannot wait longer (2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

const urlSchema = z
  .string({
    error: (issue) =>
      `\`url\` ${issue.input === undefined ? "is required" : "must be a string"}${URL_EXAMPLE}`,
  })
  .transform((value, context) => {
    const url = parseUrl(value.trim());
    if (url instanceof URL) return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
    context.addIssue({ code: "custom", message: url });
    return z.NEVER;
  });

/** `value` as the server URL, or what is wrong with it. */
function parseUrl(value: string): URL | string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (value === "") return `\`url\` is required${URL_EXAMPLE}`;
  if (scheme === undefined) return `\`url\` must include the scheme${URL_EXAMPLE}`;
  if (!/^https?$/i.test(scheme)) return `\`url\` must use http or https${URL_EXAMPLE}`;
  if (!URL.canParse(value)) return `\`url\` is not a valid URL${URL_EXAMPLE}`;
  const url = new URL(value);
  if (url.username !== "" || url.password !== "") {
    return "`url` must not contain credentials; give them as `username` and `password`";
  }
  if (url.search !== "" || url.hash !== "" || /[?#]$/.test(value)) {
    return `\`url\` must not include a query or fragment${URL_EXAMPLE}`;
  }
  return url;
}

/** An integer setting from `minimum` to `maximum`, with one message for every way it is wrong. */
function integerSchema(minimum: number, maximum: number, message: string) {
  return z
    .number({ error: message })
    .int({ error: message })
    .min(minimum, { error: message })
    .max(maximum, { error: message });
}

/** A timer setting, up to the longest timer; its message gives its default as example. */
function timerSchema(name: "timeoutMs" | "retries" | "retryBaseDelayMs" | "retryMaxDelayMs", minimum: 0 | 1) {
  const kind = minimum === 1 ? "a positive" : "a non-negative";
  const unit = name === "retries" ? " (0 turns retries off)" : " number of milliseconds";
  return integerSchema(
    minimum,
    MAX_TIMER_MS,
    `\`${name}\` must be ${kind} integer${unit}, e.g. ${DEFAULT_CLIENT_SETTINGS[name]}`,
  ).default(DEFAULT_CLIENT_SETTINGS[name]);
}

const nonEmptyString = (message: string) => z.string({ error: message }).min(1, { error: message });
const functionSchema = <T>(message: string) =>
  z.custom<T>((value) => typeof value === "function", { error: message }).optional();

const READ_CA_CERT_FILE = "to trust a file, read it first (or set `cyclecloud:caCertPath`)";

/** The options of `ClientSettings`, each with its check. */
const settingsShape = {
  url: urlSchema,
  username: nonEmptyString("`username` must be a non-empty string (the CycleCloud user name)").refine(
    (value) => !value.includes(":"),
    { error: "`username` must not contain ':' (HTTP Basic authentication cannot carry it)" },
  ),
  password: nonEmptyString("`password` must be a non-empty string (the CycleCloud user's password)"),
  caCert: z
    .string({ error: `\`caCert\` must be PEM text; ${READ_CA_CERT_FILE}` })
    .refine((value) => value.includes("-----BEGIN CERTIFICATE-----"), {
      error: `\`caCert\` must be PEM text containing -----BEGIN CERTIFICATE-----; ${READ_CA_CERT_FILE}`,
    })
    .optional(),
  insecure: z
    .boolean({ error: "`insecure` must be true or false" })
    .default(DEFAULT_CLIENT_SETTINGS.insecure),
  timeoutMs: timerSchema("timeoutMs", 1),
  retries: timerSchema("retries", 0),
  retryBaseDelayMs: timerSchema("retryBaseDelayMs", 0),
  retryMaxDelayMs: timerSchema("retryMaxDelayMs", 0),
  maxResponseBytes: integerSchema(
    1024,
    MAX_RESPONSE_BYTES_LIMIT,
    `\`maxResponseBytes\` must be an integer number of bytes from 1024 to ${MAX_RESPONSE_BYTES_LIMIT}, ` +
      `e.g. ${DEFAULT_CLIENT_SETTINGS.maxResponseBytes}`,
  ).default(DEFAULT_CLIENT_SETTINGS.maxResponseBytes),
  fetch: functionSchema<FetchLike>("`fetch` must be a function like node-fetch's `fetch`"),
  logger: functionSchema<(line: string) => void>("`logger` must be a function that takes one line of text"),
} satisfies Record<keyof ClientSettings, z.ZodType>;
const OPTION_NAMES = Object.keys(settingsShape)
  .map((name) => `\`${name}\``)
  .join(", ");

const settingsSchema = z
  .strictObject(settingsShape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => `unknown option \`${key}\`; the options are ${OPTION_NAMES}`).join("; ")
        : "the CycleCloud client settings must be an object",
  })
  .transform(({ caCert, fetch, logger, ...rest }, context): ResolvedClientSettings => {
    // The schemas applied the other defaults; `fetch` is a function, which zod's `default` would call.
    const resolved = { ...rest, caCert, fetch: fetch ?? defaultFetch, logger };
    const problem = (message: string) => context.addIssue({ code: "custom", message });
    if (caCert !== undefined && resolved.insecure) {
      problem(
        "`caCert` and `insecure` cannot both be set: keep `caCert` (verification stays on) and remove `insecure`",
      );
    }
    if (resolved.retryMaxDelayMs < resolved.retryBaseDelayMs) {
      problem(
        `\`retryMaxDelayMs\` (${resolved.retryMaxDelayMs}) must be at least ` +
          `\`retryBaseDelayMs\` (${resolved.retryBaseDelayMs})`,
      );
    }
    return resolved;
  });

/**
 * Validates `input` and applies the defaults. Throws a `SettingsError` listing every problem, each
 * naming the option in backticks and the fix. No message ever contains the password (or the URL,
 * which could carry one).
 */
export function resolveClientSettings(input: ClientSettings): ResolvedClientSettings {
  const result = settingsSchema.safeParse(input);
  if (!result.success) throw new SettingsError(result.error.issues.map((issue) => issue.message));
  return result.data;
}
