/**
 * Warnings sent to the Pulumi engine as diagnostics of severity WARNING, so that `pulumi up` shows
 * them as warnings of the resource (counted in the summary, `warning:` in the Diagnostics section)
 * rather than as ordinary output.
 *
 * Why not `pulumi.log.warn`: in the dynamic provider process the SDK's log module never has an
 * engine. The host (`@pulumi/pulumi/cmd/dynamic-provider/index.js`, the same in 3.216 and 3.248)
 * gets the engine's address as its first argument and uses it for nothing; the log module reads
 * it from `PULUMI_NODEJS_ENGINE`, which only the language host sets for the program. So this module
 * connects to that address itself, with the host SDK's own generated Engine client and gRPC
 * package (loaded next to the host script, so their versions match the host's), and sends the same
 * `LogRequest` the SDK's `log.warn` would.
 *
 * Outside that process (tests, the bench, a program that calls a provider method itself) there is
 * no engine: {@link engineLog} returns undefined and the caller prints the line as before. A line
 * the engine does not take is printed too. Lines are sent in order; {@link EngineLog.flush} waits
 * for those sent so far, so an operation does not return before its warnings are delivered.
 */
import { createRequire } from "node:module";

export interface EngineLog {
  /** Sends a warning, attached to `urn` when given (the engine's row of that resource). */
  warn(message: string, urn: string | undefined, fallback: () => void): void;
  /** Sends an info diagnostic (not ephemeral: it is in the engine's event stream), e.g. a preflight report. */
  info(message: string, urn: string | undefined, fallback: () => void): void;
  /** Resolves when every warning sent so far is delivered or printed. */
  flush(): Promise<void>;
}

/** The slice of the generated Engine client and LogRequest used here. */
interface EngineClient {
  log(request: unknown, options: { deadline: number }, callback: (error: Error | null) => void): void;
}
interface LogRequest {
  setSeverity(severity: number): void;
  setMessage(message: string): void;
  setUrn(urn: string): void;
  setStreamid(id: number): void;
  setEphemeral(ephemeral: boolean): void;
}
interface EngineProto {
  LogRequest: new () => LogRequest;
  LogSeverity: { WARNING: number; INFO: number };
}

/** How long one warning may take to reach the engine before it is printed instead. */
const DELIVERY_MS = 10_000;

/** The host script's path when this process is the dynamic provider host, else undefined. */
export function dynamicProviderHost(argv: readonly string[] = process.argv): string | undefined {
  const script = argv[1];
  return script !== undefined && /[\\/]cmd[\\/]dynamic-provider([\\/]index\.js)?$/.test(script)
    ? script
    : undefined;
}

/** The engine address the host was started with (`host:port`), if this is the host. */
export function engineAddress(argv: readonly string[] = process.argv): string | undefined {
  if (dynamicProviderHost(argv) === undefined) return undefined;
  const address = argv[2];
  return address !== undefined && /^[\w.\-[\]:]+:\d+$/.test(address) ? address : undefined;
}

let shared: EngineLog | null | undefined;

/** This process's connection to the engine, made on first use; undefined when there is none. */
export function engineLog(): EngineLog | undefined {
  return (shared ??= connectEngineLog() ?? null) ?? undefined;
}

/** A new connection to the engine of a process started with `argv`; undefined when it is not the host. */
export function connectEngineLog(argv: readonly string[] = process.argv): EngineLog | undefined {
  const host = dynamicProviderHost(argv);
  const address = engineAddress(argv);
  if (host === undefined || address === undefined) return undefined;
  let client: EngineClient;
  let proto: EngineProto;
  try {
    const load = createRequire(host);
    const grpc = load("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
    const services = load("../../proto/engine_grpc_pb") as {
      EngineClient: new (address: string, credentials: unknown) => EngineClient;
    };
    proto = load("../../proto/engine_pb") as EngineProto;
    client = new services.EngineClient(address, grpc.credentials.createInsecure());
  } catch {
    return undefined;
  }
  let last: Promise<void> = Promise.resolve();
  const send = (severity: number, message: string, urn: string | undefined, fallback: () => void) => {
    const request = new proto.LogRequest();
    request.setSeverity(severity);
    request.setMessage(message);
    request.setUrn(urn ?? "");
    request.setStreamid(0);
    request.setEphemeral(false);
    const deliver = (resolve: () => void) =>
      client.log(request, { deadline: Date.now() + DELIVERY_MS }, (error) => {
        if (error) fallback();
        resolve();
      });
    last = last.then(() => new Promise<void>(deliver));
  };
  return {
    warn: (message, urn, fallback) => send(proto.LogSeverity.WARNING, message, urn, fallback),
    info: (message, urn, fallback) => send(proto.LogSeverity.INFO, message, urn, fallback),
    flush: () => last,
  };
}
