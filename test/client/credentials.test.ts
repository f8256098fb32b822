import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  CycleCloudClient,
  HttpError,
  NetworkError,
  ResponseValidationError,
  SettingsError,
  TimeoutError,
  resolveClientSettings,
} from "../../provider/client";
import type { ClientSettings, FetchLike, FetchRequestInit, FetchResponse } from "../../provider/client";
import { BASE_URL, PASSWORD, USERNAME } from "./fixtures";

/** The password, and the Basic credential that carries it. */
const SECRETS = [PASSWORD, Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64")];

/** Every way an error reaches a log or a terminal. */
function renderings(error: Error): Record<string, string> {
  return {
    string: String(error),
    message: error.message,
    json: JSON.stringify(error),
    inspect: inspect(error, { depth: Infinity, showHidden: true }),
  };
}

/** The renderings that contain a secret; must be empty. */
function leaks(error: Error): string[] {
  return Object.entries(renderings(error))
    .filter(([, text]) => SECRETS.some((secret) => text.includes(secret)))
    .map(([name]) => name);
}

function response(status: number, body: string, headers: Record<string, string> = {}): FetchResponse {
  const lower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    status,
    statusText: "",
    headers: { get: (name) => lower.get(name.toLowerCase()) ?? null },
    text: () => Promise.resolve(body),
  };
}

/** A fetch that records what it was given and answers with `answer`. */
function stubFetch(answer: (init: FetchRequestInit) => Promise<FetchResponse>): {
  fetch: FetchLike;
  calls: FetchRequestInit[];
} {
  const calls: FetchRequestInit[] = [];
  const fetch: FetchLike = (_url, init) => {
    calls.push(init);
    return answer(init);
  };
  return { fetch, calls };
}

function client(
  fetch: FetchLike,
  overrides: Partial<ClientSettings> = {},
): { client: CycleCloudClient; lines: string[] } {
  const lines: string[] = [];
  const instance = new CycleCloudClient({
    url: BASE_URL,
    username: USERNAME,
    password: PASSWORD,
    retries: 0,
    fetch,
    logger: (line) => lines.push(line),
    ...overrides,
  });
  return { client: instance, lines };
}

async function rejectionOf<T>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(type);
  if (!(outcome instanceof type)) {
    throw new Error("expected a rejection");
  }
  return outcome;
}

describe("credentials in errors", () => {
  it("detects a leak in each rendering (control for the checks below)", () => {
    expect(leaks(Object.assign(new Error(`password is ${PASSWORD}`), { basic: SECRETS[1] }))).toStrictEqual([
      "string",
      "message",
      "json",
      "inspect",
    ]);
  });

  it("sends the password only in the Authorization header", async () => {
    const { fetch, calls } = stubFetch(() => Promise.resolve(response(200, '{"nodes":[]}')));

    await client(fetch).client.listNodes("hpc");

    expect(calls.map((init) => init.headers["Authorization"])).toStrictEqual([`Basic ${SECRETS[1] ?? ""}`]);
  });

  it("keeps them out of an HttpError", async () => {
    const { fetch } = stubFetch(() =>
      Promise.resolve(response(401, "Unauthorized", { "Content-Type": "text/plain" })),
    );

    const error = await rejectionOf(client(fetch).client.listNodes("hpc"), HttpError);

    expect(error.message).toBe(
      "CycleCloud answered 401 to GET /clusters/hpc/nodes: Unauthorized; check the `username` and `password` settings",
    );
    expect(leaks(error)).toStrictEqual([]);
  });

  it("keeps them out of a NetworkError, even when the cause held the request", async () => {
    const { fetch } = stubFetch((init) =>
      Promise.reject(
        Object.assign(
          new Error(`request to https://${USERNAME}:${PASSWORD}@proxy.example.com failed, reason: reset`),
          {
            code: "ECONNRESET",
            request: { headers: init.headers },
          },
        ),
      ),
    );

    const error = await rejectionOf(client(fetch).client.listNodes("hpc"), NetworkError);

    expect(error.message).toBe(
      "Connection to CycleCloud at https://cyclecloud.example.com:8443 failed during GET /clusters/hpc/nodes: " +
        "reset (ECONNRESET)",
    );
    expect(error.cause instanceof Error && error.cause.message).toBe(
      "request to https://***@proxy.example.com failed, reason: reset",
    );
    expect(leaks(error)).toStrictEqual([]);
  });

  it("keeps them out of a TimeoutError", async () => {
    const { fetch } = stubFetch(
      (init) =>
        new Promise((_resolve, reject) => {
          init.signal.addEventListener("abort", () =>
            reject(new Error(`aborted ${JSON.stringify(init.headers)}`)),
          );
        }),
    );

    const error = await rejectionOf(client(fetch, { timeoutMs: 10 }).client.listNodes("hpc"), TimeoutError);

    expect(error.message).toBe(
      "CycleCloud did not answer GET /clusters/hpc/nodes within 10 ms; if the server is just slow, raise `timeoutSeconds` (stack config `cyclecloud:timeoutSeconds` or `connection.timeoutSeconds`; `timeoutMs` of a CycleCloudClient)",
    );
    expect(leaks(error)).toStrictEqual([]);
  });

  it("keeps them out of a ResponseValidationError", async () => {
    const { fetch } = stubFetch(() =>
      Promise.resolve(response(200, "<html>login</html>", { "Content-Type": "text/html" })),
    );

    const error = await rejectionOf(client(fetch).client.listNodes("hpc"), ResponseValidationError);

    expect(leaks(error)).toStrictEqual([]);
  });

  it("keeps them out of a SettingsError, even when the url or an unknown option carries them", () => {
    let caught: unknown;
    try {
      resolveClientSettings({
        url: `https://${USERNAME}:${PASSWORD}@cyclecloud.example.com`,
        username: USERNAME,
        password: PASSWORD,
        timeoutMs: -1,
        ...{ pass: PASSWORD },
      });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(SettingsError);
    const error = caught instanceof SettingsError ? caught : new SettingsError([]);
    expect(error.issues).toStrictEqual([
      "`url` must not contain credentials; give them as `username` and `password`",
      "`timeoutMs` must be a positive integer number of milliseconds, e.g. 30000",
      "unknown option `pass`; the options are `url`, `username`, `password`, `caCert`, `insecure`, `timeoutMs`, " +
        "`retries`, `retryBaseDelayMs`, `retryMaxDelayMs`, `maxResponseBytes`, `fetch`, `logger`",
    ]);
    expect(leaks(error)).toStrictEqual([]);
  });

  it("keeps them out of the client object and its retry log", async () => {
    const { fetch } = stubFetch(() => Promise.resolve(response(503, '{"Message":"busy"}')));
    const { client: instance, lines } = client(fetch, {
      retries: 1,
      retryBaseDelayMs: 0,
      retryMaxDelayMs: 0,
    });

    await rejectionOf(instance.listNodes("hpc"), HttpError);

    expect(lines).toStrictEqual([
      "CycleCloud answered 503 to GET /clusters/hpc/nodes: busy; retrying in 0 ms (retry 1 of 1)",
    ]);
    const rendered = [inspect(instance, { depth: Infinity, showHidden: true }), JSON.stringify(instance)];
    expect(rendered.filter((text) => SECRETS.some((secret) => text.includes(secret)))).toStrictEqual([]);
  });
});
