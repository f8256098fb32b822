/**
 * `check`'s validation of the node set's inputs: each field against its schema, then the rules
 * between fields (node names, `minReady` and `count`, exclusive inputs) and the keys the set does
 * not know. Each failure names its field and the fix; {@link withoutSecretValues} keeps a secret's
 * value out of what the engine prints.
 */
import { ARG_KEYS, INPUT_KEYS, NODE_SET_INPUTS } from "./inputs";
import { describe, isValidName, MAX_NAME_LENGTH, NAME_PATTERN, NAME_RULE } from "./inputs-names";
import { containsUnknown } from "./inputs-unknown";
import { nearestKey } from "../../wire/util/nearest-key";

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
  if (!failures.some((f) => ["nameFormat", "nameOffset", "count", "nodearray"].includes(f.property)))
    failures.push(...nodeNameFailures(raw));
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
  if (!failures.some((f) => f.property === "nodeAttributes"))
    failures.push(...validateKnownNodeAttributes(raw["nodeAttributes"]));
  const c = raw["connection"];
  if (isPlainObject(c) && !containsUnknown(c) && c["caCert"] !== undefined && c["caCertPath"] !== undefined) {
    failures.push({
      property: "connection",
      reason:
        "`connection.caCert` and `connection.caCertPath` are exclusive: give the PEM text or a file path, not both",
    });
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
