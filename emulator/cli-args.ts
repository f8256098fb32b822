import type { EmulatorTiming } from "./node-store";

/** The port `cyclecloud-emulator` listens on without `--port` (CycleCloud's own HTTP port). */
export const DEFAULT_CLI_PORT = 8080;

export const CLI_USAGE = `Usage: cyclecloud-emulator [options]

Runs a CycleCloud REST API emulator (HTTP, Basic auth) until SIGINT or SIGTERM.

Options:
  --port N              TCP port; 0 picks a free one (default ${String(DEFAULT_CLI_PORT)})
  --host HOST           interface to listen on (default 127.0.0.1); the admin
                        surface /__emulator/ has no authentication: keep it local
  --username NAME       Basic auth user (default admin, or $CYCLECLOUD_EMULATOR_USERNAME)
  --password SECRET     Basic auth password (default: $CYCLECLOUD_EMULATOR_PASSWORD,
                        else random per start; prefer the variable: arguments are
                        visible to other local users)
  --config FILE         JSON file with clusters, nodearrays and buckets
                        (default: the seed cluster hpc; see emulator/README.md)
  --acquiring-ms N      Acquiring -> Preparing (default 1000)
  --preparing-ms N      Preparing -> Ready (default 1000)
  --terminating-ms N    Terminating -> gone, Stopping -> Deallocated (default 500)
  --instant             all three durations 0
  --no-admin            do not serve /__emulator/
  --quiet               do not log requests
  --json                print the start line as JSON: {"url","username","password","adminUrl"}
  -h, --help            show this help

The first line printed is
  CycleCloud emulator listening on URL (username NAME, password SECRET)
`;

/** A command line that cannot be used; the message says which argument and why. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}

export interface CliRun {
  readonly kind: "run";
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly configFile: string | undefined;
  readonly timing: Partial<EmulatorTiming>;
  readonly admin: boolean;
  readonly quiet: boolean;
  readonly json: boolean;
}

export type CliCommand = { readonly kind: "help" } | CliRun;

const VALUE_FLAGS = [
  "--port",
  "--host",
  "--username",
  "--password",
  "--config",
  "--acquiring-ms",
  "--preparing-ms",
  "--terminating-ms",
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

const SWITCHES = ["--instant", "--no-admin", "--quiet", "--json", "--help", "-h"] as const;
type Switch = (typeof SWITCHES)[number];

function isValueFlag(flag: string): flag is ValueFlag {
  return (VALUE_FLAGS as readonly string[]).includes(flag);
}

function isSwitch(flag: string): flag is Switch {
  return (SWITCHES as readonly string[]).includes(flag);
}

function integer(flag: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new CliUsageError(
      `${flag} must be an integer from 0 to ${String(max)}, not ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** Parses `argv` (without node and the script); `env` supplies the credential variables. */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliCommand {
  const values = new Map<ValueFlag, string>();
  const switches = new Set<Switch>();
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i] ?? "";
    const equals = argument.indexOf("=");
    const flag = argument.startsWith("--") && equals > 0 ? argument.slice(0, equals) : argument;
    if (isSwitch(flag)) {
      if (flag !== argument) {
        throw new CliUsageError(`${flag} takes no value`);
      }
      switches.add(flag);
      continue;
    }
    if (!isValueFlag(flag)) {
      throw new CliUsageError(`Unknown argument ${JSON.stringify(argument)}`);
    }
    let value: string | undefined;
    if (flag !== argument) {
      value = argument.slice(equals + 1);
    } else {
      i += 1;
      value = argv[i];
    }
    if (value === undefined || value === "") {
      throw new CliUsageError(`${flag} needs a value`);
    }
    values.set(flag, value);
  }
  if (switches.has("--help") || switches.has("-h")) {
    return { kind: "help" };
  }
  const timingValue = (flag: ValueFlag): number | undefined => {
    const value = values.get(flag);
    return value === undefined ? undefined : integer(flag, value, 24 * 60 * 60 * 1000);
  };
  const instant = switches.has("--instant");
  const timing: { -readonly [K in keyof EmulatorTiming]?: number } = instant
    ? { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 }
    : {};
  const durations = [
    ["--acquiring-ms", "acquiringMs"],
    ["--preparing-ms", "preparingMs"],
    ["--terminating-ms", "terminatingMs"],
  ] as const;
  for (const [flag, key] of durations) {
    const value = timingValue(flag);
    if (value !== undefined) {
      timing[key] = value;
    }
  }
  const port = values.get("--port");
  return {
    kind: "run",
    host: values.get("--host") ?? "127.0.0.1",
    port: port === undefined ? DEFAULT_CLI_PORT : integer("--port", port, 65535),
    username: values.get("--username") ?? nonEmpty(env["CYCLECLOUD_EMULATOR_USERNAME"]),
    password: values.get("--password") ?? nonEmpty(env["CYCLECLOUD_EMULATOR_PASSWORD"]),
    configFile: values.get("--config"),
    timing,
    admin: !switches.has("--no-admin"),
    quiet: switches.has("--quiet"),
    json: switches.has("--json"),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Loopback hosts, where an unauthenticated admin surface is only reachable locally. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
