import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionKey, resolveConnection } from "../../provider/core/connection";

const config = (values: Record<string, string>) => (key: string) => values[key];
const none = config({});

describe("resolveConnection", () => {
  it("takes each setting from the explicit argument, then stack config, then the environment", () => {
    expect(
      resolveConnection(
        { url: "https://explicit:8443" },
        config({ "cyclecloud:url": "https://config:8443", "cyclecloud:username": "config-user" }),
        {
          CYCLECLOUD_URL: "https://env:8443",
          CYCLECLOUD_USERNAME: "env-user",
          CYCLECLOUD_PASSWORD: "env-pass",
        },
      ),
    ).toEqual({ url: "https://explicit:8443", username: "config-user", password: "env-pass" });
  });

  it("names all three ways to supply missing settings", () => {
    expect(() => resolveConnection(undefined, none, { CYCLECLOUD_URL: "https://env:8443" })).toThrow(
      "CycleCloud connection is not configured: missing `username`, `password`. Supply it in one of three ways: " +
        "(1) the `connection` argument of the resource or function; (2) stack config: `pulumi config set cyclecloud:url https://HOST:8443`, " +
        "`pulumi config set cyclecloud:username USER`, `pulumi config set --secret cyclecloud:password`; " +
        "(3) environment variables CYCLECLOUD_URL, CYCLECLOUD_USERNAME and CYCLECLOUD_PASSWORD.",
    );
  });

  it("reads a CA bundle from `caCertPath`, takes PEM text as is, and never reads `caCert` as a path", () => {
    const dir = mkdtempSync(join(tmpdir(), "pcc-ca-"));
    const path = join(dir, "ca.pem");
    writeFileSync(path, "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n");
    const env = { CYCLECLOUD_URL: "https://h", CYCLECLOUD_USERNAME: "u", CYCLECLOUD_PASSWORD: "p" };
    expect(resolveConnection({ caCertPath: path }, none, env).caCert).toContain("BEGIN CERTIFICATE");
    expect(resolveConnection(undefined, none, { ...env, CYCLECLOUD_CA_CERT_PATH: path }).caCert).toContain(
      "abc",
    );
    for (const caCert of [path, "not pem"]) {
      expect(() => resolveConnection(undefined, none, { ...env, CYCLECLOUD_CA_CERT: caCert })).toThrow(
        "`caCert` must be PEM text containing -----BEGIN CERTIFICATE-----; to trust a file, give its path as " +
          "`caCertPath` (`connection.caCertPath`, stack config `cyclecloud:caCertPath` or CYCLECLOUD_CA_CERT_PATH)",
      );
    }
    expect(resolveConnection({ caCert: "-----BEGIN CERTIFICATE-----x" }, none, env).caCert).toBe(
      "-----BEGIN CERTIFICATE-----x",
    );
    expect(() => resolveConnection({ caCertPath: join(dir, "missing.pem") }, none, env)).toThrow(
      `cannot read the CA bundle ${join(dir, "missing.pem")} given by \`cyclecloud:caCertPath\` (ENOENT): give the path of a PEM file`,
    );
  });

  it("parses insecure and timeoutSeconds from text, refusing bad values by name", () => {
    const env = { CYCLECLOUD_URL: "https://h", CYCLECLOUD_USERNAME: "u", CYCLECLOUD_PASSWORD: "p" };
    expect(
      resolveConnection(
        undefined,
        config({ "cyclecloud:insecure": "true", "cyclecloud:timeoutSeconds": "2.5" }),
        env,
      ),
    ).toEqual({
      url: "https://h",
      username: "u",
      password: "p",
      insecure: true,
      timeoutMs: 2500,
    });
    expect(() => resolveConnection(undefined, none, { ...env, CYCLECLOUD_INSECURE: "yes" })).toThrow(
      '`insecure` must be true or false, got "yes"',
    );
    expect(() => resolveConnection(undefined, none, { ...env, CYCLECLOUD_TIMEOUT_SECONDS: "-1" })).toThrow(
      '`timeoutSeconds` must be a number of seconds greater than 0, got "-1"',
    );
  });

  it("reads maxResponseMiB as a whole number of MiB, refusing bad values by name", () => {
    const env = { CYCLECLOUD_URL: "https://h", CYCLECLOUD_USERNAME: "u", CYCLECLOUD_PASSWORD: "p" };
    expect(resolveConnection({ maxResponseMiB: 2 }, none, env).maxResponseBytes).toBe(2 * 1024 * 1024);
    expect(
      resolveConnection(undefined, config({ "cyclecloud:maxResponseMiB": "256" }), env).maxResponseBytes,
    ).toBe(256 * 1024 * 1024);
    expect(resolveConnection(undefined, none, env).maxResponseBytes).toBeUndefined();
    for (const bad of ["0", "1.5", "2048", "lots"]) {
      expect(() => resolveConnection(undefined, none, { ...env, CYCLECLOUD_MAX_RESPONSE_MIB: bad })).toThrow(
        `\`maxResponseMiB\` must be a whole number of MiB from 1 to 1024, got ${JSON.stringify(bad)}`,
      );
    }
    expect(
      connectionKey({ url: "https://h", username: "u", password: "p", maxResponseBytes: 1024 }),
    ).not.toBe(connectionKey({ url: "https://h", username: "u", password: "p" }));
  });

  it("keys clients without the password in clear", () => {
    const key = connectionKey({ url: "https://h", username: "u", password: "hunter2-secret" });
    expect(key).not.toContain("hunter2");
    expect(key).not.toBe(connectionKey({ url: "https://h", username: "u", password: "other" }));
  });
});
