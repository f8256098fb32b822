import { describe, expect, it } from "vitest";
import { DEFAULT_CLIENT_SETTINGS, SettingsError, resolveClientSettings } from "../../provider/client";
import type { ClientSettings } from "../../provider/client";
import { BASE_URL, PASSWORD, USERNAME } from "./fixtures";

const valid = { url: BASE_URL, username: USERNAME, password: PASSWORD };

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** Settings as a JavaScript caller or a config file may pass them: anything goes at run time. */
function loose(value: unknown): ClientSettings {
  return value as ClientSettings;
}

/** The issues of the `SettingsError` that `input` must cause. */
function issuesOf(input: ClientSettings): readonly string[] {
  let caught: unknown;
  try {
    resolveClientSettings(input);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SettingsError);
  return caught instanceof SettingsError ? caught.issues : [];
}

describe("resolveClientSettings", () => {
  it("applies the documented defaults", () => {
    const { fetch, ...resolved } = resolveClientSettings(valid);

    expect(typeof fetch).toBe("function");
    expect(resolved).toStrictEqual({
      url: BASE_URL,
      username: USERNAME,
      password: PASSWORD,
      caCert: undefined,
      insecure: false,
      timeoutMs: 30_000,
      retries: 4,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 15_000,
      maxResponseBytes: 128 * 1024 * 1024,
      logger: undefined,
    });
  });

  it("exports the defaults as one object", () => {
    expect(DEFAULT_CLIENT_SETTINGS).toStrictEqual({
      insecure: false,
      timeoutMs: 30_000,
      retries: 4,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 15_000,
      maxResponseBytes: 128 * 1024 * 1024,
    });
  });

  it("keeps the given values, and the given fetch and logger", () => {
    const fetch: ClientSettings["fetch"] = () => Promise.reject(new Error("unused"));
    const logger = (): void => undefined;

    expect(
      resolveClientSettings({
        ...valid,
        caCert: PEM,
        timeoutMs: 1,
        retries: 0,
        retryBaseDelayMs: 0,
        retryMaxDelayMs: 0,
        maxResponseBytes: 4096,
        fetch,
        logger,
      }),
    ).toStrictEqual({
      url: BASE_URL,
      username: USERNAME,
      password: PASSWORD,
      caCert: PEM,
      insecure: false,
      timeoutMs: 1,
      retries: 0,
      retryBaseDelayMs: 0,
      retryMaxDelayMs: 0,
      maxResponseBytes: 4096,
      fetch,
      logger,
    });
  });

  it.each([
    ["https://CycleCloud.Example.com:8443/", "https://cyclecloud.example.com:8443"],
    ["https://cyclecloud.example.com:443", "https://cyclecloud.example.com"],
    ["  http://127.0.0.1:9443  ", "http://127.0.0.1:9443"],
    ["https://example.com/cyclecloud/", "https://example.com/cyclecloud"],
    ["HTTPS://example.com", "https://example.com"],
  ])("normalises the url %j to %j", (url, expected) => {
    expect(resolveClientSettings({ ...valid, url }).url).toBe(expected);
  });

  const example = "e.g. https://cyclecloud.example.com:8443";

  it.each<[string, Record<string, unknown>, string[]]>([
    ["a missing url", { url: undefined }, [`\`url\` is required, ${example}`]],
    ["an empty url", { url: "" }, [`\`url\` is required, ${example}`]],
    ["a url that is not a string", { url: 8443 }, [`\`url\` must be a string, ${example}`]],
    [
      "a url without scheme",
      { url: "cyclecloud.example.com:8443" },
      [`\`url\` must include the scheme, ${example}`],
    ],
    [
      "a url with another scheme",
      { url: "ftp://cyclecloud.example.com" },
      [`\`url\` must use http or https, ${example}`],
    ],
    ["a url without host", { url: "https://" }, [`\`url\` is not a valid URL, ${example}`]],
    [
      "a url with credentials",
      { url: `https://${USERNAME}:${PASSWORD}@cyclecloud.example.com` },
      ["`url` must not contain credentials; give them as `username` and `password`"],
    ],
    [
      "a url with a query",
      { url: "https://cyclecloud.example.com/?tenant=1" },
      [`\`url\` must not include a query or fragment, ${example}`],
    ],
    [
      "an empty username",
      { username: "" },
      ["`username` must be a non-empty string (the CycleCloud user name)"],
    ],
    [
      "a missing username",
      { username: undefined },
      ["`username` must be a non-empty string (the CycleCloud user name)"],
    ],
    [
      "a username with a colon",
      { username: "ad:min" },
      ["`username` must not contain ':' (HTTP Basic authentication cannot carry it)"],
    ],
    [
      "an empty password",
      { password: "" },
      ["`password` must be a non-empty string (the CycleCloud user's password)"],
    ],
    [
      "a missing password",
      { password: undefined },
      ["`password` must be a non-empty string (the CycleCloud user's password)"],
    ],
    [
      "a caCert that is not PEM",
      { caCert: "/etc/ssl/cyclecloud.pem" },
      [
        "`caCert` must be PEM text containing -----BEGIN CERTIFICATE-----; to trust a file, read it first " +
          "(or set `cyclecloud:caCertPath`)",
      ],
    ],
    ["insecure as a string", { insecure: "true" }, ["`insecure` must be true or false"]],
    [
      "both caCert and insecure",
      { caCert: PEM, insecure: true },
      [
        "`caCert` and `insecure` cannot both be set: keep `caCert` (verification stays on) and remove `insecure`",
      ],
    ],
    [
      "a zero timeoutMs",
      { timeoutMs: 0 },
      ["`timeoutMs` must be a positive integer number of milliseconds, e.g. 30000"],
    ],
    [
      "a fractional timeoutMs",
      { timeoutMs: 1.5 },
      ["`timeoutMs` must be a positive integer number of milliseconds, e.g. 30000"],
    ],
    [
      "a timeoutMs longer than a timer can wait",
      { timeoutMs: 2 ** 31 },
      ["`timeoutMs` must be a positive integer number of milliseconds, e.g. 30000"],
    ],
    [
      "a timeoutMs as a string",
      { timeoutMs: "30000" },
      ["`timeoutMs` must be a positive integer number of milliseconds, e.g. 30000"],
    ],
    [
      "negative retries",
      { retries: -1 },
      ["`retries` must be a non-negative integer (0 turns retries off), e.g. 4"],
    ],
    [
      "a negative retryBaseDelayMs",
      { retryBaseDelayMs: -5 },
      ["`retryBaseDelayMs` must be a non-negative integer number of milliseconds, e.g. 500"],
    ],
    [
      "a retryMaxDelayMs below the default retryBaseDelayMs",
      { retryMaxDelayMs: 100 },
      ["`retryMaxDelayMs` (100) must be at least `retryBaseDelayMs` (500)"],
    ],
    [
      "a fetch that is not a function",
      { fetch: "node-fetch" },
      ["`fetch` must be a function like node-fetch's `fetch`"],
    ],
    [
      "a logger that is not a function",
      { logger: console },
      ["`logger` must be a function that takes one line of text"],
    ],
    [
      "an unknown option",
      { user: "admin" },
      [
        "unknown option `user`; the options are `url`, `username`, `password`, `caCert`, `insecure`, `timeoutMs`, " +
          "`retries`, `retryBaseDelayMs`, `retryMaxDelayMs`, `maxResponseBytes`, `fetch`, `logger`",
      ],
    ],
    [
      "several problems at once",
      { url: "cyclecloud.example.com", password: "", retries: 1.5 },
      [
        `\`url\` must include the scheme, ${example}`,
        "`password` must be a non-empty string (the CycleCloud user's password)",
        "`retries` must be a non-negative integer (0 turns retries off), e.g. 4",
      ],
    ],
  ])("rejects %s", (_case, overrides, expected) => {
    expect(issuesOf(loose({ ...valid, ...overrides }))).toStrictEqual(expected);
  });

  it("rejects settings that are not an object", () => {
    expect(issuesOf(loose(null))).toStrictEqual(["the CycleCloud client settings must be an object"]);
  });

  it("puts every issue in one message", () => {
    expect(() =>
      resolveClientSettings(loose({ url: "cyclecloud.example.com", username: "", password: PASSWORD })),
    ).toThrow(
      new SettingsError([
        `\`url\` must include the scheme, ${example}`,
        "`username` must be a non-empty string (the CycleCloud user name)",
      ]),
    );
    expect(new SettingsError(["`a` x", "`b` y"]).message).toBe(
      "Invalid CycleCloud client settings: `a` x; `b` y",
    );
  });
});
