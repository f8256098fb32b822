import { describe, expect, it } from "vitest";
import {
  HttpError,
  NetworkError,
  RETRY_AFTER_CAP_MS,
  ResponseValidationError,
  TimeoutError,
  parseRetryAfter,
  retryDelay,
  shouldRetry,
} from "../../provider/client";

function status(code: number): HttpError {
  return new HttpError({ method: "GET", path: "/clusters/hpc/nodes", status: code });
}

function network(code: string): NetworkError {
  return new NetworkError({
    method: "GET",
    path: "/clusters/hpc/nodes",
    origin: "https://cyclecloud.example.com:8443",
    cause: Object.assign(new Error(code.toLowerCase()), { code }),
  });
}

const timeout = new TimeoutError({ method: "GET", path: "/clusters/hpc/nodes", timeoutMs: 30_000 });
const invalidBody = new ResponseValidationError({
  method: "GET",
  path: "/clusters/hpc/nodes",
  status: 200,
  expected: "NodeList",
  problems: ["nodes: expected array, but it is missing"],
});

describe("shouldRetry", () => {
  it.each<[string, string, boolean, unknown, number, number, boolean]>([
    // description, method, idempotent, error, attempt, maxRetries, expected
    ["a GET after 503", "GET", false, status(503), 1, 4, true],
    ["a GET after 408", "GET", false, status(408), 1, 4, true],
    ["a GET after 429", "GET", false, status(429), 1, 4, true],
    ["a GET after 500", "GET", false, status(500), 1, 4, true],
    ["a GET after 502", "GET", false, status(502), 1, 4, true],
    ["a GET after 504", "GET", false, status(504), 1, 4, true],
    ["a GET after 501", "GET", false, status(501), 1, 4, false],
    ["a GET after 400", "GET", false, status(400), 1, 4, false],
    ["a GET after 401", "GET", false, status(401), 1, 4, false],
    ["a GET after 404", "GET", false, status(404), 1, 4, false],
    ["a GET after 409", "GET", false, status(409), 1, 4, false],
    ["a GET after a connection reset", "GET", false, network("ECONNRESET"), 1, 4, true],
    ["a GET after connection refused", "GET", false, network("ECONNREFUSED"), 1, 4, true],
    [
      "a GET after an untrusted certificate",
      "GET",
      false,
      network("DEPTH_ZERO_SELF_SIGNED_CERT"),
      1,
      4,
      false,
    ],
    ["a GET after a timeout", "GET", false, timeout, 1, 4, true],
    ["a GET whose body did not validate", "GET", false, invalidBody, 1, 4, false],
    ["a GET after an unknown error", "GET", false, new TypeError("bug"), 1, 4, false],
    ["a GET on its last allowed retry", "GET", false, status(503), 4, 4, true],
    ["a GET when the retries are used up", "GET", false, status(503), 5, 4, false],
    ["a GET when retries are off", "GET", false, status(503), 1, 0, false],
    ["a lower-case get", "get", false, status(503), 1, 4, true],
    ["an idempotent POST after 503", "POST", true, status(503), 1, 4, true],
    ["an idempotent POST after a network error", "POST", true, network("ECONNRESET"), 1, 4, true],
    ["an idempotent POST after 409", "POST", true, status(409), 1, 4, false],
    ["the create POST after 503", "POST", false, status(503), 1, 4, false],
    ["the create POST after 429", "POST", false, status(429), 1, 4, false],
    ["the create POST after a network error", "POST", false, network("ECONNRESET"), 1, 4, false],
    ["the create POST after a timeout", "POST", false, timeout, 1, 4, false],
    ["the create POST after 409", "POST", false, status(409), 1, 4, false],
  ])("decides for %s", (_case, method, idempotent, error, attempt, maxRetries, expected) => {
    expect(shouldRetry({ method, idempotent, error, attempt, maxRetries })).toBe(expected);
  });
});

describe("retryDelay", () => {
  it.each<[string, number, number, number, number | undefined, number, number]>([
    // description, attempt, baseMs, maxMs, retryAfterMs, random, expected
    ["the first retry, no jitter", 1, 500, 15_000, undefined, 0, 250],
    ["the first retry, most jitter", 1, 500, 15_000, undefined, 0.999, 500],
    ["the first retry, half jitter", 1, 500, 15_000, undefined, 0.5, 375],
    ["the second retry doubles", 2, 500, 15_000, undefined, 0, 500],
    ["the third retry doubles again", 3, 500, 15_000, undefined, 0.5, 1500],
    ["a late retry is capped at maxMs", 8, 500, 15_000, undefined, 0.999, 14_993],
    ["a late retry is capped, then jittered", 8, 500, 15_000, undefined, 0, 7500],
    ["a huge attempt number stays finite", 10_000, 500, 15_000, undefined, 0, 7500],
    ["a zero base never waits", 3, 0, 15_000, undefined, 0.9, 0],
    ["Retry-After longer than the backoff", 1, 500, 15_000, 3000, 0.5, 3000],
    ["Retry-After shorter than the backoff", 3, 500, 15_000, 100, 0, 1000],
    ["Retry-After capped at maxMs", 1, 500, 15_000, 120_000, 0, 15_000],
    ["Retry-After of zero", 1, 500, 15_000, 0, 0, 250],
  ])("waits for %s", (_case, attempt, baseMs, maxMs, retryAfterMs, random, expected) => {
    expect(retryDelay(attempt, { baseMs, maxMs, retryAfterMs, random: () => random })).toBe(expected);
  });

  it("stays within the jitter bounds with Math.random", () => {
    const delays = Array.from({ length: 200 }, () => retryDelay(2, { baseMs: 500, maxMs: 15_000 }));

    expect(delays.filter((delay) => delay < 500 || delay > 1000)).toStrictEqual([]);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-05-01T10:00:00.000Z");

  it.each<[string, string | null | undefined, number | undefined]>([
    ["delta seconds", "120", 120_000],
    ["zero seconds", "0", 0],
    ["seconds with spaces", " 5 ", 5000],
    ["seconds above the cap", "86400", 3_600_000],
    ["an absurd number of seconds", "99999999999999999999", 3_600_000],
    ["an HTTP date 30 s ahead", "Wed, 01 May 2024 10:00:30 GMT", 30_000],
    ["an HTTP date in the past", "Wed, 01 May 2024 09:59:00 GMT", 0],
    ["an HTTP date beyond the cap", "Thu, 02 May 2024 10:00:00 GMT", 3_600_000],
    ["negative seconds", "-1", undefined],
    ["fractional seconds", "1.5", undefined],
    ["a word", "soon", undefined],
    ["an empty value", "", undefined],
    ["no header", null, undefined],
    ["an undefined header", undefined, undefined],
  ])("parses %s", (_case, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it("caps at one hour", () => {
    expect(RETRY_AFTER_CAP_MS).toBe(3_600_000);
  });
});
