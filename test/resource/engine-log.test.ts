/**
 * Warnings reach the engine as warning diagnostics of the set: a fake engine (the SDK's own
 * generated Engine service on port 0) receives them; without an engine they are printed.
 */
import { createRequire } from "node:module";
import type * as GrpcJs from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectEngineLog, dynamicProviderHost, engineAddress } from "../../provider/engine/engine-log";
import { consoleLogger, setLabel, urnOfIdentity, warningLine } from "../../provider/engine/logger";
import { ProviderContext } from "../../provider/engine/provider-context";

const HOST = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
const URN = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet::workers";
const NESTED =
  "urn:pulumi:dev::proj::my:index:Cluster$my:index:Partition$pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet::workers";

interface Received {
  severity: number;
  message: string;
  urn: string;
  streamid: number;
  ephemeral: boolean;
}

const load = createRequire(HOST);
const grpc = load("@grpc/grpc-js") as typeof GrpcJs;
const received: Received[] = [];
let server: InstanceType<typeof grpc.Server>;
let address: string;

beforeAll(async () => {
  const services = load("../../proto/engine_grpc_pb") as {
    EngineService: ServiceDefinition;
  };
  const { Empty } = load("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
  server = new grpc.Server();
  server.addService(services.EngineService, {
    log: (call: { request: { toObject(): Received } }, callback: (error: null, reply: unknown) => void) => {
      received.push(call.request.toObject());
      callback(null, new Empty());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => {
  server.forceShutdown();
});

describe("the engine's address", () => {
  it("is the first argument of the dynamic provider host, and nothing in any other process", () => {
    expect(engineAddress(["node", HOST, "127.0.0.1:4321"])).toBe("127.0.0.1:4321");
    expect(dynamicProviderHost(["node", HOST, "127.0.0.1:4321"])).toBe(HOST);
    expect(engineAddress(["node", "/work/program/index.js", "127.0.0.1:4321"])).toBeUndefined();
    expect(engineAddress(["node", HOST])).toBeUndefined();
    expect(engineAddress(["node", HOST, "--inspect"])).toBeUndefined();
    expect(connectEngineLog(["node", "/usr/lib/node_modules/vitest/vitest.mjs"])).toBeUndefined();
  });
});

describe("a warning sent to the engine", () => {
  it("arrives as a diagnostic of severity WARNING attached to the set's URN, in order", async () => {
    const engine = connectEngineLog(["node", HOST, address]);
    expect(engine).toBeDefined();
    const fallback = vi.fn();
    engine?.warn("cyclecloud workers: 2/3 ready", URN, fallback);
    engine?.warn("cyclecloud workers: 1 node(s) still deallocating", undefined, fallback);
    await engine?.flush();
    const { LogSeverity } = load("../../proto/engine_pb") as { LogSeverity: { WARNING: number } };
    expect(received).toEqual([
      {
        severity: LogSeverity.WARNING,
        message: "cyclecloud workers: 2/3 ready",
        urn: URN,
        streamid: 0,
        ephemeral: false,
      },
      {
        severity: LogSeverity.WARNING,
        message: "cyclecloud workers: 1 node(s) still deallocating",
        urn: "",
        streamid: 0,
        ephemeral: false,
      },
    ]);
    expect(fallback).not.toHaveBeenCalled();
  });

  it("is printed as a line when the engine does not take it", async () => {
    const engine = connectEngineLog(["node", HOST, "127.0.0.1:1"]);
    const fallback = vi.fn();
    engine?.warn("cyclecloud workers: 2/3 ready", URN, fallback);
    await engine?.flush();
    expect(fallback).toHaveBeenCalledTimes(1);
  });
});

describe("the provider's warnings without an engine", () => {
  it("are printed by the console logger as `<set>: warning: <text>`", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      consoleLogger.warn?.({ label: "cyclecloud workers", text: "2/3 ready", urn: URN });
      await consoleLogger.flush?.();
      expect(log.mock.calls).toEqual([["cyclecloud workers: warning: 2/3 ready"]]);
    } finally {
      log.mockRestore();
    }
  });

  it("go to a logger's warn with label, text and URN, or to its info as a warning line", () => {
    const warnings: unknown[] = [];
    const lines: string[] = [];
    const withWarn = new ProviderContext(() => undefined, {
      logger: { info: (line) => lines.push(line), warn: (w) => warnings.push(w), error: () => undefined },
      env: {},
    });
    withWarn.warn({ identity: `${NESTED}#abc`, name: "workers" }, "2/3 ready");
    expect(warnings).toEqual([
      {
        label: "cyclecloud workers (in my:index:Cluster/my:index:Partition)",
        text: "2/3 ready",
        urn: NESTED,
      },
    ]);
    const infoOnly = new ProviderContext(() => undefined, {
      logger: { info: (line) => lines.push(line), error: () => undefined },
      env: {},
    });
    infoOnly.warn({ identity: `${URN}#abc`, name: "workers" }, "2/3 ready");
    expect(lines).toEqual(["cyclecloud workers: warning: 2/3 ready"]);
  });
});

describe("how lines name a set", () => {
  it("adds the parent types of a set declared in components, so two sets named alike differ", () => {
    expect(setLabel("workers", `${URN}#tok`)).toBe("cyclecloud workers");
    expect(setLabel("workers", `${NESTED}#tok`)).toBe(
      "cyclecloud workers (in my:index:Cluster/my:index:Partition)",
    );
    expect(setLabel("workers", "proj/stack/workers")).toBe("cyclecloud workers");
  });

  it("reads the URN of an identity, none from an identity written before identities held URNs", () => {
    expect(urnOfIdentity(`${NESTED}#tok`)).toBe(NESTED);
    expect(urnOfIdentity("proj/stack/workers")).toBeUndefined();
    expect(warningLine({ label: "cyclecloud workers", text: "x" })).toBe("cyclecloud workers: warning: x");
  });
});
