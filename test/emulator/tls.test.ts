import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { checkKeyPair, issueEmulatorCertificates } from "../../emulator/server/tls";
import { CycleCloudClient, NetworkError } from "../../provider/client";
import type { ClientSettings } from "../../provider/client";
import { resolveConnection } from "../../provider/core/connection";
import { ZERO_TIMING } from "./helpers";

function clientOf(emulator: RunningEmulator, overrides: Partial<ClientSettings> = {}): CycleCloudClient {
  return new CycleCloudClient({
    url: emulator.url,
    username: emulator.username,
    password: emulator.password,
    retryBaseDelayMs: 0,
    retryMaxDelayMs: 0,
    ...overrides,
  });
}

async function withEmulator(
  options: Parameters<typeof startEmulator>[0],
  body: (emulator: RunningEmulator) => Promise<void>,
): Promise<void> {
  const emulator = await startEmulator({ port: 0, timing: ZERO_TIMING, ...options });
  try {
    await body(emulator);
  } finally {
    await emulator.close();
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("issueEmulatorCertificates", () => {
  test("a CA and a server certificate it signs, for 127.0.0.1, ::1, localhost and the given hosts", () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const issued = issueEmulatorCertificates(["cc.example.test", "10.1.2.3", "fd00::5"], now);
    const ca = new X509Certificate(issued.caCert);
    const cert = new X509Certificate(issued.cert);

    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe(ca.issuer);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject).toMatch(/^O=pulumi-cyclecloud emulator\nCN=CycleCloud emulator CA [0-9a-f]{8}$/);

    expect(cert.ca).toBe(false);
    expect(cert.issuer).toBe(ca.subject);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(issued.key))).toBe(true);
    expect(cert.subjectAltName).toBe(
      "IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, DNS:cc.example.test, " +
        "IP Address:10.1.2.3, IP Address:FD00:0:0:0:0:0:0:5",
    );
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkIP("::1")).toBe("::1");
    expect(cert.checkHost("other.example.test")).toBeUndefined();
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 60 * 60 * 1000);
    expect(new Date(cert.validTo).getTime()).toBe(now.getTime() + 365 * 24 * 60 * 60 * 1000);
    expect(cert.serialNumber).toMatch(/^[0-9A-F]{32}$/);
  });

  test("every call makes a new CA", () => {
    const first = issueEmulatorCertificates([]);
    const second = issueEmulatorCertificates([]);
    expect(new X509Certificate(second.cert).checkIssued(new X509Certificate(first.caCert))).toBe(false);
  });

  test("checkKeyPair names what does not fit", () => {
    const one = issueEmulatorCertificates([]);
    const two = issueEmulatorCertificates([]);
    const where = { cert: "cert.pem", key: "key.pem" };
    expect(() => checkKeyPair(one, where)).not.toThrow();
    expect(() => checkKeyPair({ cert: one.cert, key: two.key }, where)).toThrow(
      new TypeError("key.pem is not the private key of the certificate cert.pem"),
    );
    expect(() => checkKeyPair({ cert: "nope", key: one.key }, where)).toThrow(
      /^cert\.pem is not a PEM certificate/,
    );
    expect(() => checkKeyPair({ cert: one.cert, key: "nope" }, where)).toThrow(
      /^key\.pem is not a PEM private key/,
    );
  });
});

describe("startEmulator({ tls: true })", () => {
  test("serves HTTPS; the client trusting the CA (caCert or caCertPath) reaches it", async () => {
    await withEmulator({ tls: true }, async (emulator) => {
      expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(emulator.adminUrl).toBe(`${emulator.url}/__emulator`);
      const caCertPath = emulator.caCertPath ?? "";
      expect(readFileSync(caCertPath, "utf8")).toBe(emulator.caCert);
      expect(new X509Certificate(emulator.caCert ?? "").ca).toBe(true);
      expect(emulator.caCert).not.toContain("PRIVATE KEY");

      const status = await clientOf(emulator, { caCert: emulator.caCert }).getClusterStatus("hpc");
      expect(status.nodearrays.map((entry) => entry.name)).toContain("ondemand");

      const connection = resolveConnection(
        undefined,
        (key) => (key === "cyclecloud:caCertPath" ? caCertPath : undefined),
        {
          CYCLECLOUD_URL: emulator.url,
          CYCLECLOUD_USERNAME: emulator.username,
          CYCLECLOUD_PASSWORD: emulator.password,
        },
      );
      expect(connection.caCert).toBe(emulator.caCert);
      await expect(clientOf(emulator, { caCert: connection.caCert }).listNodes("hpc")).resolves.toMatchObject(
        {
          nodes: [{ Name: "scheduler" }], // the default content's head node
        },
      );
    });
  });

  test("a client without the CA fails with the certificate message, without retrying or reaching the API", async () => {
    await withEmulator({ tls: true }, async (emulator) => {
      const error = await rejectionOf(clientOf(emulator).listNodes("hpc"));

      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).kind).toBe("tls");
      expect((error as NetworkError).message).toBe(
        `Could not verify the TLS certificate of CycleCloud at ${emulator.url} for GET /clusters/hpc/nodes: ` +
          "unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE). To fix, if the server uses a " +
          "self-signed or private certificate, trust it with the `caCert` option (stack config " +
          "`cyclecloud:caCertPath` or `cyclecloud:caCert`); `insecure: true` turns verification off (not recommended)",
      );
      expect(emulator.counters().total).toBe(0);
    });
  });

  test("a CA of another run is not trusted", async () => {
    const other = issueEmulatorCertificates([]);
    await withEmulator({ tls: true }, async (emulator) => {
      const error = await rejectionOf(clientOf(emulator, { caCert: other.caCert }).listNodes("hpc"));
      expect((error as NetworkError).code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    });
  });

  test("the certificate names the --host given: https://localhost works", async () => {
    await withEmulator({ tls: true, host: "localhost" }, async (emulator) => {
      expect(emulator.url).toMatch(/^https:\/\/localhost:\d+$/);
      await expect(clientOf(emulator, { caCert: emulator.caCert }).listNodes("hpc")).resolves.toMatchObject({
        nodes: [{ Name: "scheduler" }], // the default content's head node
      });
    });
  });

  test("close() removes the CA file", async () => {
    const emulator = await startEmulator({ port: 0, tls: true });
    const path = emulator.caCertPath ?? "";
    expect(existsSync(path)).toBe(true);
    await emulator.close();
    expect(existsSync(path)).toBe(false);
  });

  test("without tls: HTTP, no CA", async () => {
    await withEmulator({}, async (emulator) => {
      expect(emulator.url).toMatch(/^http:\/\//);
      expect([emulator.caCert, emulator.caCertPath]).toEqual([undefined, undefined]);
    });
  });
});

describe("startEmulator({ tls: { cert, key } })", () => {
  test("serves the given certificate; no CA of its own", async () => {
    const issued = issueEmulatorCertificates([]);
    await withEmulator({ tls: { cert: issued.cert, key: issued.key } }, async (emulator) => {
      expect(emulator.url).toMatch(/^https:\/\//);
      expect([emulator.caCert, emulator.caCertPath]).toEqual([undefined, undefined]);
      await expect(clientOf(emulator, { caCert: issued.caCert }).listNodes("hpc")).resolves.toMatchObject({
        nodes: [{ Name: "scheduler" }], // the default content's head node
      });
    });
  });

  test("refuses a key that is not the certificate's, and malformed options", async () => {
    const one = issueEmulatorCertificates([]);
    const two = issueEmulatorCertificates([]);
    await expect(startEmulator({ tls: { cert: one.cert, key: two.key } })).rejects.toThrow(
      new TypeError("`tls.key` is not the private key of the certificate `tls.cert`"),
    );
    await expect(startEmulator({ tls: { cert: one.cert } as never })).rejects.toThrow(
      /^Invalid emulator option `tls`/,
    );
  });
});
