import { inspect } from "node:util";
import { describe, expect, it, vi } from "vitest";
import {
  CycleCloudError,
  HttpError,
  NetworkError,
  ResponseValidationError,
  SettingsError,
  TimeoutError,
  isCycleCloudError,
  isHttpError,
  isNetworkError,
  isResponseValidationError,
  isSettingsError,
  isTimeoutError,
  isUnknownRequestId,
} from "../../provider/client";
import { redactUrlCredentials } from "../../provider/client/errors";

const origin = "https://cyclecloud.example.com:8443";

function networkError(cause: unknown): NetworkError {
  return new NetworkError({ method: "GET", path: "/clusters/hpc/status?nodes=false", origin, cause });
}

function systemError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Everything an error holds that `util.inspect` or `JSON.stringify` could show. */
function summary(error: unknown): unknown {
  return error instanceof Error
    ? {
        name: error.name,
        message: error.message,
        ownKeys: Object.keys(error),
        code: Reflect.get(error, "code"),
      }
    : error;
}

describe("error classes", () => {
  it.each([
    ["HttpError", new HttpError({ method: "GET", path: "/x", status: 500 })],
    ["NetworkError", networkError(new Error("x"))],
    ["TimeoutError", new TimeoutError({ method: "GET", path: "/x", timeoutMs: 1 })],
    [
      "ResponseValidationError",
      new ResponseValidationError({ method: "GET", path: "/x", status: 200, expected: "X", problems: [] }),
    ],
    ["SettingsError", new SettingsError([])],
  ])("%s is a CycleCloudError and an Error, named after its class", (name, error) => {
    expect(error).toBeInstanceOf(CycleCloudError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(String(error)).toBe(`${name}: ${error.message}`);
  });

  it("keeps a response validation failure out of the HTTP error family", () => {
    const error = new ResponseValidationError({
      method: "GET",
      path: "/x",
      status: 200,
      expected: "X",
      problems: [],
    });

    expect(error).not.toBeInstanceOf(HttpError);
  });
});

describe("toJSON", () => {
  it.each<[string, CycleCloudError, Record<string, unknown>]>([
    ["CycleCloudError", new CycleCloudError("m"), { name: "CycleCloudError", message: "m" }],
    [
      "SettingsError",
      new SettingsError(["`url` is required", "`retries` must be a whole number"]),
      {
        name: "SettingsError",
        message: "Invalid CycleCloud client settings: `url` is required; `retries` must be a whole number",
        issues: ["`url` is required", "`retries` must be a whole number"],
      },
    ],
    [
      "TimeoutError",
      new TimeoutError({ method: "GET", path: "/operations/x", timeoutMs: 250 }),
      {
        name: "TimeoutError",
        message:
          "CycleCloud did not answer GET /operations/x within 250 ms; if the server is just slow, raise " +
          "`timeoutSeconds` (stack config `cyclecloud:timeoutSeconds` or `connection.timeoutSeconds`; " +
          "`timeoutMs` of a CycleCloudClient)",
        method: "GET",
        path: "/operations/x",
        timeoutMs: 250,
      },
    ],
    [
      "ResponseValidationError",
      new ResponseValidationError({
        method: "GET",
        path: "/clusters/hpc/nodes",
        status: 200,
        expected: "NodeList",
        problems: ["nodes: expected array, got string"],
      }),
      {
        name: "ResponseValidationError",
        message:
          "CycleCloud answered 200 to GET /clusters/hpc/nodes but the body is not a valid NodeList: " +
          "nodes: expected array, got string",
        method: "GET",
        path: "/clusters/hpc/nodes",
        status: 200,
        expected: "NodeList",
        problems: ["nodes: expected array, got string"],
      },
    ],
  ])("serialises a %s to its name, message and fields", (_name, error, expected) => {
    expect(error.toJSON()).toStrictEqual(expected);
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual(expected);
  });

  it("writes name and message first, then the fields in the order the class declares them", () => {
    const error = new HttpError({ method: "GET", path: "/x", status: 503, retryAfterMs: 1000 });

    expect(Object.keys(error.toJSON())).toStrictEqual([
      "name",
      "message",
      "method",
      "path",
      "status",
      "serverMessage",
      "body",
      "requestTag",
      "retryAfterMs",
    ]);
    expect(JSON.stringify(error)).toBe(
      '{"name":"HttpError","message":"CycleCloud answered 503 to GET /x without an error message",' +
        '"method":"GET","path":"/x","status":503,"retryAfterMs":1000}',
    );
  });
});

describe("type guards", () => {
  const samples = {
    CycleCloudError: new CycleCloudError("m"),
    HttpError: new HttpError({ method: "GET", path: "/x", status: 500 }),
    NetworkError: networkError(new Error("x")),
    TimeoutError: new TimeoutError({ method: "GET", path: "/x", timeoutMs: 1 }),
    ResponseValidationError: new ResponseValidationError({
      method: "GET",
      path: "/x",
      status: 200,
      expected: "X",
      problems: [],
    }),
    SettingsError: new SettingsError([]),
  };
  const guards: [string, (value: unknown) => boolean][] = [
    ["isCycleCloudError", isCycleCloudError],
    ["isHttpError", isHttpError],
    ["isNetworkError", isNetworkError],
    ["isTimeoutError", isTimeoutError],
    ["isResponseValidationError", isResponseValidationError],
    ["isSettingsError", isSettingsError],
  ];

  it.each(guards)("%s accepts its class (and the base guard every class), nothing else", (guard, is) => {
    const accepted = Object.entries(samples)
      .filter(([, error]) => is(error))
      .map(([name]) => name);

    expect(accepted).toStrictEqual(
      guard === "isCycleCloudError" ? Object.keys(samples) : [guard.slice("is".length)],
    );
  });

  it.each<[string, unknown]>([
    ["an Error renamed HttpError", Object.assign(new Error("x"), { name: "HttpError", status: 500 })],
    ["the DOMException AbortSignal.timeout() throws", new DOMException("timed out", "TimeoutError")],
    ["the JSON of an HttpError", JSON.parse(JSON.stringify(samples.HttpError))],
    ["a string", "HttpError"],
    ["null", null],
    ["undefined", undefined],
  ])("no guard accepts %s", (_case, value) => {
    expect(guards.filter(([, is]) => is(value)).map(([guard]) => guard)).toStrictEqual([]);
  });

  it("recognise an error from another copy of the module, where instanceof does not", async () => {
    vi.resetModules();
    const other = await import("../../provider/client/errors");
    const error = new other.HttpError({ method: "GET", path: "/x", status: 404 });

    expect(other.HttpError).not.toBe(HttpError);
    expect(error).not.toBeInstanceOf(HttpError);
    expect(guards.filter(([, is]) => is(error)).map(([guard]) => guard)).toStrictEqual([
      "isCycleCloudError",
      "isHttpError",
    ]);
  });

  it("keep the brands out of every rendering", () => {
    const error = samples.HttpError;

    expect(Object.getOwnPropertySymbols(error)).toStrictEqual([]);
    expect(inspect(error)).not.toContain("pulumi-cyclecloud");
    expect(inspect(error, { showHidden: true })).not.toContain("pulumi-cyclecloud");
  });
});

describe("HttpError", () => {
  it("parses the request tag out of Detail and serialises every field", () => {
    const body = {
      Exception: "com.cyclecomputing.InvalidAttributeException",
      Message: "MachineType Standard_HC44rs is not recognized",
      Detail: "Error at request-1274 (see logs)",
    };
    const error = new HttpError({
      method: "POST",
      path: "/clusters/hpc/nodes/create",
      status: 409,
      statusText: "Conflict",
      body,
      serverMessage: body.Message,
    });

    expect(error.toJSON()).toStrictEqual({
      name: "HttpError",
      message:
        "CycleCloud answered 409 to POST /clusters/hpc/nodes/create: MachineType Standard_HC44rs is not recognized",
      method: "POST",
      path: "/clusters/hpc/nodes/create",
      status: 409,
      serverMessage: "MachineType Standard_HC44rs is not recognized",
      body,
      requestTag: "request-1274",
      retryAfterMs: undefined,
    });
  });

  it.each<[string, ConstructorParameters<typeof HttpError>[0], string]>([
    [
      "no message and no status text",
      { method: "GET", path: "/operations/x", status: 500 },
      "CycleCloud answered 500 to GET /operations/x without an error message",
    ],
    [
      "an HTML error page",
      {
        method: "GET",
        path: "/operations/x",
        status: 502,
        statusText: "Bad Gateway",
        contentType: "text/html",
      },
      "CycleCloud answered 502 Bad Gateway to GET /operations/x without an error message (an HTML page)",
    ],
    [
      "a 401 with a message",
      { method: "GET", path: "/operations/x", status: 401, serverMessage: "Authentication failed" },
      "CycleCloud answered 401 to GET /operations/x: Authentication failed; check the `username` and `password` settings",
    ],
  ])("words %s", (_case, init, expected) => {
    expect(new HttpError(init).message).toBe(expected);
  });

  it("has no request tag when Detail names none", () => {
    const error = new HttpError({
      method: "GET",
      path: "/x",
      status: 409,
      body: { Message: "m", Detail: "no tag here" },
      serverMessage: "m",
    });

    expect(error.requestTag).toBe(undefined);
  });
});

describe("NetworkError", () => {
  it("explains the `caCert` option for a self-signed certificate", () => {
    const error = networkError(systemError("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT"));

    expect(error.message).toBe(
      "Could not verify the TLS certificate of CycleCloud at https://cyclecloud.example.com:8443 for " +
        "GET /clusters/hpc/status?nodes=false: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT). " +
        "To fix, if the server uses a self-signed or private certificate, trust it with the `caCert` option " +
        "(stack config `cyclecloud:caCertPath` or `cyclecloud:caCert`); `insecure: true` turns verification off " +
        "(not recommended)",
    );
    expect(error.kind).toBe("tls");
  });

  it("asks for the certificate's host name when it does not match the url", () => {
    const error = networkError(
      systemError(
        "Hostname/IP does not match certificate's altnames: Host: cc.example.com. is not in the cert's altnames: DNS:other",
        "ERR_TLS_CERT_ALTNAME_INVALID",
      ),
    );

    expect(error.message).toBe(
      "Could not verify the TLS certificate of CycleCloud at https://cyclecloud.example.com:8443 for " +
        "GET /clusters/hpc/status?nodes=false: Hostname/IP does not match certificate's altnames: " +
        "Host: cc.example.com. is not in the cert's altnames: DNS:other (ERR_TLS_CERT_ALTNAME_INVALID). " +
        "To fix, use the host name the certificate was issued for in `url`; `insecure: true` turns verification " +
        "off (not recommended)",
    );
  });

  it("says the server is unreachable when the name does not resolve", () => {
    const error = networkError(
      systemError(
        "request to https://cyclecloud.example.com:8443/clusters/hpc/status?nodes=false failed, reason: " +
          "getaddrinfo ENOTFOUND cyclecloud.example.com",
        "ENOTFOUND",
      ),
    );

    expect(error.toJSON()).toStrictEqual({
      name: "NetworkError",
      message:
        "CycleCloud is unreachable at https://cyclecloud.example.com:8443 for GET /clusters/hpc/status?nodes=false: " +
        "getaddrinfo ENOTFOUND cyclecloud.example.com; check `url` and that the server is running and reachable " +
        "from this machine",
      method: "GET",
      path: "/clusters/hpc/status?nodes=false",
      origin,
      code: "ENOTFOUND",
      kind: "unreachable",
    });
  });

  it("finds the system error inside undici's `fetch failed`", () => {
    const error = networkError(
      new TypeError("fetch failed", {
        cause: systemError("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"),
      }),
    );

    expect(error.code).toBe("ECONNREFUSED");
    expect(summary(error.cause)).toStrictEqual({
      name: "Error",
      message: "connect ECONNREFUSED 127.0.0.1:1",
      ownKeys: ["code"],
      code: "ECONNREFUSED",
    });
  });

  it("keeps only a sanitized copy of the cause", () => {
    const original = Object.assign(systemError("socket hang up", "ECONNRESET"), {
      socket: { authorization: "Basic c2VjcmV0" },
    });
    const error = networkError(original);

    expect(error.cause).not.toBe(original);
    expect(summary(error.cause)).toStrictEqual({
      name: "Error",
      message: "socket hang up",
      ownKeys: ["code"],
      code: "ECONNRESET",
    });
  });

  it("words a non-Error rejection", () => {
    expect(networkError("boom").message).toBe(
      `Connection to CycleCloud at ${origin} failed during GET /clusters/hpc/status?nodes=false: boom`,
    );
  });
});

describe("redactUrlCredentials", () => {
  it.each([
    ["https://admin:pw@cc.example.com:8443/x", "https://***@cc.example.com:8443/x"],
    ["request to http://u:p%40ss@h/a failed", "request to http://***@h/a failed"],
    ["two: https://a:b@h1 and https://c@h2/", "two: https://***@h1 and https://***@h2/"],
    ["no credentials: https://cc.example.com/a@b", "no credentials: https://cc.example.com/a@b"],
    ["an email admin@example.com stays", "an email admin@example.com stays"],
  ])("redacts %j", (text, expected) => {
    expect(redactUrlCredentials(text)).toBe(expected);
  });
});

describe("isUnknownRequestId", () => {
  const unknownId = "No operation found for request id r-1";

  it.each<[string, unknown, boolean]>([
    [
      "a 404 whose message says so",
      new HttpError({ method: "GET", path: "/", status: 404, serverMessage: unknownId }),
      true,
    ],
    [
      "a 404 whose detail says so",
      new HttpError({
        method: "GET",
        path: "/",
        status: 404,
        body: { Message: "Not found", Detail: unknownId },
      }),
      true,
    ],
    [
      "a 400 that says so in other case",
      new HttpError({ method: "GET", path: "/", status: 400, serverMessage: unknownId.toUpperCase() }),
      true,
    ],
    [
      "a 404 about something else",
      new HttpError({ method: "GET", path: "/", status: 404, serverMessage: "Not found" }),
      false,
    ],
    [
      "a 500 that says so",
      new HttpError({ method: "GET", path: "/", status: 500, serverMessage: unknownId }),
      false,
    ],
    ["a plain Error that says so", new Error(unknownId), false],
    ["undefined", undefined, false],
  ])("is %s for %s", (_case, error, expected) => {
    expect(isUnknownRequestId(error)).toBe(expected);
  });
});
