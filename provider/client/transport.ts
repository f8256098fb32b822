/** How the client talks to CycleCloud (see `CycleCloudClient`); each answer is read by `response-parsing.ts`. */
import * as http from "node:http";
import * as https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../version";
import { isLoopbackHost } from "../../wire/util/loopback";
import { HttpError, NetworkError, ResponseTooLargeError, TimeoutError } from "./errors";
import { httpErrorOf, parseBody } from "./response-parsing";
import type { Answer } from "./response-parsing";
import { retryDelay, shouldRetry } from "./retry";
import { credentialForms, errorText, serverTextCleaner } from "../../wire/util/server-text";
import type { ServerTextCleaner } from "../../wire/util/server-text";
import { resolveClientSettings } from "./settings";
import type { ClientSettings, FetchRequestInit, FetchResponse, ResolvedClientSettings } from "./settings";

/** Sent as `X-Cycle-Client-Version` (CycleCloud's `NAME:VERSION` convention). */
export const CLIENT_VERSION_HEADER_VALUE = `${PACKAGE_NAME}:${PACKAGE_VERSION}`;

/**
 * How long an idle pooled connection is kept when the server gives no `Keep-Alive: timeout` hint:
 * below the idle timeouts of common servers and proxies (30 s and more), above the provider's
 * poll intervals at their start.
 */
const IDLE_SOCKET_MS = 15_000;

/** One request to CycleCloud and the body its 2xx answer must have. */
interface RequestSpec<T> extends Answer<T> {
  method: "GET" | "POST";
  /** The path under the server root (segments encoded) and query. */
  path: string;
  body?: unknown;
  /** Whether a POST may be repeated (GETs always may). */
  idempotent: boolean;
}

/** Sends requests to one CycleCloud server with the client's settings. */
export class Transport {
  readonly #settings: ResolvedClientSettings;
  /** Kept private (and out of `util.inspect`): it is the password in base64. */
  readonly #authorization: string;
  readonly #agent: http.Agent;
  readonly #origin: string;
  /** Cleans server text for messages; holds the credentials' forms to redact, so kept private. */
  readonly #clean: ServerTextCleaner;

  /** Validates `settings` (a `SettingsError` lists every problem) and logs the insecure ones once. */
  constructor(settings: ClientSettings) {
    this.#settings = resolveClientSettings(settings);
    const { url, username, password, caCert, insecure } = this.#settings;
    this.#authorization = `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
    this.#origin = new URL(url).origin;
    this.#clean = serverTextCleaner([this.#authorization, ...credentialForms(username, password)]);
    // Keep-alive: one connection (one TLS handshake) serves a create and its polls. An idle socket
    // is dropped after the server's `Keep-Alive: timeout` hint less a second, else after
    // IDLE_SOCKET_MS, before a server is likely to close it. A request that still meets a socket
    // the server closed fails as a network error: GETs and idempotent POSTs are retried, and a
    // create's lost answer is resolved by listing its request id (create-protocol.ts).
    const pool = { keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" as const };
    const trust = { rejectUnauthorized: !insecure, ...(caCert === undefined ? {} : { ca: caCert }) };
    this.#agent = url.startsWith("https:") ? new https.Agent({ ...pool, ...trust }) : new http.Agent(pool);
    if (insecure && url.startsWith("https:")) {
      this.#settings.logger?.(
        `WARNING: TLS certificate verification is OFF for CycleCloud at ${this.#origin} (\`insecure: true\`): ` +
          "anyone on the network path can impersonate the server and capture the CycleCloud password. " +
          "Trust the server's certificate with `caCert` instead.",
      );
    }
    if (url.startsWith("http:") && !isLoopbackHost(new URL(url).hostname)) {
      this.#settings.logger?.(
        `WARNING: CycleCloud at ${this.#origin} is reached over plain http: the password travels unencrypted. ` +
          "Use an https `url`.",
      );
    }
  }

  /** Sends `spec`, retrying as `shouldRetry` allows, and returns its validated body. */
  async request<T>(spec: RequestSpec<T>): Promise<T> {
    const { retries, retryBaseDelayMs, retryMaxDelayMs, timeoutMs, logger } = this.#settings;
    const { method, path, idempotent } = spec;
    const start = Date.now();
    let timedOut = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(spec);
      } catch (error) {
        if (error instanceof TimeoutError) timedOut++;
        if (!shouldRetry({ method, idempotent, error, attempt, maxRetries: retries })) {
          if (error instanceof TimeoutError && attempt > 1) {
            // Name every attempt and the time they took, not just the last one's timeout.
            const made = { made: attempt, timedOut, elapsedMs: Date.now() - start, origin: this.#origin };
            throw new TimeoutError({ method, path, timeoutMs, attempts: made });
          }
          throw error;
        }
        const delayMs = retryDelay(attempt, {
          baseMs: retryBaseDelayMs,
          maxMs: retryMaxDelayMs,
          retryAfterMs: error instanceof HttpError ? error.retryAfterMs : undefined,
        });
        // `shouldRetry` only accepts the client's own errors, whose messages are safe to log.
        logger?.(`${errorText(error)}; retrying in ${delayMs} ms (retry ${attempt} of ${retries})`);
        // No signal to pass: the client's methods take none.
        await sleep(delayMs);
      }
    }
  }

  /** One attempt: send, read the body (at most `maxResponseBytes`) within `timeoutMs`, check both. */
  async #attempt<T>(spec: RequestSpec<T>): Promise<T> {
    const { method, path } = spec;
    const { timeoutMs, maxResponseBytes, url } = this.#settings;
    const headers: Record<string, string> = {
      Authorization: this.#authorization,
      Accept: "application/json",
      "User-Agent": `${PACKAGE_NAME}/${PACKAGE_VERSION}`,
      "X-Cycle-Client-Version": CLIENT_VERSION_HEADER_VALUE,
    };
    const controller = new AbortController();
    // A redirect is reported, not followed: following it would resend the credentials elsewhere.
    const init: FetchRequestInit = {
      method,
      headers,
      signal: controller.signal,
      agent: this.#agent,
      redirect: "manual",
    };
    if (spec.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(spec.body);
    }
    // Runs until the answer is parsed; parsing itself is bounded by the size cap and by
    // splitNodeRecords giving up on a body of mostly unreadable records.
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let response: FetchResponse;
      let text: string | undefined;
      try {
        response = await this.#settings.fetch(`${url}${path}`, init);
        text = await readBodyText(response, maxResponseBytes);
      } catch (error) {
        if (controller.signal.aborted) throw new TimeoutError({ method, path, timeoutMs });
        throw new NetworkError({ method, path, origin: this.#origin, cause: error });
      }
      if (text === undefined) {
        // Drops the connection: the rest of the body is never read.
        controller.abort();
        throw new ResponseTooLargeError({
          method,
          path,
          status: response.status,
          limitBytes: maxResponseBytes,
        });
      }
      const contentType = response.headers.get("content-type") ?? undefined;
      if (response.status < 200 || response.status > 299) {
        throw httpErrorOf(spec, response, text, { contentType, baseUrl: url, clean: this.#clean });
      }
      // Handed over in a box that parseBody empties: this frame keeps no reference to the text.
      const body = { text };
      text = undefined;
      return parseBody(spec, response.status, body, { contentType, clean: this.#clean });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The body as text, or `undefined` when it is larger than `limitBytes`. The limit is enforced while
 * reading: a body announced (by `Content-Length`) or found to be larger is not read further, and the
 * caller drops the connection, so a server or proxy that answers an endless body cannot run the
 * process out of memory.
 */
async function readBodyText(response: FetchResponse, limitBytes: number): Promise<string | undefined> {
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(announced) && announced > limitBytes) return undefined;
  const body = response.body;
  if (body === undefined || body === null) {
    // A `fetch` without a streaming body (a test double): the limit is checked after reading.
    const text = await response.text();
    return Buffer.byteLength(text, "utf8") > limitBytes ? undefined : text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early (`return`) destroys the stream; the caller aborts the request.
  for await (const chunk of body) {
    const buffer =
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += buffer.length;
    if (size > limitBytes) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}
