import type { IncomingHttpHeaders } from "node:http";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:https";
import type { Server } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkError } from "../../provider/client";
import type { ClientSettings } from "../../provider/client";
import { selfSignedCertificate } from "../fixtures/tls";
import type { SelfSignedCertificate } from "../fixtures/tls";
import { AUTHORIZATION, makeClient, readyNode } from "./fixtures";

let certificate: SelfSignedCertificate;
let otherCertificate: SelfSignedCertificate;
let server: Server;
let url = "";
/** Headers of every HTTP request the server received. */
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  certificate = selfSignedCertificate();
  otherCertificate = selfSignedCertificate();
  server = createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
    received.push(request.headers);
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ nodes: [readyNode] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`unexpected server address ${String(address)}`);
  }
  url = `https://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A client of the self-signed server (see {@link makeClient}). */
function clientOfServer(overrides: Partial<ClientSettings>): ReturnType<typeof makeClient> {
  return makeClient({ url, ...overrides });
}

async function networkErrorOf(promise: Promise<unknown>): Promise<NetworkError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(NetworkError);
  if (!(outcome instanceof NetworkError)) {
    throw new Error("expected a NetworkError");
  }
  return outcome;
}

describe("TLS against a plain HTTP server", () => {
  it("says the server may speak plain HTTP, and does not retry", async () => {
    const connections: unknown[] = [];
    const plain = createHttpServer((_request, response) => response.end());
    plain.on("connection", (socket) => connections.push(socket));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const { port } = plain.address() as { port: number };
    try {
      const { client, lines } = makeClient({ url: `https://127.0.0.1:${port}`, retries: 3 });

      const error = await networkErrorOf(client.listNodes("hpc"));

      expect(error.kind).toBe("protocol");
      expect(error.message).toBe(
        `CycleCloud at https://127.0.0.1:${port} did not answer GET /clusters/hpc/nodes over TLS: wrong version number (EPROTO); ` +
          "the server on that port may speak plain HTTP: check the scheme and port of `url`",
      );
      expect(lines).toStrictEqual([]);
      expect(connections).toHaveLength(1);
    } finally {
      plain.closeAllConnections();
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});

describe("TLS against a server with a self-signed certificate", () => {
  it("refuses the server by default, explains the `caCert` option, and does not retry", async () => {
    const before = received.length;
    const { client, lines } = clientOfServer({});

    const error = await networkErrorOf(client.listNodes("hpc"));

    expect(error.message).toBe(
      `Could not verify the TLS certificate of CycleCloud at ${url} for GET /clusters/hpc/nodes: ` +
        "self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT). To fix, if the server uses a self-signed or " +
        "private certificate, trust it with the `caCert` option (stack config `cyclecloud:caCertPath` or " +
        "`cyclecloud:caCert`); `insecure: true` turns verification off (not recommended)",
    );
    expect(error.kind).toBe("tls");
    expect(lines).toStrictEqual([]);
    expect(received.slice(before)).toStrictEqual([]);
  });

  it("refuses the server when `caCert` holds an unrelated certificate", async () => {
    const { client } = clientOfServer({ caCert: otherCertificate.cert });

    const error = await networkErrorOf(client.listNodes("hpc"));

    expect(error.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  it("trusts the server through `caCert`, with verification on", async () => {
    const before = received.length;
    const { client, lines } = clientOfServer({ caCert: certificate.cert });

    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [readyNode] });
    expect(lines).toStrictEqual([]);
    expect(received.slice(before).map((headers) => headers.authorization)).toStrictEqual([AUTHORIZATION]);
  });

  it("talks to the server with `insecure: true` and warns once", async () => {
    const { client, lines } = clientOfServer({ insecure: true });

    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [readyNode] });
    await expect(client.listNodes("hpc")).resolves.toStrictEqual({ nodes: [readyNode] });
    expect(lines).toStrictEqual([
      `WARNING: TLS certificate verification is OFF for CycleCloud at ${url} (\`insecure: true\`): anyone on the ` +
        "network path can impersonate the server and capture the CycleCloud password. Trust the server's " +
        "certificate with `caCert` instead.",
    ]);
  });
});
