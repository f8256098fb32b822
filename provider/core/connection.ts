import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ConnectionArgs, PlainConnectionArgs } from "./connection-args";
import { CycleCloudError } from "../client/errors";

export type { ConnectionArgs, PlainConnectionArgs };

/** A fully resolved connection: what the client needs. */
export interface ResolvedConnection {
  url: string;
  username: string;
  password: string;
  caCert?: string;
  insecure?: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

/** Reads one `cyclecloud:<key>` stack config value; undefined when not set. */
export type ConfigLookup = (key: string) => string | undefined;

/** Stack config keys (namespace `cyclecloud`) and environment variables, per setting. */
export const CONNECTION_SOURCES = {
  url: { config: "cyclecloud:url", env: "CYCLECLOUD_URL" },
  username: { config: "cyclecloud:username", env: "CYCLECLOUD_USERNAME" },
  password: { config: "cyclecloud:password", env: "CYCLECLOUD_PASSWORD" },
  caCert: { config: "cyclecloud:caCert", env: "CYCLECLOUD_CA_CERT" },
  caCertPath: { config: "cyclecloud:caCertPath", env: "CYCLECLOUD_CA_CERT_PATH" },
  insecure: { config: "cyclecloud:insecure", env: "CYCLECLOUD_INSECURE" },
  timeoutSeconds: { config: "cyclecloud:timeoutSeconds", env: "CYCLECLOUD_TIMEOUT_SECONDS" },
  maxResponseMiB: { config: "cyclecloud:maxResponseMiB", env: "CYCLECLOUD_MAX_RESPONSE_MIB" },
} as const;

/** The largest `maxResponseMiB` accepted (1 GiB, the client's `maxResponseBytes` limit). */
const MAX_RESPONSE_MIB_LIMIT = 1024;

/** Raised when the connection settings are missing or malformed. Never carries the password. */
export class ConnectionConfigError extends CycleCloudError {
  override readonly name = "ConnectionConfigError";
}

/**
 * Resolves the CycleCloud connection, setting by setting: the explicit `connection` argument
 * first, then stack config (`cyclecloud:*`), then the environment (`CYCLECLOUD_*`). Used by the
 * program (getClusterStatus) and by the provider process (with the config `configure` received),
 * so both always agree. `caCert` must be PEM text (a file is given as `caCertPath`). `explicit` holds
 * plain values: a program's `Input`s are resolved first (see getClusterStatus).
 */
export function resolveConnection(
  explicit: PlainConnectionArgs | undefined,
  config: ConfigLookup,
  env: Record<string, string | undefined> = process.env,
): ResolvedConnection {
  const pick = (key: keyof typeof CONNECTION_SOURCES): string | undefined => {
    const given = explicit?.[key];
    if (given !== undefined && given !== "") return String(given);
    const fromConfig = config(CONNECTION_SOURCES[key].config);
    if (fromConfig !== undefined && fromConfig !== "") return fromConfig;
    const fromEnv = env[CONNECTION_SOURCES[key].env];
    return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
  };

  const url = pick("url");
  const username = pick("username");
  const password = pick("password");
  const missing = Object.entries({ url, username, password }).filter(([, v]) => v === undefined);
  if (url === undefined || username === undefined || password === undefined)
    throw new ConnectionConfigError(
      `CycleCloud connection is not configured: missing ${missing.map(([k]) => `\`${k}\``).join(", ")}. ` +
        "Supply it in one of three ways: " +
        "(1) the `connection` argument of the resource or function; " +
        "(2) stack config: `pulumi config set cyclecloud:url https://HOST:8443`, `pulumi config set cyclecloud:username USER`, " +
        "`pulumi config set --secret cyclecloud:password`; " +
        "(3) environment variables CYCLECLOUD_URL, CYCLECLOUD_USERNAME and CYCLECLOUD_PASSWORD.",
    );

  const resolved: ResolvedConnection = { url, username, password };
  const caCert = pick("caCert");
  const caCertPath = pick("caCertPath");
  if (caCert !== undefined) {
    // Not read as a path: a value meant as PEM must not make the provider open some file.
    if (!caCert.includes("-----BEGIN"))
      throw new ConnectionConfigError(
        "`caCert` must be PEM text containing -----BEGIN CERTIFICATE-----; to trust a file, give its path as " +
          "`caCertPath` (`connection.caCertPath`, stack config `cyclecloud:caCertPath` or CYCLECLOUD_CA_CERT_PATH)",
      );
    resolved.caCert = caCert;
  } else if (caCertPath !== undefined) {
    resolved.caCert = readCaFile(caCertPath, "cyclecloud:caCertPath");
  }
  const insecure = pick("insecure");
  if (insecure !== undefined) {
    if (!["true", "false"].includes(insecure.toLowerCase()))
      throw new ConnectionConfigError(`\`insecure\` must be true or false, got ${JSON.stringify(insecure)}`);
    resolved.insecure = insecure.toLowerCase() === "true";
  }
  const timeout = pick("timeoutSeconds");
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new ConnectionConfigError(
        `\`timeoutSeconds\` must be a number of seconds greater than 0, got ${JSON.stringify(timeout)}`,
      );
    resolved.timeoutMs = Math.round(seconds * 1000);
  }
  const maxResponse = pick("maxResponseMiB");
  if (maxResponse !== undefined) {
    const mib = Number(maxResponse);
    if (!Number.isInteger(mib) || mib < 1 || mib > MAX_RESPONSE_MIB_LIMIT)
      throw new ConnectionConfigError(
        `\`maxResponseMiB\` must be a whole number of MiB from 1 to ${MAX_RESPONSE_MIB_LIMIT}, ` +
          `got ${JSON.stringify(maxResponse)}`,
      );
    resolved.maxResponseBytes = mib * 1024 * 1024;
  }
  return resolved;
}

function readCaFile(path: string, setting: string): string {
  const absolute = resolve(path);
  try {
    return readFileSync(absolute, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new ConnectionConfigError(
      `cannot read the CA bundle ${absolute} given by \`${setting}\` (${code}): give the path of a PEM file`,
    );
  }
}

/** A stable key for a connection, for caching clients; the password enters only as a hash. */
export function connectionKey(connection: ResolvedConnection): string {
  const secret = createHash("sha256").update(connection.password).digest("hex").slice(0, 16);
  return JSON.stringify([
    connection.url,
    connection.username,
    secret,
    connection.caCert ?? "",
    connection.insecure ?? false,
    connection.timeoutMs ?? 0,
    connection.maxResponseBytes ?? 0,
  ]);
}
