/**
 * The connection settings a program gives (a node set's `connection`, `getClusterStatus`'s): their
 * schema and types. Below both the resource layer and the connection resolver, which import them.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { nearestKey } from "../../wire/util/nearest-key";

const WHOLE_MIB = { error: "`connection.maxResponseMiB` must be a whole number of MiB, e.g. 128" };
const MIB_RANGE = { error: "`connection.maxResponseMiB` must be from 1 to 1024" };

/** The schema of `connection`: what `check` and `getClusterStatus` validate. */
export const connectionSchema = z.strictObject(
  {
    url: z
      .string({ error: "`connection.url` must be a string such as https://cyclecloud.example.com:8443" })
      .optional(),
    username: z.string({ error: "`connection.username` must be a string" }).optional(),
    password: z.string({ error: "`connection.password` must be a string" }).optional(),
    caCert: z.string({ error: "`connection.caCert` must be PEM text" }).optional(),
    caCertPath: z.string({ error: "`connection.caCertPath` must be a file path" }).optional(),
    insecure: z.boolean({ error: "`connection.insecure` must be true or false" }).optional(),
    timeoutSeconds: z
      .number({ error: "`connection.timeoutSeconds` must be a number of seconds" })
      .positive({ error: "`connection.timeoutSeconds` must be greater than 0" })
      .optional(),
    maxResponseMiB: z.number(WHOLE_MIB).int(WHOLE_MIB).min(1, MIB_RANGE).max(1024, MIB_RANGE).optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? unknownConnectionKeys(issue.keys)
        : "`connection` must be an object with `url`, `username`, `password` and optional TLS settings",
  },
);

/** A misspelt setting would otherwise be dropped and the connection taken from elsewhere. */
function unknownConnectionKeys(keys: readonly string[]): string {
  const known = Object.keys(connectionSchema.shape);
  return keys
    .map((key) => {
      const nearest = nearestKey(key, known);
      const fix = nearest ? `did you mean \`${nearest}\`?` : `its settings are ${known.join(", ")}`;
      return `\`connection.${key}\` is not a connection setting: ${fix}`;
    })
    .join("; ");
}

/**
 * Connection settings as plain values: what `check` validates, what the provider keeps in its
 * inputs and what `resolveConnection` reads. Internal; programs pass {@link ConnectionArgs}.
 */
export type PlainConnectionArgs = z.infer<typeof connectionSchema>;

/**
 * Connection settings given by a program (`connection` of a node set or of `getClusterStatus`).
 * Every field is an `Input`, e.g. `config.requireSecret("cyclecloudPassword")`; any field left out
 * falls back to stack config `cyclecloud:*`, then `CYCLECLOUD_*` environment variables.
 */
export type ConnectionArgs = {
  [K in keyof PlainConnectionArgs]?: pulumi.Input<PlainConnectionArgs[K]>;
};
