/**
 * Connection reuse, measured: TLS handshakes per create + wait against the HTTPS emulator. A TCP
 * proxy on 127.0.0.1 port 0 in front of the emulator counts connections: each is one TLS handshake.
 */
import { createServer, connect } from "node:net";
import type { Server, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { CycleCloudClient } from "../../provider/client";

let emulator: RunningEmulator;
let proxy: Server;
let proxyUrl = "";
let connections = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    tls: true,
    timing: { acquiringMs: 300, preparingMs: 300, terminatingMs: 0 },
  });
  proxy = createServer((client) => {
    connections += 1;
    const upstream = connect(emulator.port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  if (address === null || typeof address === "string") throw new Error("no proxy address");
  proxyUrl = `https://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await emulator.close();
});

describe("connection reuse", () => {
  it("a create and its wait (status, create, polls until Ready) use one TLS connection", async () => {
    const client = new CycleCloudClient({
      url: proxyUrl,
      username: emulator.username,
      password: emulator.password,
      caCert: emulator.caCert,
    });
    connections = 0;
    let requests = 0;
    await client.getClusterStatus("hpc", { nodes: false });
    requests += 1;
    await client.createNodes("hpc", { requestId: "reuse-1", sets: [{ count: 2, nodearray: "ondemand" }] });
    requests += 1;
    for (;;) {
      const { nodes } = await client.listNodes("hpc", { requestId: "reuse-1" });
      requests += 1;
      if (nodes.length === 2 && nodes.every((node) => node.Status === "Ready")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.log(`connection reuse: ${connections} TLS handshake(s) for ${requests} requests (create + wait)`);
    expect(requests).toBeGreaterThan(3);
    expect(connections).toBe(1);
  });
});
