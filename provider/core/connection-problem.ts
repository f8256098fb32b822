/**
 * What check's preflight says when it cannot reach CycleCloud: connection settings, TLS, the
 * credentials. Such a failure names the settings to fix (where they came from: the set's
 * `connection`, else stack config or the environment) and is given no property: the engine would
 * print the value of the property it names, and `connection` holds the password.
 */
import { HttpError, isNetworkError, isSettingsError, isTimeoutError } from "../client/errors";
import { CONNECTION_SOURCES, ConnectionConfigError } from "./connection";
import type { PlainConnectionArgs } from "./connection-args";

type Setting = keyof typeof CONNECTION_SOURCES;

/**
 * Where a setting came from, for messages: `` `connection.password` `` when the set gives it, else
 * `` stack config `cyclecloud:password` or CYCLECLOUD_PASSWORD ``. Never its value.
 */
function settingName(connection: PlainConnectionArgs | undefined, setting: Setting): string {
  if (connection?.[setting] !== undefined) return `\`connection.${setting}\``;
  const source = CONNECTION_SOURCES[setting];
  return `stack config \`${source.config}\` or ${source.env}`;
}

/**
 * The fix for a failure to reach CycleCloud, naming the settings involved; undefined when
 * `error` is not about the connection (a 404 of the cluster, a 5xx, an answer that is not a status).
 * Where the client's message already says what to check (a 401, TLS, an unreachable server, a
 * timeout), this only says where those settings come from.
 */
export function connectionFix(
  error: unknown,
  connection: PlainConnectionArgs | undefined,
  cluster: string,
): string | undefined {
  const name = (setting: Setting) => settingName(connection, setting);
  // The message already names the setting and what is wrong with it.
  if (error instanceof ConnectionConfigError || isSettingsError(error)) return "";
  if (error instanceof HttpError && error.status === 401)
    return `The password comes from ${name("password")}, the username from ${name("username")}`;
  if (error instanceof HttpError && error.status === 403)
    return `Check that the user (${name("username")}) may read cluster '${cluster}' in CycleCloud, or use another user`;
  if (isNetworkError(error) && error.kind === "tls")
    return `The CA comes from ${name("caCert")} or ${name("caCertPath")}, \`insecure\` from ${name("insecure")}`;
  if (isNetworkError(error) && error.kind !== "connection") return `The url comes from ${name("url")}`;
  if (isNetworkError(error))
    return `Check the url and port (${name("url")}) and that the server is up and reachable from this machine`;
  if (isTimeoutError(error))
    return `The url comes from ${name("url")}, the timeout from ${name("timeoutSeconds")}`;
  return undefined;
}
