/**
 * The node set's inputs, defined once: one zod schema per field, with the field's classification
 * (what a change does: replaces the set, is applied in place, or touches no node; whether it is a
 * secret). Validation, the key lists (INPUT_KEYS, REPLACE_KEYS, UPDATE_KEYS, ARG_KEYS, SECRET_KEYS)
 * and the `NodeSetInputs` type derive from it; `check` validates with it (inputs-check.ts).
 */
import { z } from "zod";
import { connectionSchema } from "./connection-args";
import { describe, invalidNameReason, isValidName, NAME_HINT, unknownNestedKeys } from "./inputs-names";
import type { ConnectionArgs, PlainConnectionArgs } from "./connection-args";

export type { ConnectionArgs, PlainConnectionArgs };

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

const requiredName = (field: string, example: string) =>
  z
    .string({ error: `\`${field}\` is required: the name of the ${example}` })
    .min(1, { error: `\`${field}\` must not be empty: give the name of the ${example}` })
    .refine(isValidName, { error: (issue) => invalidNameReason(field, issue.input, example) });

/** Largest `count` (and `nameOffset`) accepted: far beyond any cluster, small enough to catch typos. */
const MAX_WHOLE_NUMBER = 100_000;

const wholeNumber = (field: string, min: number, what: string) => {
  const error = (issue: { input: unknown }) => `\`${field}\` must be ${what}, got ${describe(issue.input)}`;
  return z
    .number({ error })
    .refine((n) => Number.isInteger(n) && n >= min, { error })
    .refine((n) => n <= MAX_WHOLE_NUMBER, {
      error: (issue) => `\`${field}\` must be at most ${MAX_WHOLE_NUMBER}, got ${describe(issue.input)}`,
    });
};

const positiveSeconds = (field: string) => {
  const error = (issue: { input: unknown }) =>
    `\`${field}\` must be a number of seconds greater than 0, got ${describe(issue.input)}`;
  return z.number({ error }).refine((n) => Number.isFinite(n) && n > 0, { error });
};

/** An optional choice among `values`: `\`field\` must be "a", "b" or "c", got ...`. */
const oneOf = <const T extends readonly [string, ...string[]]>(field: string, values: T) => {
  const quoted = values.map((v) => JSON.stringify(v));
  const choices = `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
  return z
    .enum(values, { error: (issue) => `\`${field}\` must be ${choices}, got ${describe(issue.input)}` })
    .optional();
};

const flag = (field: string) => z.boolean({ error: `\`${field}\` must be true or false` }).optional();

/** An object input: a misspelt key is named with the nearest known one; any other misfit gets `shape`. */
const objectInput = <T extends z.ZodRawShape>(field: string, keys: T, shape: string) =>
  z.strictObject(keys, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? unknownNestedKeys(field, issue.keys, Object.keys(keys)) : shape,
  });

const notPascalCase = (key: string) => !/^[A-Z][A-Za-z0-9]*$/.test(key);

/**
 * What changing an input does to the set: `replaces` it (new nodes, new base request id), is
 * applied `in-place` to its nodes, touches `no-node` (a setting), or is `not-compared`: who the set
 * is and what it is called (a rename with `aliases` is no change) and `baseRequestId` (derived),
 * the inputs the resource adds itself rather than the program.
 */
type InputEffect = "replaces" | "in-place" | "no-node" | "not-compared";

/** One input: its schema and classification. */
interface InputField<S extends z.ZodType, E extends InputEffect> {
  readonly schema: S;
  readonly effect: E;
  /** Stored in state as a secret (the program's value is wrapped with `pulumi.secret`). */
  readonly secret: boolean;
}

function field<S extends z.ZodType, E extends InputEffect>(
  schema: S,
  effect: E,
  { secret = false } = {},
): InputField<S, E> {
  return { schema, effect, secret };
}

/** Every input of a node set, in declaration order. Adding an input means classifying it here. */
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
    objectInput(
      "placementGroups",
      {
        prefix: z
          .string({ error: '`placementGroups.prefix` must be a string such as "pg"' })
          .regex(/^[A-Za-z0-9._-]{1,70}$/, {
            error: `\`placementGroups.prefix\` must be 1-70 characters of ${NAME_HINT}`,
          }),
        size: wholeNumber("placementGroups.size", 1, "a whole number of nodes >= 1").optional(),
      },
      '`placementGroups` must be an object { prefix: "pg", size?: 40 }',
    ).optional(),
    "replaces",
  ),
  nodeAttributes: field(
    z
      .record(z.string(), z.unknown(), {
        error: (issue) =>
          `\`nodeAttributes\` must be an object of node record keys such as { KeepAlive: true, Tags: { team: "cfd" } }, got ${describe(issue.input)}`,
      })
      .refine((attrs) => !Object.keys(attrs).some(notPascalCase), {
        error: (issue) =>
          `\`nodeAttributes\` keys are node record keys in PascalCase (e.g. KeepAlive, Tags, Configuration); got ${Object.keys(
            issue.input as object,
          )
            .filter(notPascalCase)
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
  waitForReady: field(flag("waitForReady"), "no-node"),
  readyTimeoutSeconds: field(positiveSeconds("readyTimeoutSeconds").optional(), "no-node"),
  deleteTimeoutSeconds: field(positiveSeconds("deleteTimeoutSeconds").optional(), "no-node"),
  preflight: field(oneOf("preflight", ["enforce", "warn", "off"]), "no-node"),
  onDelete: field(oneOf("onDelete", ["terminate", "deallocate"]), "no-node"),
  deleteBeforeReplace: field(flag("deleteBeforeReplace"), "no-node"),
  externalRemovals: field(oneOf("externalRemovals", ["replace", "forget"]), "no-node"),
  // Warm pool and readiness (issue 12): settings that touch no node.
  scaleDown: field(oneOf("scaleDown", ["terminate", "deallocate"]), "no-node"),
  minReady: field(
    wholeNumber("minReady", 1, "a whole number of nodes from 1 to `count`").optional(),
    "no-node",
  ),
  adoptExisting: field(
    objectInput(
      "adoptExisting",
      {
        requestId: z.string().min(1, { error: "`adoptExisting.requestId` must not be empty" }).optional(),
        nodeIds: z
          .array(z.string().min(1), { error: "`adoptExisting.nodeIds` must be a list of node ids" })
          .min(1, { error: "`adoptExisting.nodeIds` must list at least one node id" })
          .optional(),
        // The user's assertion that no stack holds the request's nodes (see adoption-ownership.ts).
        orphaned: flag("adoptExisting.orphaned"),
      },
      "`adoptExisting` must be an object { requestId } or { nodeIds: [...] }",
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
export type InputKey = keyof Inputs;
/** The keys of the inputs whose change has one of these effects. */
type KeysWith<E extends InputEffect> = {
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
