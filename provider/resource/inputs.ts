import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** The value Pulumi passes for an input that is unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is (or contains) Pulumi's unknown sentinel. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

export type PreflightMode = "enforce" | "warn" | "off";
export type OnDeleteAction = "terminate" | "deallocate";
export type ExternalRemovals = "replace" | "forget";

/** Defaults applied by `check`; documented on {@link CycleCloudNodeSetArgs}. */
export const NODE_SET_DEFAULTS = {
  waitForReady: true,
  readyTimeoutSeconds: 1800,
  deleteTimeoutSeconds: 900,
  preflight: "enforce" as PreflightMode,
  onDelete: "terminate" as OnDeleteAction,
  deleteBeforeReplace: false,
  externalRemovals: "replace" as ExternalRemovals,
} as const;

const NAME_HINT = "letters, digits, '.', '_' and '-'";

const connectionSchema = z.object(
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
  },
  { error: "`connection` must be an object with `url`, `username`, `password` and optional TLS settings" },
);

const requiredName = (field: string, example: string) =>
  z
    .string({ error: `\`${field}\` is required: the name of the ${example}` })
    .min(1, { error: `\`${field}\` must not be empty: give the name of the ${example}` });

/** Largest `count` (and `nameOffset`) accepted: far beyond any cluster, small enough to catch typos. */
export const MAX_WHOLE_NUMBER = 100_000;

const wholeNumber = (field: string, min: number, what: string) =>
  z
    .number({ error: (issue) => `\`${field}\` must be ${what}, got ${describe(issue.input)}` })
    .refine((n) => Number.isInteger(n) && n >= min, {
      error: (issue) => `\`${field}\` must be ${what}, got ${describe(issue.input)}`,
    })
    .refine((n) => n <= MAX_WHOLE_NUMBER, {
      error: (issue) => `\`${field}\` must be at most ${MAX_WHOLE_NUMBER}, got ${describe(issue.input)}`,
    });

const positiveSeconds = (field: string) =>
  z
    .number({
      error: (issue) =>
        `\`${field}\` must be a number of seconds greater than 0, got ${describe(issue.input)}`,
    })
    .refine((n) => Number.isFinite(n) && n > 0, {
      error: (issue) =>
        `\`${field}\` must be a number of seconds greater than 0, got ${describe(issue.input)}`,
    });

/**
 * One schema per input. `check` validates each known field with its schema and reports failures
 * under the field's name; fields that are unknown during preview are skipped.
 */
export const INPUT_FIELDS = {
  identity: z.string().min(1),
  name: z.string().min(1).optional(),
  cluster: requiredName("cluster", 'CycleCloud cluster, e.g. "hpc"'),
  nodearray: requiredName("nodearray", 'nodearray to create nodes from, e.g. "ondemand"'),
  count: wholeNumber("count", 0, "a whole number of nodes >= 0"),
  machineType: z
    .string({ error: '`machineType` must be a VM size string such as "Standard_Hc44rs"' })
    .min(1, {
      error: "`machineType` must not be empty: omit it to use the nodearray's first suitable bucket",
    })
    .optional(),
  placementGroupId: z
    .string({ error: "`placementGroupId` must be a string naming the placement group" })
    .regex(/^[A-Za-z0-9._-]{1,80}$/, {
      error: `\`placementGroupId\` must be 1-80 characters of ${NAME_HINT}`,
    })
    .optional(),
  nodeAttributes: z
    .record(z.string(), z.unknown(), {
      error: (issue) =>
        `\`nodeAttributes\` must be an object of node record keys such as { KeepAlive: true, Tags: { team: "cfd" } }, got ${describe(issue.input)}`,
    })
    .refine((attrs) => Object.keys(attrs).every((key) => /^[A-Z][A-Za-z0-9]*$/.test(key)), {
      error: (issue) =>
        `\`nodeAttributes\` keys are node record keys in PascalCase (e.g. KeepAlive, Tags, Configuration); got ${Object.keys(
          issue.input as Record<string, unknown>,
        )
          .filter((key) => !/^[A-Z][A-Za-z0-9]*$/.test(key))
          .map((key) => JSON.stringify(key))
          .join(", ")}`,
    })
    .optional(),
  nameFormat: z
    .string({ error: '`nameFormat` must be a string such as "mpi-%d"' })
    .min(1, { error: '`nameFormat` must not be empty: omit it for the default "<nodearray>-%d" names' })
    .optional(),
  nameOffset: wholeNumber("nameOffset", 0, "a whole number >= 0").optional(),
  requestId: z
    .string({ error: "`requestId` must be a string" })
    .regex(/^[A-Za-z0-9._-]{1,64}$/, {
      error: `\`requestId\` must be 1-64 characters of ${NAME_HINT}; omit it to derive a stable id`,
    })
    .optional(),
  waitForReady: z.boolean({ error: "`waitForReady` must be true or false" }).optional(),
  readyTimeoutSeconds: positiveSeconds("readyTimeoutSeconds").optional(),
  deleteTimeoutSeconds: positiveSeconds("deleteTimeoutSeconds").optional(),
  preflight: z
    .enum(["enforce", "warn", "off"], {
      error: (issue) => `\`preflight\` must be "enforce", "warn" or "off", got ${describe(issue.input)}`,
    })
    .optional(),
  onDelete: z
    .enum(["terminate", "deallocate"], {
      error: (issue) => `\`onDelete\` must be "terminate" or "deallocate", got ${describe(issue.input)}`,
    })
    .optional(),
  deleteBeforeReplace: z.boolean({ error: "`deleteBeforeReplace` must be true or false" }).optional(),
  externalRemovals: z
    .enum(["replace", "forget"], {
      error: (issue) => `\`externalRemovals\` must be "replace" or "forget", got ${describe(issue.input)}`,
    })
    .optional(),
  adoptExisting: z
    .strictObject(
      {
        requestId: z.string().min(1, { error: "`adoptExisting.requestId` must not be empty" }).optional(),
        nodeIds: z
          .array(z.string().min(1), { error: "`adoptExisting.nodeIds` must be a list of node ids" })
          .min(1, { error: "`adoptExisting.nodeIds` must list at least one node id" })
          .optional(),
      },
      {
        error: (issue) =>
          issue.code === "unrecognized_keys"
            ? "`adoptExisting` accepts only `requestId` and `nodeIds`"
            : "`adoptExisting` must be an object { requestId } or { nodeIds: [...] }",
      },
    )
    .refine((a) => a.requestId !== undefined || a.nodeIds !== undefined, {
      error: "`adoptExisting` must name a `requestId` or `nodeIds` of the nodes to adopt",
    })
    .optional(),
  connection: connectionSchema.optional(),
  baseRequestId: z.string().optional(),
} as const;

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
export type AdoptExisting = NonNullable<z.infer<typeof INPUT_FIELDS.adoptExisting>>;

/** The inputs of a node set after `check`: validated, defaults applied, base request id fixed. */
export interface NodeSetInputs {
  /**
   * Who the set is (see node-set-identity.ts): `<URN first declared under>#<random token>`, or
   * `project/stack/name` in state written before identities existed. Request ids derive from it.
   */
  identity: string;
  /** The resource name, for messages. */
  name?: string;
  cluster: string;
  nodearray: string;
  count: number;
  machineType?: string;
  placementGroupId?: string;
  nodeAttributes?: Record<string, unknown>;
  nameFormat?: string;
  nameOffset?: number;
  requestId?: string;
  waitForReady: boolean;
  readyTimeoutSeconds: number;
  deleteTimeoutSeconds: number;
  preflight: PreflightMode;
  onDelete: OnDeleteAction;
  deleteBeforeReplace: boolean;
  externalRemovals: ExternalRemovals;
  adoptExisting?: AdoptExisting;
  connection?: PlainConnectionArgs;
  /** Base of every create request id of this set (see request-id.ts). */
  baseRequestId: string;
}

/** The input keys, in declaration order (used to pick inputs out of state). */
export const INPUT_KEYS = Object.keys(INPUT_FIELDS) as (keyof typeof INPUT_FIELDS)[];

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * Validates raw inputs field by field. Unknown values (preview) are not validated. Returns the
 * failures, each naming its field and the fix.
 */
export function validateInputs(raw: Record<string, unknown>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const key of INPUT_KEYS) {
    const value = raw[key];
    if (containsUnknown(value)) continue;
    const result = INPUT_FIELDS[key].safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      failures.push({ property: key, reason: issue?.message ?? `\`${key}\` is not valid` });
    }
  }
  const count = raw["count"];
  const nameFormat = raw["nameFormat"];
  if (
    typeof nameFormat === "string" &&
    typeof count === "number" &&
    count > 1 &&
    !nameFormat.includes("%d")
  ) {
    failures.push({
      property: "nameFormat",
      reason: `\`nameFormat\` "${nameFormat}" has no %d, so it names exactly one node, but \`count\` is ${count}: add %d, e.g. "${nameFormat}-%d"`,
    });
  }
  if (!failures.some((f) => f.property === "nodeAttributes")) {
    failures.push(...validateKnownNodeAttributes(raw["nodeAttributes"]));
  }
  const connection = raw["connection"];
  if (connection !== null && typeof connection === "object" && !containsUnknown(connection)) {
    const c = connection as Record<string, unknown>;
    if (c["caCert"] !== undefined && c["caCertPath"] !== undefined) {
      failures.push({
        property: "connection",
        reason:
          "`connection.caCert` and `connection.caCertPath` are exclusive: give the PEM text or a file path, not both",
      });
    }
  }
  return failures;
}

/** Node record keys whose type CycleCloud checks: a wrong type is refused before any create. */
const KNOWN_NODE_ATTRIBUTES: Record<string, { test: (v: unknown) => boolean; what: string }> = {
  KeepAlive: { test: (v) => typeof v === "boolean", what: "true or false" },
  Interruptible: { test: (v) => typeof v === "boolean", what: "true or false" },
  Tags: { test: (v) => isPlainObject(v), what: 'an object such as { team: "cfd" }' },
  Configuration: { test: (v) => isPlainObject(v), what: "an object" },
};

function validateKnownNodeAttributes(attributes: unknown): CheckFailure[] {
  if (!isPlainObject(attributes) || containsUnknown(attributes)) return [];
  return Object.entries(KNOWN_NODE_ATTRIBUTES)
    .filter(([key, rule]) => attributes[key] !== undefined && !rule.test(attributes[key]))
    .map(([key, rule]) => ({
      property: "nodeAttributes",
      reason: `\`nodeAttributes.${key}\` must be ${rule.what}, got ${describe(attributes[key])}`,
    }));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Applies defaults to validated, fully known raw inputs. */
export function withDefaults(raw: Record<string, unknown>, baseRequestId: string): NodeSetInputs {
  const inputs: Record<string, unknown> = {};
  for (const key of INPUT_KEYS) {
    if (raw[key] !== undefined) inputs[key] = raw[key];
  }
  for (const [key, value] of Object.entries(NODE_SET_DEFAULTS)) {
    if (inputs[key] === undefined) inputs[key] = value;
  }
  inputs["baseRequestId"] = baseRequestId;
  return inputs as unknown as NodeSetInputs;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return String(value);
}
