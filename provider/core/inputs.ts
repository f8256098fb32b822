// Over 400 lines: one zod schema per input with its classification, kept together so each field is defined once; to be split by field group (issue 23).
/**
 * The node set's inputs, defined once: one zod schema per field, with the field's classification
 * (what a change does: replaces the set, is applied in place, or touches no node; whether it is a
 * secret). Validation, the key lists (INPUT_KEYS, REPLACE_KEYS, UPDATE_KEYS, ARG_KEYS, SECRET_KEYS)
 * and the `NodeSetInputs` type derive from it.
 * Over 400 lines on purpose: the table of fields is the point of this module (one place to add an
 * input, with its schema, effect and secrecy); splitting it by field would scatter that table.
 */
import { z } from "zod";
import { connectionSchema } from "./connection-args";
import { nearestKey } from "../../wire/util/nearest-key";
import type { ConnectionArgs, PlainConnectionArgs } from "./connection-args";

export type { ConnectionArgs, PlainConnectionArgs };

/** The value Pulumi passes for an input that is unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is (or contains) Pulumi's unknown sentinel. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** The values of `preflight`, `onDelete` and `externalRemovals`, from their schemas below. */
export type PreflightMode = NonNullable<ParsedInputs["preflight"]>;
export type OnDeleteAction = NonNullable<ParsedInputs["onDelete"]>;
export type ExternalRemovals = NonNullable<ParsedInputs["externalRemovals"]>;
export type ScaleDown = NonNullable<ParsedInputs["scaleDown"]>;

/** Defaults applied by `check`; documented on {@link CycleCloudNodeSetArgs}. */
export const NODE_SET_DEFAULTS = {
  waitForReady: true,
  readyTimeoutSeconds: 1800,
  deleteTimeoutSeconds: 900,
  preflight: "enforce" as PreflightMode,
  onDelete: "terminate" as OnDeleteAction,
  deleteBeforeReplace: false,
  externalRemovals: "replace" as ExternalRemovals,
  scaleDown: "terminate" as ScaleDown,
} as const satisfies Partial<Record<InputKey, unknown>>;

const NAME_HINT = "letters, digits, '.', '_' and '-'";

/**
 * The names this library accepts for a cluster, a nodearray and a node. CycleCloud's reference
 * publishes no naming rule; this one is conservative: ASCII letters, digits, '.', '_' and '-',
 * starting with a letter or digit (so never `.` or `..`, which URL normalisation would resolve
 * when the name is a path segment), at most {@link MAX_NAME_LENGTH} characters.
 */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Longest cluster, nodearray or node name accepted. */
export const MAX_NAME_LENGTH = 80;
const NAME_RULE = `1-${MAX_NAME_LENGTH} characters of ${NAME_HINT}, starting with a letter or digit`;

/** Whether `name` is a cluster, nodearray or node name this library accepts. */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && name.length <= MAX_NAME_LENGTH;
}

/** The reason a cluster, nodearray or node name given as `field` is refused, naming the fix. */
export function invalidNameReason(field: string, value: unknown, example: string): string {
  return `\`${field}\` must be ${NAME_RULE}, got ${describe(value)}: give the name of the ${example}`;
}

const requiredName = (field: string, example: string) =>
  z
    .string({ error: `\`${field}\` is required: the name of the ${example}` })
    .min(1, { error: `\`${field}\` must not be empty: give the name of the ${example}` })
    .refine(isValidName, { error: (issue) => invalidNameReason(field, issue.input, example) });

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
 * What changing an input does to the set: `replaces` it (new nodes, new base request id), is
 * applied `in-place` to its nodes, touches `no-node` (a setting), or is `not-compared`: who the set
 * is and what it is called (a rename with `aliases` is no change) and `baseRequestId` (derived),
 * the inputs the resource adds itself rather than the program.
 */
export type InputEffect = "replaces" | "in-place" | "no-node" | "not-compared";

/** The classification of one input. */
export interface InputMeta<E extends InputEffect = InputEffect> {
  readonly effect: E;
  /** Stored in state as a secret (the program's value is wrapped with `pulumi.secret`). */
  readonly secret: boolean;
}

interface InputField<S extends z.ZodType, E extends InputEffect> extends InputMeta<E> {
  readonly schema: S;
}

function field<S extends z.ZodType, E extends InputEffect>(
  schema: S,
  effect: E,
  options: { secret?: boolean } = {},
): InputField<S, E> {
  return { schema, effect, secret: options.secret ?? false };
}

/**
 * Every input of a node set: its schema and classification, in declaration order. `check`
 * validates each known field with its schema and reports failures under the field's name; fields
 * that are unknown during preview are skipped. Adding an input means classifying it here.
 */
export const NODE_SET_INPUTS = {
  /**
   * Who the set is (see node-set-identity.ts): `<URN first declared under>#<random token>`, or
   * `project/stack/name` in state written before identities existed. Request ids derive from it.
   */
  identity: field(z.string().min(1), "not-compared"),
  /** The resource name, for messages. */
  name: field(z.string().min(1).optional(), "not-compared"),
  cluster: field(requiredName("cluster", 'CycleCloud cluster, e.g. "hpc"'), "replaces"),
  nodearray: field(requiredName("nodearray", 'nodearray to create nodes from, e.g. "ondemand"'), "replaces"),
  count: field(wholeNumber("count", 0, "a whole number of nodes >= 0"), "in-place"),
  machineType: field(
    z
      .string({ error: '`machineType` must be a VM size string such as "Standard_Hc44rs"' })
      .min(1, {
        error: "`machineType` must not be empty: omit it to use the nodearray's first suitable bucket",
      })
      .optional(),
    "replaces",
  ),
  placementGroupId: field(
    z
      .string({ error: "`placementGroupId` must be a string naming the placement group" })
      .regex(/^[A-Za-z0-9._-]{1,80}$/, {
        error: `\`placementGroupId\` must be 1-80 characters of ${NAME_HINT}`,
      })
      .optional(),
    "replaces",
  ),
  // Placement-group spreading (see placement-group-plan.ts): exclusive with `placementGroupId`.
  placementGroups: field(
    z
      .strictObject(
        {
          prefix: z
            .string({ error: '`placementGroups.prefix` must be a string such as "pg"' })
            .regex(/^[A-Za-z0-9._-]{1,70}$/, {
              error: `\`placementGroups.prefix\` must be 1-70 characters of ${NAME_HINT}`,
            }),
          size: wholeNumber("placementGroups.size", 1, "a whole number of nodes >= 1").optional(),
        },
        {
          error: (issue) =>
            issue.code === "unrecognized_keys"
              ? unknownNestedKeys("placementGroups", issue.keys, ["prefix", "size"])
              : '`placementGroups` must be an object { prefix: "pg", size?: 40 }',
        },
      )
      .optional(),
    "replaces",
  ),
  nodeAttributes: field(
    z
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
    "replaces",
  ),
  nameFormat: field(
    z
      .string({ error: '`nameFormat` must be a string such as "mpi-%d"' })
      .min(1, { error: '`nameFormat` must not be empty: omit it for the default "<nodearray>-%d" names' })
      .optional(),
    "replaces",
  ),
  nameOffset: field(wholeNumber("nameOffset", 0, "a whole number >= 0").optional(), "replaces"),
  requestId: field(
    z
      .string({ error: "`requestId` must be a string" })
      .regex(/^[A-Za-z0-9._-]{1,64}$/, {
        error: `\`requestId\` must be 1-64 characters of ${NAME_HINT}; omit it to derive a stable id`,
      })
      .optional(),
    "replaces",
  ),
  waitForReady: field(z.boolean({ error: "`waitForReady` must be true or false" }).optional(), "no-node"),
  readyTimeoutSeconds: field(positiveSeconds("readyTimeoutSeconds").optional(), "no-node"),
  deleteTimeoutSeconds: field(positiveSeconds("deleteTimeoutSeconds").optional(), "no-node"),
  preflight: field(
    z
      .enum(["enforce", "warn", "off"], {
        error: (issue) => `\`preflight\` must be "enforce", "warn" or "off", got ${describe(issue.input)}`,
      })
      .optional(),
    "no-node",
  ),
  onDelete: field(
    z
      .enum(["terminate", "deallocate"], {
        error: (issue) => `\`onDelete\` must be "terminate" or "deallocate", got ${describe(issue.input)}`,
      })
      .optional(),
    "no-node",
  ),
  deleteBeforeReplace: field(
    z.boolean({ error: "`deleteBeforeReplace` must be true or false" }).optional(),
    "no-node",
  ),
  externalRemovals: field(
    z
      .enum(["replace", "forget"], {
        error: (issue) => `\`externalRemovals\` must be "replace" or "forget", got ${describe(issue.input)}`,
      })
      .optional(),
    "no-node",
  ),
  // Warm pool and readiness (issue 12): settings that touch no node.
  scaleDown: field(
    z
      .enum(["terminate", "deallocate"], {
        error: (issue) => `\`scaleDown\` must be "terminate" or "deallocate", got ${describe(issue.input)}`,
      })
      .optional(),
    "no-node",
  ),
  minReady: field(
    wholeNumber("minReady", 1, "a whole number of nodes from 1 to `count`").optional(),
    "no-node",
  ),
  adoptExisting: field(
    z
      .strictObject(
        {
          requestId: z.string().min(1, { error: "`adoptExisting.requestId` must not be empty" }).optional(),
          nodeIds: z
            .array(z.string().min(1), { error: "`adoptExisting.nodeIds` must be a list of node ids" })
            .min(1, { error: "`adoptExisting.nodeIds` must list at least one node id" })
            .optional(),
          // The user's assertion that no stack holds the request's nodes (see adoption-ownership.ts).
          orphaned: z.boolean({ error: "`adoptExisting.orphaned` must be true or false" }).optional(),
        },
        {
          error: (issue) =>
            issue.code === "unrecognized_keys"
              ? unknownNestedKeys("adoptExisting", issue.keys, ["requestId", "nodeIds", "orphaned"])
              : "`adoptExisting` must be an object { requestId } or { nodeIds: [...] }",
        },
      )
      .refine((a) => a.requestId !== undefined || a.nodeIds !== undefined, {
        error: "`adoptExisting` must name a `requestId` or `nodeIds` of the nodes to adopt",
      })
      .refine((a) => a.orphaned !== true || a.requestId !== undefined, {
        error:
          '`adoptExisting.orphaned` asserts that no stack holds the nodes of `adoptExisting.requestId`: give it, e.g. { requestId: "<baseRequestId>-0", orphaned: true }',
      })
      .optional(),
    "in-place",
  ),
  connection: field(connectionSchema.optional(), "no-node", { secret: true }),
  baseRequestId: field(z.string().optional(), "not-compared"),
} as const;

type Inputs = typeof NODE_SET_INPUTS;
/** The key of an input. */
export type InputKey = keyof Inputs;
/** The keys of the inputs whose change has one of these effects. */
export type KeysWith<E extends InputEffect> = {
  [K in InputKey]: Inputs[K]["effect"] extends E ? K : never;
}[InputKey];

/** The input keys, in declaration order (used to pick inputs out of state). */
export const INPUT_KEYS = Object.keys(NODE_SET_INPUTS) as InputKey[];

function keysWith<E extends InputEffect>(effects: readonly E[]): KeysWith<E>[] {
  const wanted: readonly InputEffect[] = effects;
  return INPUT_KEYS.filter((key): key is KeysWith<E> => wanted.includes(NODE_SET_INPUTS[key].effect));
}

/**
 * The inputs whose change replaces a node set; they, with the set's identity, determine its base
 * request id. `count`, timeouts, `preflight`, `onDelete` and the connection do not.
 */
export const REPLACE_KEYS = keysWith(["replaces"]);
export type ReplaceKey = KeysWith<"replaces">;
/**
 * Inputs whose change is an in-place update: first those that touch nodes (`count`,
 * `adoptExisting`), then the settings that touch none.
 */
export const UPDATE_KEYS = [...keysWith(["in-place"]), ...keysWith(["no-node"])];
/** The inputs a program gives (the keys of `CycleCloudNodeSetArgs`); the others the resource adds. */
export const ARG_KEYS = keysWith(["replaces", "in-place", "no-node"]);
export type ArgKey = KeysWith<"replaces" | "in-place" | "no-node">;
/** Inputs given by the program that are stored in state as secrets. */
export const SECRET_KEYS = ARG_KEYS.filter((key) => NODE_SET_INPUTS[key].secret);

type Shape = { [K in InputKey]: Inputs[K]["schema"] };
/** The inputs as one zod object (the source of the {@link NodeSetInputs} type). */
export const nodeSetInputsSchema = z.object(
  Object.fromEntries(INPUT_KEYS.map((key) => [key, NODE_SET_INPUTS[key].schema])) as Shape,
);

type ParsedInputs = z.output<typeof nodeSetInputsSchema>;
type DefaultedKey = keyof typeof NODE_SET_DEFAULTS;
export type AdoptExisting = NonNullable<ParsedInputs["adoptExisting"]>;
export type PlacementGroups = NonNullable<ParsedInputs["placementGroups"]>;

/**
 * The inputs of a node set after `check`: validated, defaults applied, base request id fixed
 * (see request-id.ts). Field documentation: {@link NODE_SET_INPUTS} and `CycleCloudNodeSetArgs`.
 */
export type NodeSetInputs = Omit<ParsedInputs, DefaultedKey | "baseRequestId"> & {
  -readonly [K in DefaultedKey]-?: NonNullable<ParsedInputs[K]>;
} & { baseRequestId: string };

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * The failures as the engine is to get them. For a failure with a property, Pulumi prints
 * `property <property> value <the program's value of that top-level input> has a problem: <reason>`
 * (step_generator.go, issueCheckFailures), whether the value is a secret or not; for one with an
 * empty property it prints `resource '<name>' has a problem: <reason>`, no value. So a failure of a
 * secret-holding input (`connection`, whose password may be a plain string) or of a key the set
 * does not know (a misspelt `conection` holds the same) is given no property: its reason names the
 * field path. Other inputs keep their property: their value (`count -1`) helps and holds no secret.
 */
export function withoutSecretValues(failures: readonly CheckFailure[]): CheckFailure[] {
  const shown = new Set<string>(ARG_KEYS.filter((key) => !NODE_SET_INPUTS[key].secret));
  return failures.map((f) => (shown.has(f.property) ? f : { property: "", reason: f.reason }));
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
    const result = NODE_SET_INPUTS[key].schema.safeParse(value);
    if (!result.success) {
      // A misspelt key first: it is why a key the field requires is missing.
      const issues = result.error.issues;
      const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
      failures.push({ property: key, reason: issue?.message ?? `\`${key}\` is not valid` });
    }
  }
  failures.push(...unknownKeyFailures(raw));
  if (raw["placementGroupId"] !== undefined && raw["placementGroups"] !== undefined) {
    failures.push({
      property: "placementGroups",
      reason:
        "`placementGroupId` and `placementGroups` are exclusive: give `placementGroupId` for one placement group, " +
        "or `placementGroups: { prefix }` to spread the set over several, not both",
    });
  }
  const count = raw["count"];
  if (!failures.some((f) => ["nameFormat", "nameOffset", "count", "nodearray"].includes(f.property))) {
    failures.push(...nodeNameFailures(raw));
  }
  const minReady = raw["minReady"];
  if (typeof minReady === "number" && typeof count === "number" && minReady > count) {
    failures.push({
      property: "minReady",
      reason:
        count === 0
          ? `\`minReady\` (${minReady}) must not exceed \`count\` (0): omit \`minReady\` (a set of 0 nodes waits for none)`
          : `\`minReady\` (${minReady}) must not exceed \`count\` (${count}): lower \`minReady\` or omit it to wait for all ${count}`,
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

/** The first node index CycleCloud uses when `nameOffset` is not given. */
const DEFAULT_NAME_OFFSET = 1;

/**
 * Whether CycleCloud can expand `nameFormat` (or its default `<nodearray>-%d`) into one valid name
 * per node: one `%d` (none only for a single node), no other `%` directive, and names such as the
 * last one (index `nameOffset + count - 1`) that are valid node names.
 */
function nodeNameFailures(raw: Record<string, unknown>): CheckFailure[] {
  const { count, nameFormat, nameOffset, nodearray } = raw;
  if ([count, nameFormat, nameOffset, nodearray].some(containsUnknown)) return [];
  if (typeof count !== "number" || typeof nodearray !== "string") return [];
  if (nameFormat !== undefined && typeof nameFormat !== "string") return [];
  if (nameOffset !== undefined && typeof nameOffset !== "number") return [];
  const format = nameFormat ?? `${nodearray}-%d`;
  const field = nameFormat === undefined ? "nodearray" : "nameFormat";
  const refuse = (reason: string): CheckFailure[] => [{ property: field, reason }];
  const shown = JSON.stringify(format);
  const placeholders = format.split("%d").length - 1;
  if (placeholders > 1) {
    return refuse(
      `\`nameFormat\` ${shown} has %d ${placeholders} times: CycleCloud puts the node's index in place of one %d, e.g. "mpi-%d"`,
    );
  }
  if (format.replace("%d", "").includes("%")) {
    return refuse(
      `\`nameFormat\` ${shown} has a % that is not %d: CycleCloud expands only %d (the node's index), e.g. "mpi-%d"`,
    );
  }
  if (placeholders === 0 && count > 1) {
    return refuse(
      `\`nameFormat\` ${shown} has no %d, so it names exactly one node, but \`count\` is ${count}: add %d, e.g. "${format}-%d"`,
    );
  }
  const first = nameOffset ?? DEFAULT_NAME_OFFSET;
  const last = first + Math.max(count, 1) - 1;
  const name = format.replace("%d", String(last));
  if (isValidName(name)) return [];
  const makes = `makes node names such as ${JSON.stringify(name)}`;
  if (!NAME_PATTERN.test(name)) {
    return refuse(
      `\`nameFormat\` ${shown} ${makes}, but node names are ${NAME_RULE}: change \`nameFormat\`, e.g. "mpi-%d"`,
    );
  }
  const length = `(${name.length} characters, the last of \`count\` ${count} from index ${first})`;
  const limit = `node names are at most ${MAX_NAME_LENGTH} characters`;
  return nameFormat === undefined
    ? refuse(
        `the default \`nameFormat\` ${shown} ${makes} ${length}, but ${limit}: give a shorter \`nameFormat\`, e.g. "n-%d"`,
      )
    : refuse(
        `\`nameFormat\` ${shown} ${makes} ${length}, but ${limit}: shorten \`nameFormat\`${placeholders === 1 ? " or lower `nameOffset`" : ""}`,
      );
}

/** The reason for keys of an object input (`field`) it does not know, each with the nearest known key. */
function unknownNestedKeys(field: string, keys: readonly string[], known: readonly string[]): string {
  const each = keys.map((key) => {
    const nearest = nearestKey(key, known);
    return `\`${field}.${key}\` is not a key of \`${field}\`${nearest ? `: did you mean \`${nearest}\`?` : ""}`;
  });
  return `${each.join("; ")} (\`${field}\` accepts ${known.map((k) => `\`${k}\``).join(", ")})`;
}

/**
 * Keys a program gives that the set does not know (a misspelt input would otherwise be ignored
 * silently), each named with the nearest known input. Keys starting with `__` are the engine's
 * own (`__provider`, which Pulumi adds to a dynamic resource's inputs); a key whose value is
 * undefined (the outputs the resource seeds) is no input.
 */
export function unknownKeyFailures(raw: Record<string, unknown>): CheckFailure[] {
  const known = new Set<string>(INPUT_KEYS);
  return Object.keys(raw)
    .filter((key) => !known.has(key) && !key.startsWith("__") && raw[key] !== undefined)
    .map((key) => {
      const nearest = nearestKey(key, ARG_KEYS);
      const fix = nearest ? `did you mean \`${nearest}\`?` : `its inputs are ${ARG_KEYS.join(", ")}`;
      return { property: key, reason: `\`${key}\` is not an input of a node set: ${fix}` };
    });
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

/**
 * The inputs in checked props or in state: the input keys only. Not parsed again: `check`
 * validated them (a value unknown during preview stays the sentinel), and state written before an
 * input existed lacks it (compared as its default, see diff-node-set.ts). The one place that
 * asserts the type of values `check` let through.
 */
export function pickInputs(props: object): NodeSetInputs {
  const source = props as Partial<Record<InputKey, unknown>>;
  const inputs: Partial<Record<InputKey, unknown>> = {};
  for (const key of INPUT_KEYS) if (source[key] !== undefined) inputs[key] = source[key];
  return inputs as NodeSetInputs;
}

/** Applies defaults to validated, fully known raw inputs. */
export function withDefaults(raw: Record<string, unknown>, baseRequestId: string): NodeSetInputs {
  const inputs: Record<string, unknown> = { ...pickInputs(raw) };
  for (const [key, value] of Object.entries(NODE_SET_DEFAULTS)) {
    if (inputs[key] === undefined) inputs[key] = value;
  }
  inputs["baseRequestId"] = baseRequestId;
  return inputs as NodeSetInputs;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return String(value);
}
