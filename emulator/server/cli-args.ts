import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import type { EmulatorTiming } from "../store/state";
import { isLoopbackHost } from "../../wire/util/loopback";
import { emptyMap, forbiddenKeyMessage, isForbiddenKey, MAX_TIMING_MS } from "../config/limits";

/** The port `cyclecloud-emulator` listens on without `--port` (CycleCloud's own HTTP port). */
export const DEFAULT_CLI_PORT = 8080;

export const CLI_USAGE = `Usage: cyclecloud-emulator [options]

Runs a CycleCloud REST API emulator (HTTP or HTTPS, Basic auth) until SIGINT or SIGTERM.

Options:
  --port N              TCP port; 0 picks a free one (default ${String(DEFAULT_CLI_PORT)})
  --host HOST           interface to listen on (default 127.0.0.1); anything but
                        a loopback address needs --allow-remote
  --allow-remote        listen on a non-loopback --host: the API, and unless
                        --no-admin the admin surface, become reachable from the
                        network (the emulator says so on stderr)
  --username NAME       Basic auth user (default admin, or $CYCLECLOUD_EMULATOR_USERNAME)
  --password SECRET     Basic auth password (default: $CYCLECLOUD_EMULATOR_PASSWORD,
                        else random per start; prefer the variable: arguments are
                        visible to other local users). Only a random password is
                        printed
  --admin-token TOKEN   require this token (16+ characters) in the
                        X-Emulator-Admin-Token header of every admin request
                        (default: $CYCLECLOUD_EMULATOR_ADMIN_TOKEN, else none;
                        prefer the variable). Never printed
  --config FILE         JSON file with clusters, nodearrays and buckets
                        (default: the seed cluster hpc; see emulator/README.md)
  --from-status CLUSTER=FILE
                        a replica of cluster CLUSTER from FILE, a saved answer of
                        GET /clusters/CLUSTER/status?nodes=true (repeatable; the
                        replicas replace the seed cluster, or join --config's)
  --acquiring-ms N      Acquiring -> Preparing (default 1000)
  --preparing-ms N      Preparing -> Ready (default 1000)
  --terminating-ms N    Terminating -> gone, Stopping -> Deallocated (default 500)
  --instant             all three durations 0
  --tls                 serve HTTPS with a certificate issued at start for
                        127.0.0.1, ::1, localhost and --host by a throwaway CA;
                        the start line names the CA certificate file to trust
  --cert FILE           serve HTTPS with this PEM certificate (chain) ...
  --key FILE            ... and its PEM private key (both or neither)
  --no-admin            do not serve /__emulator/
  --no-auth-pacing      answer every wrong Basic auth attempt at once (default:
                        after 10 failures in a row a client waits 250 ms, doubling
                        to 4 s, between attempts; sooner ones get 429)
  --quiet               do not log requests
  --json                print the start line as JSON: {"url","username","password","adminUrl"}
                        (and "caCertPath" with --tls; "password" only when random)
  -h, --help            show this help

The first line printed is
  CycleCloud emulator listening on URL (username NAME, password SECRET)
and with --tls
  CycleCloud emulator listening on URL (username NAME, password SECRET, CA certificate FILE)
where a password given with --password or $CYCLECLOUD_EMULATOR_PASSWORD shows as
"password from --password" or "password from $CYCLECLOUD_EMULATOR_PASSWORD".
`;

/** A command line that cannot be used; the message says which argument and why. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}

/** HTTPS: a certificate issued at start (`--tls`), or the files of `--cert` and `--key`. */
export type CliTls =
  | { readonly kind: "generate" }
  | { readonly kind: "files"; readonly certFile: string; readonly keyFile: string };

export interface CliRun {
  readonly kind: "run";
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Where a given password came from (it is never printed); undefined when random. */
  readonly passwordSource?: "--password" | "$CYCLECLOUD_EMULATOR_PASSWORD" | undefined;
  readonly adminToken?: string | undefined;
  readonly allowRemote?: boolean | undefined;
  readonly configFile: string | undefined;
  /** `--from-status CLUSTER=FILE` options: cluster name to snapshot file (absent when none). */
  readonly fromStatus?: Readonly<Record<string, string>>;
  readonly timing: Partial<EmulatorTiming>;
  readonly admin: boolean;
  readonly quiet: boolean;
  readonly json: boolean;
  /** `false` with `--no-auth-pacing`; absent: the default pacing. */
  readonly authPacing?: false;
  /** Absent: plain HTTP. */
  readonly tls?: CliTls | undefined;
}

export type CliCommand = { readonly kind: "help" } | CliRun;

/** Options that take a value (by name, without `--`), and switches; `-h` is the one short option. */
const VALUE_OPTIONS = new Set(
  "port host username password admin-token config from-status acquiring-ms preparing-ms terminating-ms cert key".split(
    " ",
  ),
);
const SWITCH_OPTIONS = new Set("instant no-admin no-auth-pacing quiet json tls allow-remote help".split(" "));

const PARSE_OPTIONS: ParseArgsConfig["options"] = Object.fromEntries([
  ...[...VALUE_OPTIONS].map((name) => [name, { type: "string" }] as const),
  ...[...SWITCH_OPTIONS].map(
    (name) => [name, { type: "boolean", ...(name === "help" ? { short: "h" } : {}) }] as const,
  ),
]);

function integer(flag: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new CliUsageError(
      `${flag} must be an integer from 0 to ${String(max)}, not ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/**
 * The options of `argv` (last one wins), read from `parseArgs` tokens so that the messages name
 * the argument as given. Non-strict parsing lets a value start with a dash (`--port -1` is a bad
 * port, not a missing value); unknown options, positionals, `--`, short groups (`-hx`) and a value
 * given to a switch are rejected here.
 */
function readOptions(argv: readonly string[]): {
  values: Map<string, string>;
  switches: Set<string>;
  fromStatus: Record<string, string>;
} {
  const parsed = parseArgs({
    args: [...argv],
    options: PARSE_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const fromStatus = emptyMap<string>();
  for (const token of parsed.tokens) {
    const argument = argv[token.index] ?? "";
    const known = token.kind === "option" && (token.rawName !== "-h" || argument === "-h");
    if (!known || !(SWITCH_OPTIONS.has(token.name) || VALUE_OPTIONS.has(token.name))) {
      throw new CliUsageError(`Unknown argument ${JSON.stringify(argument)}`);
    }
    if (SWITCH_OPTIONS.has(token.name)) {
      if (token.value !== undefined) throw new CliUsageError(`${token.rawName} takes no value`);
      switches.add(token.name);
      continue;
    }
    if (token.value === undefined || token.value === "") {
      throw new CliUsageError(`${token.rawName} needs a value`);
    }
    if (token.name === "from-status") {
      const [cluster, file] = fromStatusPair(token.value);
      fromStatus[cluster] = file;
    }
    values.set(token.name, token.value);
  }
  return { values, switches, fromStatus };
}

/** `CLUSTER=FILE` of `--from-status`. */
function fromStatusPair(value: string): [string, string] {
  const at = value.indexOf("=");
  if (at <= 0 || at === value.length - 1) {
    throw new CliUsageError(
      `--from-status takes CLUSTER=FILE (a cluster name and a saved status answer), not ${JSON.stringify(value)}`,
    );
  }
  const cluster = value.slice(0, at);
  if (isForbiddenKey(cluster)) {
    throw new CliUsageError(`--from-status ${JSON.stringify(value)}: ${forbiddenKeyMessage(cluster)}`);
  }
  return [cluster, value.slice(at + 1)];
}

/** Parses `argv` (without node and the script); `env` supplies the credential variables. */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliCommand {
  const { values, switches, fromStatus } = readOptions(argv);
  const fromEnv = (name: string): string | undefined => env[name] || undefined;
  if (switches.has("help")) return { kind: "help" };
  const timing: { -readonly [K in keyof EmulatorTiming]?: number } = switches.has("instant")
    ? { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 }
    : {};
  for (const name of ["acquiring", "preparing", "terminating"] as const) {
    const value = values.get(`${name}-ms`);
    if (value !== undefined) timing[`${name}Ms`] = integer(`--${name}-ms`, value, MAX_TIMING_MS);
  }
  const port = values.get("port");
  const tls = readTls(values.get("cert"), values.get("key"), switches.has("tls"));
  const host = values.get("host") ?? "127.0.0.1";
  const allowRemote = switches.has("allow-remote");
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new CliUsageError(
      `--host ${host} is not a loopback address: the API${switches.has("no-admin") ? "" : " and the admin surface /__emulator/"} ` +
        "would be reachable from the network. Add --allow-remote to do this deliberately, or use --host 127.0.0.1",
    );
  }
  const adminToken = values.get("admin-token") ?? fromEnv("CYCLECLOUD_EMULATOR_ADMIN_TOKEN");
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new CliUsageError(
      "the admin token (--admin-token or $CYCLECLOUD_EMULATOR_ADMIN_TOKEN) must be at least 16 characters",
    );
  }
  const givenPassword = values.get("password");
  const envPassword = fromEnv("CYCLECLOUD_EMULATOR_PASSWORD");
  const passwordSource = givenPassword !== undefined ? "--password" : "$CYCLECLOUD_EMULATOR_PASSWORD";
  return {
    kind: "run",
    host,
    port: port === undefined ? DEFAULT_CLI_PORT : integer("--port", port, 65535),
    username: values.get("username") ?? fromEnv("CYCLECLOUD_EMULATOR_USERNAME"),
    password: givenPassword ?? envPassword,
    ...(givenPassword === undefined && envPassword === undefined ? {} : { passwordSource }),
    ...(adminToken === undefined ? {} : { adminToken }),
    ...(allowRemote ? { allowRemote } : {}),
    configFile: values.get("config"),
    ...(Object.keys(fromStatus).length === 0 ? {} : { fromStatus }),
    timing,
    admin: !switches.has("no-admin"),
    quiet: switches.has("quiet"),
    json: switches.has("json"),
    ...(switches.has("no-auth-pacing") ? { authPacing: false as const } : {}),
    ...(tls === undefined ? {} : { tls }),
  };
}

function readTls(
  certFile: string | undefined,
  keyFile: string | undefined,
  tls: boolean,
): CliTls | undefined {
  if (certFile !== undefined && keyFile !== undefined) return { kind: "files", certFile, keyFile };
  if (certFile !== undefined || keyFile !== undefined) {
    const [given, missing] = certFile === undefined ? ["--key", "--cert"] : ["--cert", "--key"];
    throw new CliUsageError(
      `${given} needs ${missing}: give both --cert FILE and --key FILE (its private key), or --tls alone`,
    );
  }
  return tls ? { kind: "generate" } : undefined;
}
