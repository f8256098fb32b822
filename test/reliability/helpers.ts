/**
 * Shared by the reliability tests: an emulator with a known password, the provider configured the
 * way the engine configures it (stack config through `configure`), stand-in servers that are not
 * CycleCloud (self-signed HTTPS, HTML, silent, closed port), and a record of everything the
 * provider prints (through its logger: nothing patches `console` or `process.env`).
 */
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import type { NodeSetProvider } from "../../provider/engine/node-set-provider";
import { createNodeSetProvider } from "../../provider/engine/node-set-provider";
import type { Tuning } from "../../provider/ops/tuning";
import { selfSignedCertificate } from "../fixtures/tls";

/** The provider of the current test: a fresh one per {@link configureProvider}. */
let current: NodeSetProvider = createNodeSetProvider();
/** Tuning of the providers made by {@link configureProvider}. */
let tuning: Partial<Tuning> = {};
/** Where the providers' lines go (see {@link captureProviderOutput}). */
let output: string[] = [];

/** The provider of the current test (each call goes to the one {@link configureProvider} made last). */
export const provider: NodeSetProvider = {
  configure: (...args) => current.configure(...args),
  check: (...args) => current.check(...args),
  diff: (...args) => current.diff(...args),
  create: (...args) => current.create(...args),
  read: (...args) => current.read(...args),
  update: (...args) => current.update(...args),
  delete: (...args) => current.delete(...args),
};

/** Distinctive, so a leak is found by a plain substring search. */
export const PASSWORD = "Rel-Test-S3cret-Pa55word";
export const USERNAME = "admin";
/** The password as it travels in the Authorization header. */
export const BASIC = Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64");

/**
 * Fast polls and two quick retries, as in test/provider/harness.ts, for the providers made from
 * now on. (Their environment is empty, so no `CYCLECLOUD_*` variable of the shell reaches them.)
 */
export function fastProviderTiming(retries = 2): void {
  tuning = { pollMinMs: 10, pollMaxMs: 40, retries, retryBaseDelayMs: 5 };
}

export async function startReliabilityEmulator(log?: (line: string) => void): Promise<RunningEmulator> {
  return startEmulator({
    port: 0,
    username: USERNAME,
    password: PASSWORD,
    timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 },
    ...(log ? { log } : {}),
  });
}

export type StackConfig = Record<string, string | undefined>;

/** The stack config the engine would pass for this emulator. */
export function stackConfigFor(emu: RunningEmulator): StackConfig {
  return { "cyclecloud:url": emu.url, "cyclecloud:username": USERNAME, "cyclecloud:password": PASSWORD };
}

/** A fresh provider process configured with `config` (a `pulumi up` starts one). */
export async function configureProvider(config: StackConfig): Promise<void> {
  const keep = (line: string) => void output.push(line);
  current = createNodeSetProvider({ logger: { info: keep, error: keep }, tuning, env: {} });
  await current.configure({
    config: { get: (key: string) => config[key], require: (key: string) => config[key] ?? "" },
  });
}

/** Mutating API requests the emulator received (rejected and faulted ones included). */
export function mutations(emu: RunningEmulator): number {
  const c = emu.counters();
  return c.create + c.terminate + c.deallocate + c.start + c.shutdown + c.remove + c.scale;
}

export async function admin(emu: RunningEmulator, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${emu.adminUrl}${path}`, {
    method: "POST",
    headers: emu.adminHeaders(),
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`admin ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/**
 * Everything the providers made from now on print (the engine shows it as diagnostics), kept out
 * of the test output: a new, empty list of lines.
 */
export function captureProviderOutput(): string[] {
  output = [];
  return output;
}

/** A server that is not CycleCloud, with the requests it received. */
export interface StandInServer {
  url: string;
  requests: { method: string; url: string }[];
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function standIn(
  scheme: "http" | "https",
  handler: Handler,
  tls?: { key: string; cert: string },
): Promise<StandInServer> {
  const requests: StandInServer["requests"] = [];
  const record: Handler = (request, response) => {
    requests.push({ method: request.method ?? "", url: request.url ?? "" });
    handler(request, response);
  };
  const server: Server =
    scheme === "https" && tls ? createHttpsServer(tls, record) : createHttpServer(record);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A web server answering every request 200 with an HTML page (a proxy's login page, say). */
export function htmlServer(): Promise<StandInServer> {
  return standIn("http", (_request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end("<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>");
  });
}

/** A server that accepts requests and never answers. */
export function silentServer(): Promise<StandInServer> {
  return standIn("http", () => undefined);
}

/** An HTTPS server with a fresh self-signed certificate for 127.0.0.1 (made with openssl). */
export async function selfSignedServer(): Promise<StandInServer & { caCert: string }> {
  const tls = selfSignedCertificate();
  const stand = await standIn(
    "https",
    (_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end("{}");
    },
    tls,
  );
  return { ...stand, caCert: tls.cert };
}

/** The URL of a port nothing listens on (bound, then closed). */
export async function closedPortUrl(): Promise<string> {
  const stand = await standIn("http", () => undefined);
  await stand.close();
  return stand.url;
}
